-- One address, one form. An IPv6 address that carries an IPv4 one to where its packets go is
-- that IPv4 address for policy (coord.embedded_ipv4: IPv4-mapped ::ffff:a.b.c.d, what a
-- dual-stack socket connects to; IPv4-compatible ::a.b.c.d, :: and ::1 excepted; NAT64
-- 64:ff9b::/96 and the rest of 64:ff9b::/32 in RFC 6052 placements, the local-use 64:ff9b:1::/48
-- included; 6to4 and Teredo forms of non-global IPv4 addresses). Everything else keeps its
-- family; its text (host()) is the canonical spelling: dotted quad, or RFC 5952 IPv6 (lower
-- case, longest zero run compressed).
create or replace function coord.canonical_address(p_address inet)
returns inet
language sql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(coord.embedded_ipv4(p_address), pg_catalog.host(p_address)::inet);
$$;

comment on function coord.canonical_address(inet) is 'p_address as policy sees it: IPv6 addresses carrying an IPv4 one (coord.embedded_ipv4: mapped, compatible except :: and ::1, NAT64 64:ff9b::/32 in RFC 6052 placements, local-use 64:ff9b:1::/48 read as a /96 unless another placement is non-global, 6to4 and Teredo of non-global addresses) become that IPv4 address; others unchanged (as a host address).';
revoke all on function coord.canonical_address(inet) from public;
