-- Canonical form of a host as network policy compares it: a name in lower-case ASCII without
-- trailing dot, or an address in its one canonical spelling (coord.canonical_address), so that
-- every spelling getaddrinfo accepts for one address is one string. Accepted and reduced: case,
-- surrounding blanks, one trailing dot, a :port (1-65535) after a name or IPv4 address or a
-- bracketed IPv6 one, IPv4 in every inet_aton form, IPv6 bracketed or not, with a zone id
-- (dropped). Refused with CO451 rather than guessed at: URLs and anything with / or @ (user
-- info), percent-encoding and every other character outside letters, digits, '-', '.', and the
-- ':' '[' ']' of addresses and ports, non-ASCII (IDN must come as punycode), hosts that end in
-- a number but are no IPv4 address, and bad labels. LIKE and regex metacharacters
-- (% _ ? [ ] *) never reach a pattern.
create or replace function coord.normalize_host(p_host text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := pg_catalog.lower(pg_catalog.btrim(p_host));
  v_parts text[];
  v_address inet;
begin
  if v is null or v = '' then
    perform coord.fail('CO451', 'the host is empty');
  end if;
  if v ~ '[^\x01-\x7f]' then
    perform coord.fail('CO451', format('%s is not ASCII', pg_catalog.quote_literal(left(p_host, 100))),
      'an internationalized domain must be passed in punycode (xn--...)');
  end if;
  if v ~ '[/@]' or v ~ '^[a-z][a-z0-9+.-]*:/' then
    perform coord.fail('CO451', format('%s is a URL, not a host', pg_catalog.quote_literal(left(p_host, 100))));
  end if;

  -- [IPv6] with an optional port; IPv6 without brackets (two colons or more) has no port.
  if left(v, 1) = '[' then
    v_parts := pg_catalog.regexp_match(v, '^\[([^][]+)\](:([0-9]{1,5}))?$');
    if v_parts is null or v_parts[1] !~ ':' or v_parts[3]::integer not between 1 and 65535 then
      perform coord.fail('CO451', format('%s is not [IPv6 address] or [IPv6 address]:port',
                                         pg_catalog.quote_literal(left(p_host, 100))));
    end if;
    return pg_catalog.host(coord.canonical_address(coord.ipv6_address(v_parts[1])));
  end if;
  if v ~ ':.*:' then
    return pg_catalog.host(coord.canonical_address(coord.ipv6_address(v)));
  end if;
  if strpos(v, ':') > 0 then
    v_parts := pg_catalog.regexp_match(v, '^([^:]+):([0-9]{1,5})$');
    if v_parts is null or v_parts[2]::integer not between 1 and 65535 then
      perform coord.fail('CO451', format('%s has a bad port', pg_catalog.quote_literal(left(p_host, 100))));
    end if;
    v := v_parts[1];
  end if;
  v := pg_catalog.regexp_replace(v, '\.$', '');

  if octet_length(v) > 253
     or v !~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$' then
    perform coord.fail('CO451', format('%s is not a host name or address%s', pg_catalog.quote_literal(left(p_host, 100)),
      case when v ~ '^[a-z0-9._-]+$' and v ~ '(^|\.)(-|[^.]*_)|-(\.|$)'
           then case when strpos(v, '_') > 0 then ' (a label holds an underscore)'
                     else ' (a label starts or ends with a hyphen)' end
           else '' end));
  end if;
  v_address := coord.ipv4_address(v);
  if v_address is not null then
    return pg_catalog.host(v_address);
  end if;
  return v;
end;
$$;

comment on function coord.normalize_host(text) is 'Canonical host for network policy: a lower-case name without trailing dot or port, or the canonical text of an address (every inet_aton IPv4 form, IPv6 bracketed or not, zone id dropped, IPv4-mapped/compatible/NAT64 as IPv4, RFC 5952); CO451 for URLs, user info, percent-encoding, non-ASCII, bad ports, numeric hosts that are no IPv4 address, bad labels.';
revoke all on function coord.normalize_host(text) from public;
