-- coord:owner coord_auth
-- The verified caller of this transaction, or null. Claims count only when the vouch set by
-- api.authenticate() matches them and the active role is the principal's own.
-- PL/pgSQL on purpose: it runs several times per call and keeps its plans across calls.
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
  c jsonb;
begin
  if v_vouch is null or v_vouch = '' or v_vouch is distinct from coord.vouch_mac(v_claims) then
    return null;
  end if;
  c := v_claims::jsonb;
  if c ->> 'role' is distinct from pg_catalog.current_setting('role') then
    return null;
  end if;
  -- Scopes are validated at issue time (no quotes or commas), so the JSON array maps directly.
  return row((c ->> 'sub')::uuid, c ->> 'kind', c ->> 'name', c ->> 'principal_role', (c ->> 'tenant')::uuid,
             c ->> 'tenant_name', translate(c ->> 'scopes', '[]', '{}')::text[], (c ->> 'session')::uuid,
             (c ->> 'token')::uuid, (c ->> 'token_expires_at')::timestamptz, coalesce(c ->> 'repository', 'default'))::coord.caller;
end;
$$;

comment on function coord.try_principal() is 'The vouched principal of this transaction, or null when there is none (no token, forged or replayed claims, or a role switched by hand).';
revoke all on function coord.try_principal() from public;
grant execute on function coord.try_principal() to coord_owner;
