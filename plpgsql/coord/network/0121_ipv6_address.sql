-- The IPv6 address of a literal (without brackets): hexadecimal groups, :: once, an embedded
-- IPv4 address in strict dotted-quad form only, case-insensitive. A zone id (%eth0, or %25eth0
-- as in URLs) names the interface, not another address: it is dropped. Anything else is CO451.
create or replace function coord.ipv6_address(p_literal text)
returns inet
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_address text := pg_catalog.lower(pg_catalog.split_part(p_literal, '%', 1));
  v_zone text := substr(p_literal, char_length(pg_catalog.split_part(p_literal, '%', 1)) + 2);
  v_octet text := '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
begin
  if (strpos(p_literal, '%') > 0 and v_zone !~* '^[a-z0-9._~-]+$')
     or v_address !~ '^[0-9a-f:.]+$' or strpos(v_address, ':') = 0
     or (strpos(v_address, '.') > 0
         and pg_catalog.regexp_replace(v_address, '^.*:', '') !~ ('^' || v_octet || '(\.' || v_octet || '){3}$')) then
    perform coord.fail('CO451', format('%s is not an IPv6 address', pg_catalog.quote_literal(left(p_literal, 100))));
  end if;
  begin
    return v_address::inet;
  exception when invalid_text_representation then
    perform coord.fail('CO451', format('%s is not an IPv6 address', pg_catalog.quote_literal(left(p_literal, 100))));
  end;
end;
$$;

comment on function coord.ipv6_address(text) is 'The IPv6 address of a literal without brackets (zone id dropped; embedded IPv4 only as a dotted quad); CO451 otherwise.';
revoke all on function coord.ipv6_address(text) from public;
