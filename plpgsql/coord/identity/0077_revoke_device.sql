-- Revoking a device disables the principal and revokes each of its live tokens, so it is
-- refused on its next call whichever token it holds.
create or replace function coord.revoke_device(p_tenant_id uuid, p_device_id uuid)
returns api.result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_device record;
  v_now timestamptz := coord.now();
  v_tokens uuid[];
begin
  select p.id, p.name, p.disabled_at into v_device
  from coord.principals as p
  where p.tenant_id = p_tenant_id and p.id = p_device_id and p.kind = 'device'
  for update;
  if not found then
    perform coord.fail('CO302', format('device %s', p_device_id));
  end if;
  if v_device.disabled_at is not null then
    return coord.result('already_revoked', format('revoked at %s', v_device.disabled_at),
                        jsonb_build_object('principal_name', v_device.name));
  end if;
  update coord.principals set disabled_at = v_now where tenant_id = p_tenant_id and id = p_device_id;
  with r as (
    update coord.tokens set revoked_at = v_now
    where tenant_id = p_tenant_id and principal_id = p_device_id and revoked_at is null
    returning id
  )
  select coalesce(array_agg(id order by id), '{}') into v_tokens from r;
  perform audit.record('device.revoke', 'revoked', 'principal', v_device.name, null,
    jsonb_build_object('principal_id', p_device_id, 'tokens', v_tokens), p_tenant_id => p_tenant_id,
    p_severity => 'notice');
  return coord.result('revoked', p_details => jsonb_build_object('principal_name', v_device.name, 'tokens', v_tokens));
end;
$$;

comment on function coord.revoke_device(uuid, uuid) is 'Disables a device of the tenant and revokes its live tokens: its next call fails with PT401. revoked or already_revoked; CO302 unknown device.';
revoke all on function coord.revoke_device(uuid, uuid) from public;
