-- The action p_id as the caller may see it: the actions it proposed or is the target of;
-- every action of the tenant for operators, auditors and agents at trust 4. Anything else,
-- like an action of another tenant, is unknown (CO457), so ids reveal nothing. p_lock locks it.
create or replace function coord.visible_action(p_id bigint, p_lock boolean default false)
returns coord.actions
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_row coord.actions;
begin
  if p_id is null or p_id <= 0 then
    perform coord.fail('CO457', format('action id %s', coalesce(p_id::text, 'null')));
  end if;
  if p_lock then
    select * into v_row from coord.actions as a where a.tenant_id = v_me.tenant_id and a.id = p_id for update;
  else
    select * into v_row from coord.actions as a where a.tenant_id = v_me.tenant_id and a.id = p_id;
  end if;
  if not found or (v_me.principal_id not in (v_row.proposer_id, v_row.target_id) and v_me.role = 'agent'
                   and coord.current_trust() < 4) then
    perform coord.fail('CO457', format('action %s', p_id));
  end if;
  return v_row;
end;
$$;

comment on function coord.visible_action(bigint, boolean) is 'The action p_id if the caller may see it (proposed by it or aimed at it; all of the tenant for operators, auditors and trust-4 agents), locked when p_lock; CO457 otherwise.';
revoke all on function coord.visible_action(bigint, boolean) from public;
