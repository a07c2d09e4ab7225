-- The IPv4 address a host spelled as numbers denotes, read the way inet_aton (and so
-- getaddrinfo, curl, ping) reads it: one to four parts separated by dots, each decimal, octal
-- (leading 0) or hexadecimal (0x); the last part fills the remaining bytes. So 2852039166,
-- 0xa9fea9fe, 169.254.43518 and 0251.0376.0251.0376 all are 169.254.169.254. Null when p_host
-- does not end in a number (its last label is not all digits or 0x-hex): a name. A host that
-- ends in a number but is no such address is refused (CO451) rather than taken for a name.
-- p_host is lower-case, without port or trailing dot.
create or replace function coord.ipv4_address(p_host text)
returns inet
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[] := pg_catalog.string_to_array(p_host, '.');
  v_count integer := cardinality(v_parts);
  v_part text;
  v_digits text;
  v_base integer;
  v_value numeric;
  v_address numeric := 0;
begin
  if coalesce(v_parts[v_count] !~ '^([0-9]+|0x[0-9a-f]*)$', true) then
    return null;
  end if;
  if v_count > 4 then
    perform coord.fail('CO451', format('%s has %s parts; an IPv4 address has at most 4',
                                       pg_catalog.quote_literal(left(p_host, 100)), v_count));
  end if;
  for i in 1 .. v_count loop
    v_part := v_parts[i];
    if v_part ~ '^0x[0-9a-f]*$' then
      v_base := 16;
      v_digits := substr(v_part, 3);
    elsif v_part ~ '^0[0-7]*$' then
      v_base := 8;
      v_digits := v_part;
    elsif v_part ~ '^[1-9][0-9]*$' then
      v_base := 10;
      v_digits := v_part;
    else
      perform coord.fail('CO451', format('%s is not an IPv4 address (part %s)',
                                         pg_catalog.quote_literal(left(p_host, 100)), pg_catalog.quote_literal(v_part)));
    end if;
    v_digits := pg_catalog.ltrim(v_digits, '0');
    if char_length(v_digits) > 12 then  -- far above 2^32 in any base; keeps the arithmetic small
      perform coord.fail('CO451', format('%s is out of range for an IPv4 address', pg_catalog.quote_literal(left(p_host, 100))));
    end if;
    v_value := 0;
    for j in 1 .. char_length(v_digits) loop
      v_value := v_value * v_base + pg_catalog.strpos('0123456789abcdef', substr(v_digits, j, 1)) - 1;
    end loop;
    -- Every part but the last is one byte; the last fills the bytes that are left.
    if v_value >= (case when i < v_count then 256 else 256::numeric ^ (5 - v_count) end) then
      perform coord.fail('CO451', format('%s is out of range for an IPv4 address', pg_catalog.quote_literal(left(p_host, 100))));
    end if;
    v_address := case when i < v_count then v_address + v_value * 256::numeric ^ (4 - i) else v_address + v_value end;
  end loop;
  return '0.0.0.0'::inet + v_address::bigint;
end;
$$;

comment on function coord.ipv4_address(text) is 'The IPv4 address a numeric host denotes under inet_aton rules (1-4 parts, decimal, octal or 0x-hex; the last part fills the remaining bytes), null for a name (last label not numeric); CO451 for a host that ends in a number but is no such address.';
revoke all on function coord.ipv4_address(text) from public;
