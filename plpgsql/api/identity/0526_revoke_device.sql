create or replace function api.revoke_device(p_name text)
returns api.result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_device_id uuid;
begin
  select p.id into v_device_id
  from coord.principals as p where p.tenant_id = v_me.tenant_id and p.name = p_name and p.kind = 'device';
  if not found then
    perform coord.fail('CO302', format('device %s', coalesce(left(p_name, 100), 'null')));
  end if;
  v_decision := authz.gate('device.revoke', 'principal', p_name, jsonb_build_object('acts_on', v_device_id));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  return coord.revoke_device(v_me.tenant_id, v_device_id);
end;
$$;

comment on function api.revoke_device(text) is
'Operators: any device of your tenant; agents: the devices they own. Disables device p_name and revokes every token it holds (code revoked, or already_revoked); its next call fails with PT401. denied when the policy refuses (principal.not_owner). Errors: CO302 unknown device.';
revoke all on function api.revoke_device(text) from public;
grant execute on function api.revoke_device(text) to coord_agent, coord_operator;
