-- The canonical form of a network pattern of a manifest, or CO763: a host (name or address) in
-- the spelling check_network compares (coord.normalize_host), or *. and a domain name for its
-- subdomains. Refused: * anywhere else, a wildcard over an address, and wildcards that widen to
-- a whole top-level or public second-level domain (*.com, *.co.uk, *.*).
create or replace function coord.skill_host_pattern(p_pattern text, p_where text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_wild boolean := left(p_pattern, 2) = '*.';
  v text := case when left(p_pattern, 2) = '*.' then substr(p_pattern, 3) else p_pattern end;
  v_labels text[];
begin
  if strpos(v, '*') > 0 then
    perform coord.fail('CO763', format('%s: %s has a wildcard other than one leading *.', p_where,
                                       pg_catalog.quote_literal(left(p_pattern, 200))));
  end if;
  begin
    v := coord.normalize_host(v);
  exception when sqlstate 'CO451' then
    perform coord.fail('CO763', format('%s: %s is not a host (%s)', p_where, pg_catalog.quote_literal(left(p_pattern, 200)),
                                       sqlerrm));
  end;
  if v_wild then
    v_labels := pg_catalog.string_to_array(v, '.');
    if v ~ '^[0-9.]+$' or strpos(v, ':') > 0 then
      perform coord.fail('CO763', format('%s: %s puts a wildcard over an address', p_where, pg_catalog.quote_literal(left(p_pattern, 200))));
    end if;
    if pg_catalog.cardinality(v_labels) < 2
       or (pg_catalog.cardinality(v_labels) = 2 and char_length(v_labels[2]) = 2
           and v_labels[1] in ('ac', 'co', 'com', 'edu', 'gen', 'go', 'gob', 'gouv', 'gov', 'govt', 'gv', 'info', 'lg',
                               'ltd', 'me', 'mil', 'ne', 'net', 'nhs', 'nic', 'or', 'org', 'plc', 'sch')) then
      perform coord.fail('CO763', format('%s: %s covers a whole top-level or public domain', p_where,
                                         pg_catalog.quote_literal(left(p_pattern, 200))));
    end if;
    return '*.' || v;
  end if;
  return v;
end;
$$;

comment on function coord.skill_host_pattern(text, text) is 'Canonical network pattern of a manifest (a host as coord.normalize_host spells it, or *.domain for its subdomains), or CO763 (p_where names the entry): other wildcards, a wildcard over an address, *.tld or *.co.uk-like public domains.';
revoke all on function coord.skill_host_pattern(text, text) from public;
