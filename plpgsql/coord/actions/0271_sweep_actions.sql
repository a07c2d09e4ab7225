-- The action sweeper of one tenant (coord maintain): executing actions whose lease ran out go
-- back to approved or fail (coord.release_action), approved actions nobody claimed before
-- their deadline expire. Each a compare-and-set; rows other transactions hold are skipped,
-- never waited for. Proposed actions follow their approval requests (coord.expire_approvals).
create or replace function coord.sweep_actions(p_tenant_id uuid, p_limit integer)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_retried integer := 0;
  v_failed integer := 0;
  v_expired integer := 0;
  v_candidate coord.actions;
  v_row coord.actions;
begin
  for v_candidate in
    select * from coord.actions as a
    where a.tenant_id = p_tenant_id and a.state = 'executing' and a.lease_expires_at <= v_now
    order by a.lease_expires_at
    limit p_limit
    for update skip locked
  loop
    v_row := coord.release_action(v_candidate);
    if v_row.state = 'failed' then
      v_failed := v_failed + 1;
    elsif v_row.state = 'approved' then
      v_retried := v_retried + 1;
    end if;
  end loop;
  for v_candidate in
    select * from coord.actions as a
    where a.tenant_id = p_tenant_id and a.state = 'approved' and a.expires_at <= v_now
    order by a.expires_at
    limit p_limit
    for update skip locked
  loop
    v_row := coord.set_action_state(p_tenant_id, v_candidate.id, 'approved', v_candidate.claim, 'expired');
    if v_row.id is not null then
      perform coord.action_audit('action.expire', 'expired', v_row, 'nobody claimed it before its deadline', '{}',
        'info', true);
      v_expired := v_expired + 1;
    end if;
  end loop;
  return jsonb_build_object('actions_retried', v_retried, 'actions_failed', v_failed, 'actions_expired', v_expired);
end;
$$;

comment on function coord.sweep_actions(uuid, integer) is 'Sweeps up to p_limit expired action leases (back to approved, or failed after the last attempt) and approved actions past their claim deadline (expired) of the tenant, skipping rows in use; returns the counts.';
revoke all on function coord.sweep_actions(uuid, integer) from public;
