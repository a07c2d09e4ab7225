-- coord:owner coord_auth
-- The vouch binds verified claims to this backend and this transaction: a client that sets
-- request.jwt.claims by hand cannot produce it, and a captured one fails in any other
-- transaction. NMAC over SHA-256 with two independent 512-bit keys only coord_auth can read.
create or replace function coord.vouch_mac(p_claims text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.encode(
    pg_catalog.sha256(outer_key.value || pg_catalog.sha256(inner_key.value || pg_catalog.convert_to(
      p_claims
      || '|' || pg_catalog.pg_backend_pid()::text
      || '|' || (extract(epoch from pg_catalog.transaction_timestamp()) * 1000000)::bigint::text,
      'UTF8'))),
    'hex')
  from coord.secrets as inner_key, coord.secrets as outer_key
  where inner_key.name = 'vouch_inner' and outer_key.name = 'vouch_outer';
$$;

comment on function coord.vouch_mac(text) is 'MAC of claims text bound to backend pid and transaction start; only verified principals carry a matching coord.vouch.';
revoke all on function coord.vouch_mac(text) from public;
