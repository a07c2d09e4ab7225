-- coord:owner coord_auth
-- The verified caller of this transaction, or null. Claims count only when the vouch set by
-- api.authenticate() matches them and the active role is the principal's own.
create or replace function coord.try_principal()
returns api.principal_info
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_claims_text text := pg_catalog.current_setting('request.jwt.claims', true);
  v_vouch text := pg_catalog.current_setting('coord.vouch', true);
  v_claims jsonb;
begin
  if v_claims_text is null or v_vouch is null or v_vouch = '' then
    return null;
  end if;
  if v_vouch is distinct from coord.vouch_mac(v_claims_text) then
    return null;
  end if;
  v_claims := v_claims_text::jsonb;
  if v_claims ->> 'role' is distinct from pg_catalog.current_setting('role') then
    return null;
  end if;
  return row(
    (v_claims ->> 'sub')::uuid,
    v_claims ->> 'kind',
    v_claims ->> 'name',
    v_claims ->> 'principal_role',
    (v_claims ->> 'tenant')::uuid,
    v_claims ->> 'tenant_name',
    array(select jsonb_array_elements_text(v_claims -> 'scopes')),
    (v_claims ->> 'session')::uuid,
    (v_claims ->> 'token')::uuid,
    (v_claims ->> 'token_expires_at')::timestamptz
  )::api.principal_info;
end;
$$;

comment on function coord.try_principal() is 'The vouched principal of this transaction, or null when there is none (no token, forged or replayed claims, or a role switched by hand).';
revoke all on function coord.try_principal() from public;
grant execute on function coord.try_principal() to coord_owner;
