-- coord:owner coord_auth
-- The verified caller of this transaction, or null. Claims count only when the vouch set by
-- api.authenticate() matches them and the active role is the principal's own.
-- Verified once per api call: the first check fills coord.principal_cache (transaction-local)
-- with the caller under a key of the vouch (which binds the claims) and the role; later checks in the same call read it.
-- Its text is <vouch>|<role>|<tenant id>|<caller>: coord.current_tenant_id, which RLS runs once
-- per statement, reads the tenant without parsing the whole caller.
-- Every function a role other than the owners may execute resets the cache on entry with
-- `set coord.principal_cache = ''` (tests/test_principal_cache.py checks the catalog), so a value
-- a client set beforehand is never seen inside, and what is set inside is undone on exit.
-- PL/pgSQL on purpose: it runs several times per call and keeps its plans across calls.
-- The first check computes coord.vouch_mac's MAC inline (same formula; tests/test_principal_cache.py
-- holds them equal): one statement for the key, no second function entry with its SET clauses.
create or replace function coord.try_principal()
returns coord.caller
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_claims text := pg_catalog.current_setting('request.jwt.claims', true);
  v_vouch text := pg_catalog.current_setting('coord.vouch', true);
  v_cache text := pg_catalog.current_setting('coord.principal_cache', true);
  v_key text;
  v_keys bytea;
  v_caller coord.caller;
  c jsonb;
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  if v_vouch is null or v_vouch = '' then
    return null;
  end if;
  -- The vouch is a MAC over the claims (and this backend and transaction), so it stands for them.
  v_key := v_vouch || '|' || pg_catalog.current_setting('role') || '|';
  if v_cache is not null and pg_catalog.starts_with(v_cache, v_key) then
    return pg_catalog.substr(v_cache, pg_catalog.length(v_key) + 38)::coord.caller;  -- past '<tenant id>|'
  end if;
  select k.value into v_keys from coord.secrets as k where k.name = 'vouch';
  if v_keys is null then
    perform coord.fail('CO501', 'the vouch key is missing');
  end if;
  if v_vouch is distinct from pg_catalog.encode(pg_catalog.sha256(pg_catalog.substr(v_keys, 65, 64) || pg_catalog.sha256(
       pg_catalog.substr(v_keys, 1, 64) || pg_catalog.convert_to(
         v_claims || '|' || pg_catalog.pg_backend_pid()::text
         || '|' || (extract(epoch from pg_catalog.transaction_timestamp()) * 1000000)::bigint::text, 'UTF8'))), 'hex') then
    return null;
  end if;
  c := v_claims::jsonb;
  if c ->> 'role' is distinct from pg_catalog.current_setting('role') then
    return null;
  end if;
  -- Scopes are validated at issue time (no quotes or commas), so the JSON array maps directly.
  v_caller := row((c ->> 'sub')::uuid, c ->> 'kind', c ->> 'name', c ->> 'principal_role', (c ->> 'tenant')::uuid,
                   c ->> 'tenant_name', translate(c ->> 'scopes', '[]', '{}')::text[], (c ->> 'session')::uuid,
                   (c ->> 'token')::uuid, (c ->> 'token_expires_at')::timestamptz,
                   coalesce(c ->> 'repository', 'default'), (c ->> 'skill')::bigint)::coord.caller;
  if v_caller.tenant_id is not null then
    v_set := pg_catalog.set_config('coord.principal_cache', v_key || v_caller.tenant_id::text || '|' || v_caller::text, true);
  end if;
  return v_caller;
end;
$$;

comment on function coord.try_principal() is 'The vouched principal of this transaction, or null when there is none (no token, forged or replayed claims, or a role switched by hand); verified once per api call (coord.principal_cache, reset on entry to every function a client may execute).';
revoke all on function coord.try_principal() from public;
grant execute on function coord.try_principal() to coord_owner;
