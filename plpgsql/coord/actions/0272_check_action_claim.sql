-- Locks action p_id and checks that p_claim is the caller's live claim on it: null when it is;
-- otherwise the result saying why not, audited as the refusal of p_event: not_target (the
-- caller is not the action's target), stale_fence (the action was claimed again since, or
-- finished: a late executor's report never lands), expired (the lease ran out before this
-- call: the action is released on the spot, back to approved or failed). CO457 for an action
-- the caller may not see.
create or replace function coord.check_action_claim(p_me coord.caller, p_id bigint, p_claim bigint, p_event text,
                                                    p_decision authz.decision)
returns api.action_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_row coord.actions := coord.visible_action(p_id, true);
  v_code text;
  v_reason text;
  v_released coord.actions;
begin
  if v_row.target_id <> p_me.principal_id then
    v_code := 'not_target';
    v_reason := format('action %s is for %s', p_id, v_row.target_name);
  elsif v_row.state <> 'executing' or v_row.claim <> p_claim then
    v_code := 'stale_fence';
    v_reason := case when v_row.claim <> p_claim
                     then format('claim %s is stale: action %s is %s with claim %s', p_claim, p_id, v_row.state, v_row.claim)
                     else format('action %s is %s: claim %s no longer holds it', p_id, v_row.state, p_claim) end;
  elsif v_row.lease_expires_at <= coord.clock_now() then
    v_released := coord.release_action(v_row);
    v_row := coalesce(v_released, v_row);
    v_code := 'expired';
    v_reason := format('the lease of claim %s ran out; action %s is %s', p_claim, p_id, v_row.state);
  else
    return null;
  end if;
  perform coord.action_audit(p_event, v_code, v_row, v_reason, jsonb_build_object('presented_claim', p_claim),
    'warning', false, p_decision);
  return coord.action_result(v_code, p_id, v_reason, v_row.state, v_row.claim, v_row.approval_id,
    v_row.lease_expires_at, p_details => jsonb_build_object('presented_claim', p_claim));
end;
$$;

comment on function coord.check_action_claim(coord.caller, bigint, bigint, text, authz.decision) is 'Null when p_claim is the caller''s live claim on the (now locked) action; else a not_target, stale_fence or expired result (an expired lease is released first), audited as p_event. CO457 for an action the caller may not see.';
revoke all on function coord.check_action_claim(coord.caller, bigint, bigint, text, authz.decision) from public;
