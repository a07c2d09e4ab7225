-- A new principal with its first token. Shared by api.create_agent (operators, inside their
-- tenant) and the admin path used by coord up / coord agent add.
create or replace function coord.register_principal(
  p_tenant_id uuid,
  p_role coord.request_role,
  p_name text,
  p_scopes text[] default '{*}',
  p_expires_in interval default null,
  p_repository text default null
)
returns api.token_grant
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal_id uuid;
begin
  if p_name is null or p_name !~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$' then
    perform coord.fail('CO221', format('name %s', coalesce(left(p_name, 100), 'null')));
  end if;
  if not exists (select from coord.tenants as t where t.id = p_tenant_id) then
    perform coord.fail('CO301', format('tenant %s', p_tenant_id));
  end if;

  insert into coord.principals (tenant_id, kind, role, name, created_at)
  values (p_tenant_id, case when p_role = 'agent' then 'agent' else 'user' end::coord.actor_type,
          p_role, p_name, coord.now())
  on conflict (tenant_id, name) do nothing
  returning id into v_principal_id;
  if v_principal_id is null then
    perform coord.fail('CO304', format('%s already exists', p_name));
  end if;

  perform audit.record('principal.create', 'created', 'principal', p_name, null,
    jsonb_build_object('principal_id', v_principal_id, 'role', p_role), p_tenant_id => p_tenant_id);
  return coord.issue_token(p_tenant_id, v_principal_id, p_scopes, p_expires_in, 'initial', p_repository);
end;
$$;

comment on function coord.register_principal(uuid, coord.request_role, text, text[], interval, text) is 'Creates a principal (agent, operator or auditor) in a tenant and issues its first token (for repository p_repository, if named). CO207 bad repository, CO221 bad name, CO301 unknown tenant, CO304 name taken.';
revoke all on function coord.register_principal(uuid, coord.request_role, text, text[], interval, text) from public;
