-- A device: a principal of kind device owned by p_owner_id, authenticating as the agent role
-- with its own scoped token. Called by api.add_device after the gate.
create or replace function coord.add_device(
  p_tenant_id uuid,
  p_owner_id uuid,
  p_name text,
  p_scopes text[],
  p_expires_in interval default null
)
returns api.token_grant
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_device_id uuid;
begin
  if p_name is null or p_name !~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$' then
    perform coord.fail('CO221', format('name %s', coalesce(left(p_name, 100), 'null')));
  end if;
  insert into coord.principals (tenant_id, kind, role, name, created_at, owner_id)
  values (p_tenant_id, 'device', 'agent', p_name, coord.now(), p_owner_id)
  on conflict (tenant_id, name) do nothing
  returning id into v_device_id;
  if v_device_id is null then
    perform coord.fail('CO304', format('%s already exists', p_name));
  end if;
  perform audit.record('device.add', 'created', 'principal', p_name, null,
    jsonb_build_object('principal_id', v_device_id, 'owner_id', p_owner_id, 'scopes', p_scopes),
    p_tenant_id => p_tenant_id);
  return coord.issue_token(p_tenant_id, v_device_id, p_scopes, p_expires_in, 'device');
end;
$$;

comment on function coord.add_device(uuid, uuid, text, text[], interval) is 'Creates device p_name owned by p_owner_id (role agent, kind device) and issues its first token with p_scopes. CO221 bad name, CO222/CO241 bad scopes, CO223 bad lifetime, CO304 name taken.';
revoke all on function coord.add_device(uuid, uuid, text, text[], interval) from public;
