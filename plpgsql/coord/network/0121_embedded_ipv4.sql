-- The IPv4 address an IPv6 address carries to where a packet for it goes, or null:
--   ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated, RFC 2765), ::a.b.c.d (compatible;
--   :: and ::1 excepted) and 64:ff9b::/96
--   (NAT64 well-known prefix): the last 32 bits;
--   the rest of 64:ff9b::/32, the local-use 64:ff9b:1::/48 (RFC 8215) included: a NAT64
--   translation prefix there may be a /32, /40, /48, /56, /64 or /96, and RFC 6052 places the
--   IPv4 address differently for each (skipping bits 64-71, the u octet, which must be zero).
--   Every placement is tried (below /96 only with a zero u octet and a zero suffix, as RFC 6052
--   writes them) and one that lands in a non-global range (loopback, private,
--   link-local where the metadata services answer, ...) wins: a gateway configured with that
--   prefix length reaches it. Otherwise the /96 placement counts inside 64:ff9b:1::/48 (as
--   before), and nothing outside it;
--   2002::/16 (6to4, bits 16-47) and 2001::/32 (Teredo, the client's address inverted in the
--   last 32 bits) when that IPv4 address is non-global: 6to4 and Teredo addresses of such an
--   address are invalid as tunnel endpoints, and the only host they can name is that one.
-- A network-specific NAT64 prefix elsewhere cannot be told from the address: a tenant that runs
-- one denies its range with an address rule (2001:db8:64::/96).
create or replace function coord.embedded_ipv4(p_address inet)
returns inet
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  -- the 16 address bytes (inet_send: family, bits, is_cidr, length, then the address)
  v bytea;
  v_candidate inet;
  v_at integer[];
  -- non-global IPv4 ranges: a placement landing in one of them is taken
  -- (not 0.0.0.0/8: no gateway or relay sends to it, and zero bytes land there by chance)
  v_special constant inet[] := array['10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16',
                                     '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4',
                                     '240.0.0.0/4']::inet[];
begin
  if pg_catalog.family(p_address) <> 6 then
    return null;
  end if;
  if p_address <<= '::ffff:0:0/96'::inet or p_address <<= '::ffff:0:0:0/96'::inet or p_address <<= '64:ff9b::/96'::inet
     or (p_address <<= '::/96'::inet and p_address > '::1'::inet) then
    return '0.0.0.0'::inet + (p_address - pg_catalog.network(pg_catalog.set_masklen(p_address, 96)));
  end if;
  v := substr(pg_catalog.inet_send(pg_catalog.host(p_address)::inet), 5, 16);
  if p_address <<= '64:ff9b::/32'::inet then
    -- RFC 6052 placements (0-based byte offsets) for prefix lengths 32, 40, 48, 56, 64 and 96;
    -- below /96 the u octet (byte 8) and the suffix after the address are zero
    foreach v_at slice 1 in array array[[4, 5, 6, 7], [5, 6, 7, 9], [6, 7, 9, 10], [7, 9, 10, 11], [9, 10, 11, 12],
                                         [12, 13, 14, 15]] loop
      continue when v_at[1] <> 12 and (get_byte(v, 8) <> 0 or ltrim(encode(substr(v, v_at[4] + 2), 'hex'), '0') <> '');
      v_candidate := format('%s.%s.%s.%s', get_byte(v, v_at[1]), get_byte(v, v_at[2]), get_byte(v, v_at[3]),
                            get_byte(v, v_at[4]))::inet;
      if v_candidate <<= any (v_special) then
        return v_candidate;
      end if;
    end loop;
    if p_address <<= '64:ff9b:1::/48'::inet then
      return format('%s.%s.%s.%s', get_byte(v, 12), get_byte(v, 13), get_byte(v, 14), get_byte(v, 15))::inet;
    end if;
    return null;
  end if;
  if p_address <<= '2002::/16'::inet then
    v_candidate := format('%s.%s.%s.%s', get_byte(v, 2), get_byte(v, 3), get_byte(v, 4), get_byte(v, 5))::inet;
  elsif p_address <<= '2001::/32'::inet then
    v_candidate := format('%s.%s.%s.%s', 255 - get_byte(v, 12), 255 - get_byte(v, 13), 255 - get_byte(v, 14),
                          255 - get_byte(v, 15))::inet;
  end if;
  return case when v_candidate <<= any (v_special) then v_candidate end;
end;
$$;

comment on function coord.embedded_ipv4(inet) is 'The IPv4 address an IPv6 address carries for policy, or null: mapped, compatible (not :: or ::1) and 64:ff9b::/96 always; 64:ff9b::/32 (local-use 64:ff9b:1::/48 included) in any RFC 6052 placement that lands in a non-global range, else the /96 placement inside 64:ff9b:1::/48; 6to4 (2002::/16) and Teredo (2001::/32, client address) when non-global.';
revoke all on function coord.embedded_ipv4(inet) from public;
