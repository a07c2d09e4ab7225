-- One address, one form. An IPv6 address that embeds an IPv4 one is that IPv4 address for
-- policy: IPv4-mapped (::ffff:a.b.c.d, what a dual-stack socket connects to), IPv4-compatible
-- (::a.b.c.d; :: and ::1 excepted), the NAT64 well-known prefix (64:ff9b::a.b.c.d, RFC
-- 6052, which a NAT64 gateway forwards to a.b.c.d) and the local-use NAT64 block
-- (64:ff9b:1::/48, RFC 8215: a network picks its translation prefix inside it, read here as a
-- /96, the IPv4 address in the last 32 bits, as 64:ff9b::/96 is, whatever bits 48-95 hold).
-- Everything else keeps its family; its text
-- (host()) is the canonical spelling: dotted quad, or RFC 5952 IPv6 (lower case, longest zero
-- run compressed).
create or replace function coord.canonical_address(p_address inet)
returns inet
language sql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
  select case
    when pg_catalog.family(p_address) = 6 and (p_address <<= '::ffff:0:0/96'::inet
                                               or p_address <<= '64:ff9b::/96'::inet
                                               or p_address <<= '64:ff9b:1::/48'::inet
                                               or (p_address <<= '::/96'::inet and p_address > '::1'::inet))
      then '0.0.0.0'::inet + (p_address - pg_catalog.network(pg_catalog.set_masklen(p_address, 96)))
    else pg_catalog.host(p_address)::inet
  end;
$$;

comment on function coord.canonical_address(inet) is 'p_address as policy sees it: IPv6 addresses embedding an IPv4 one (::ffff:0:0/96 mapped, ::/96 compatible except :: and ::1, 64:ff9b::/96 NAT64, 64:ff9b:1::/48 local-use NAT64 read as a /96) become that IPv4 address; others unchanged (as a host address).';
revoke all on function coord.canonical_address(inet) from public;
