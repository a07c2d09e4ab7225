-- coord:owner coord_auth
-- The vouch binds verified claims to this backend and this transaction: a client that sets
-- request.jwt.claims by hand cannot produce it, and a captured one fails in any other
-- transaction. NMAC over SHA-256 with two independent 512-bit keys only coord_auth can read.
create or replace function coord.vouch_mac(p_claims text)
returns text
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_keys bytea;
begin
  select k.value into v_keys from coord.secrets as k where k.name = 'vouch';
  if v_keys is null then
    perform coord.fail('CO501', 'the vouch key is missing');
  end if;
  return pg_catalog.encode(pg_catalog.sha256(substr(v_keys, 65, 64) || pg_catalog.sha256(
    substr(v_keys, 1, 64) || pg_catalog.convert_to(
      p_claims || '|' || pg_catalog.pg_backend_pid()::text
      || '|' || (extract(epoch from pg_catalog.transaction_timestamp()) * 1000000)::bigint::text, 'UTF8'))), 'hex');
end;
$$;

comment on function coord.vouch_mac(text) is 'MAC of claims text bound to backend pid and transaction start; only verified principals carry a matching coord.vouch.';
revoke all on function coord.vouch_mac(text) from public;
