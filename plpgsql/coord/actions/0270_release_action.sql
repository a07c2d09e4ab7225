-- An executing action whose lease ran out (the sweeper, or a late call by its executor that
-- finds it so): back to approved for another attempt, claimable for the retry window (the
-- target is told), or failed when that was the last attempt. Compare-and-set on the state and
-- the claim the caller saw; audited as the system. Null when the action moved on meanwhile.
create or replace function coord.release_action(p_row coord.actions)
returns coord.actions
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_row coord.actions;
  v_last boolean := p_row.attempts >= p_row.max_attempts;
begin
  v_row := coord.set_action_state(p_row.tenant_id, p_row.id, 'executing', p_row.claim,
    case when v_last then 'failed' else 'approved' end,
    p_error => format('the lease of claim %s ran out', p_row.claim),
    p_expires_at => case when not v_last
                         then coord.now() + (select s.retry_window from coord.action_settings as s) end);
  if v_row.id is null then
    return null;
  end if;
  perform coord.action_audit('action.lease_expired', v_row.state, v_row,
    case when v_last then format('the lease ran out on the last attempt (%s of %s)', v_row.attempts, v_row.max_attempts)
         else format('the lease ran out (attempt %s of %s): claimable again', v_row.attempts, v_row.max_attempts) end,
    jsonb_build_object('expired_claim', p_row.claim, 'lease_expired_at', p_row.lease_expires_at), 'warning', true);
  if not v_last then
    perform pg_catalog.pg_notify(coord.action_channel(v_row.tenant_id, v_row.target_id), v_row.id::text);
  end if;
  return v_row;
end;
$$;

comment on function coord.release_action(coord.actions) is 'Ends an executing action''s expired claim: approved again (retry, NOTIFY the target) or failed after max_attempts; compare-and-set on state and claim, audited action.lease_expired by the system. Null when the action moved on.';
revoke all on function coord.release_action(coord.actions) from public;
