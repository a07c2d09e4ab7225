-- Canonical form of a network rule pattern, and the addresses it covers: a host name (exact),
-- *.name (every subdomain of name, not name itself), an address in any spelling
-- coord.normalize_host accepts, or a range address/prefix-length (IPv4 0-32, IPv6 0-128; the
-- address in any spelling, with no bits set past the prefix: CO454). Addresses and ranges get
-- network (a single address is /32 or /128 and is written without the length); names get none.
-- A range inside the IPv4-mapped, -compatible or NAT64 prefixes with a length of at least 96 is
-- the IPv4 range it embeds, as addresses are.
create or replace function coord.network_pattern(p_pattern text, out pattern text, out network cidr)
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := pg_catalog.lower(pg_catalog.btrim(p_pattern));
  v_parts text[] := pg_catalog.regexp_match(v, '^([^/]+)/([0-9]{1,3})$');
  v_address inet;
  v_embedded inet;
  v_length integer;
begin
  if v_parts is not null then
    -- The address as written (an IPv6 one before any IPv4 it embeds is taken out), no port.
    if v_parts[1] ~ ':.*:' then
      v_address := coord.ipv6_address(pg_catalog.regexp_replace(v_parts[1], '^\[(.*)\]$', '\1'));
    elsif v_parts[1] ~ '^[0-9a-fx.]+$' then
      v_address := coord.ipv4_address(pg_catalog.regexp_replace(v_parts[1], '\.$', ''));
    end if;
    if v_address is null then
      perform coord.fail('CO454', format('%s: a range is an address and a prefix length, such as 10.0.0.0/8 or fd00::/8',
                                         pg_catalog.quote_literal(left(p_pattern, 100))));
    end if;
    v_length := v_parts[2]::integer;
    if v_length > (case pg_catalog.family(v_address) when 4 then 32 else 128 end) then
      perform coord.fail('CO454', format('prefix length %s of %s', v_length, pg_catalog.quote_literal(left(p_pattern, 100))));
    end if;
    v_embedded := coord.canonical_address(v_address);
    if pg_catalog.family(v_embedded) <> pg_catalog.family(v_address) then
      if v_length < 96 then
        v_embedded := v_address;  -- a wider IPv6 range stays IPv6
      else
        v_length := v_length - 96;
      end if;
    end if;
    network := pg_catalog.set_masklen(v_embedded, v_length)::cidr;
    if pg_catalog.host(network) <> pg_catalog.host(v_embedded) then
      perform coord.fail('CO454', format('%s has bits set past its prefix', pg_catalog.quote_literal(left(p_pattern, 100))),
        format('the range is %s', pg_catalog.network(pg_catalog.set_masklen(v_embedded, v_length))));
    end if;
  elsif left(v, 2) = '*.' then
    pattern := coord.normalize_host(substr(v, 3));
    if pattern ~ '^[0-9.]+$' or strpos(pattern, ':') > 0 then
      perform coord.fail('CO451', format('%s: *. applies to host names, not addresses; write a range such as 10.0.0.0/8',
                                         pg_catalog.quote_literal(left(p_pattern, 100))));
    end if;
    pattern := '*.' || pattern;
    return;
  else
    pattern := coord.normalize_host(v);
    network := case when pattern ~ '^[0-9.]+$' or strpos(pattern, ':') > 0 then pattern::cidr end;
    return;
  end if;
  pattern := case when pg_catalog.masklen(network) = case pg_catalog.family(network) when 4 then 32 else 128 end
                  then pg_catalog.host(network) else network::text end;
end;
$$;

comment on function coord.network_pattern(text) is 'Canonical rule pattern and the addresses it covers: name (network null), *.name (network null), address (network /32 or /128) or range address/length (CO454 for a bad length or bits past the prefix); IPv4 embedded in IPv6 as IPv4.';
revoke all on function coord.network_pattern(text) from public;
