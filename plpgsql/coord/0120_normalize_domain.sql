-- Canonical form of a domain (or, with p_wildcard, a rule pattern *.domain): lower-case ASCII,
-- no trailing dot, no port. Anything else that is not a plain host name is refused rather than
-- guessed at: schemes, paths, user info, IP literals with colons, non-ASCII (IDN must come as
-- punycode), and every character outside letters, digits, '-' and '.', which also keeps LIKE
-- and regex metacharacters (% _ ? [ ]) out of patterns.
create or replace function coord.normalize_domain(p_domain text, p_wildcard boolean default false)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := pg_catalog.lower(pg_catalog.btrim(p_domain));
  v_prefix text := '';
begin
  if v is null or v = '' then
    perform coord.fail('CO451', 'the domain is empty');
  end if;
  if v ~ '[^\x01-\x7f]' then
    perform coord.fail('CO451', format('%s is not ASCII', pg_catalog.quote_literal(left(p_domain, 100))),
      'an internationalized domain must be passed in punycode (xn--...)');
  end if;
  if v ~ '[/@]' or v ~ '^[a-z][a-z0-9+.-]*:/' then
    perform coord.fail('CO451', format('%s is a URL, not a host', pg_catalog.quote_literal(left(p_domain, 100))));
  end if;
  v := pg_catalog.regexp_replace(v, ':[0-9]{1,5}$', '');
  v := pg_catalog.regexp_replace(v, '\.$', '');
  if p_wildcard and left(v, 2) = '*.' then
    v_prefix := '*.';
    v := substr(v, 3);
  end if;
  if octet_length(v) > 253
     or v !~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$' then
    perform coord.fail('CO451', format('%s is not a host name', pg_catalog.quote_literal(left(p_domain, 100))));
  end if;
  return v_prefix || v;
end;
$$;

comment on function coord.normalize_domain(text, boolean) is 'Canonical domain (lower case, no trailing dot or port; with p_wildcard also *.domain); CO451 for anything else (URLs, non-ASCII, metacharacters, bad labels).';
revoke all on function coord.normalize_domain(text, boolean) from public;
