create or replace function api.claim_action(p_action_id bigint default null, p_lease interval default null)
returns api.action_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller;
  v_decision authz.decision;
  v_now timestamptz := coord.now();
  v_lease interval := coalesce(p_lease, (select s.lease_default from coord.action_settings as s));
  v_row coord.actions;
  v_new coord.actions;
  v_grant coord.approval_requests;
  v_audit jsonb := jsonb_strip_nulls(jsonb_build_object('action_id', p_action_id, 'lease', p_lease));
begin
  perform coord.check_action_input(p_lease => p_lease);
  if p_action_id is not null and p_action_id <= 0 then
    perform coord.fail('CO457', format('action id %s', p_action_id));
  end if;
  perform coord.require_read_committed();
  v_decision := authz.gate('action.claim', 'action', coalesce(p_action_id::text, 'next'), '{}', v_audit);
  if not v_decision.allowed then
    return coord.action_result(p_action_id => p_action_id, p_refusal => v_decision);
  end if;
  v_me := coord.principal();
  perform coord.touch_presence(v_me);

  if p_action_id is null then
    -- The oldest approved action aimed at the caller that is still claimable; others' claims
    -- in flight are skipped, never waited for.
    select * into v_row from coord.actions as a
    where a.tenant_id = v_me.tenant_id and a.target_id = v_me.principal_id and a.state = 'approved'
      and a.expires_at > v_now
    order by a.id
    limit 1
    for update skip locked;
    if not found then
      perform audit.record('action.claim', 'empty', 'action', 'next', null, v_audit, v_decision);
      return coord.action_result('empty', p_reason => 'no approved action for you: wait on details.channel',
        p_details => jsonb_build_object('channel', coord.action_channel(v_me.tenant_id, v_me.principal_id)));
    end if;
  else
    v_row := coord.visible_action(p_action_id, true);
    if v_row.target_id <> v_me.principal_id then
      perform coord.action_audit('action.claim', 'not_target', v_row, 'only the target claims an action', v_audit,
        'warning', false, v_decision);
      return coord.action_result('not_target', v_row.id, format('action %s is for %s', v_row.id, v_row.target_name),
        v_row.state, v_row.claim, v_row.approval_id);
    end if;
    if v_row.state = 'executing' and v_row.lease_expires_at <= coord.clock_now() then
      -- The last claim's lease ran out and no sweep has seen it yet: release it on the spot.
      v_row := coalesce(coord.release_action(v_row), v_row);
    end if;
    if v_row.state = 'approved' and v_row.expires_at <= v_now then
      v_new := coord.set_action_state(v_me.tenant_id, v_row.id, 'approved', v_row.claim, 'expired');
      perform coord.action_audit('action.expire', 'expired', v_new, 'nobody claimed it before its deadline', '{}',
        'info', true);
      perform coord.action_audit('action.claim', 'expired', v_new, 'the claim deadline passed', v_audit, 'warning',
        false, v_decision);
      return coord.action_result('expired', v_row.id, format('action %s expired unclaimed at %s', v_row.id, v_row.expires_at),
        v_new.state, v_new.claim, v_new.approval_id);
    end if;
    if v_row.state <> 'approved' then
      perform coord.action_audit('action.claim', 'not_claimable', v_row, format('the action is %s', v_row.state), v_audit,
        'warning', false, v_decision);
      return coord.action_result('not_claimable', v_row.id, format('action %s is %s, not approved', v_row.id, v_row.state),
        v_row.state, v_row.claim, v_row.approval_id,
        p_details => jsonb_build_object('channel', coord.action_channel(v_me.tenant_id, v_me.principal_id)));
    end if;
  end if;

  -- The first claim uses the approval: a single-use grant, for exactly this action.
  if v_row.attempts = 0 then
    select * into v_grant from coord.approval_requests as r
    where r.tenant_id = v_me.tenant_id and r.id = v_row.approval_id
    for update;
    if not found or v_grant.state <> 'approved' or v_grant.operation_hash <> v_row.operation_hash then
      perform coord.fail('CO460', format('action %s is approved but its approval %s is %s', v_row.id, v_row.approval_id,
                                         coalesce(v_grant.state, 'gone')));
    end if;
    if v_grant.expires_at <= v_now then  -- the grant ran out: it expires, and the action with it
      v_grant := coord.set_approval_state(v_me.tenant_id, v_grant.id, 'approved', 'expired');
      perform coord.approval_audit('approval.expire', 'expired', v_grant, 'the grant was not used in time', p_system => true);
      select * into v_new from coord.actions as a where a.id = v_row.id;
      perform coord.action_audit('action.claim', 'expired', v_new, 'the approval expired before the first claim', v_audit,
        'warning', false, v_decision);
      return coord.action_result('expired', v_row.id, format('the approval of action %s expired unused', v_row.id),
        v_new.state, v_new.claim, v_new.approval_id);
    end if;
    v_grant := coord.set_approval_state(v_me.tenant_id, v_grant.id, 'approved', 'used');
    perform coord.approval_audit('approval.use', 'used', v_grant, format('claimed: action %s', v_row.id),
      jsonb_build_object('action_id', v_row.id), 'notice', false, v_decision);
  end if;

  v_new := coord.set_action_state(v_me.tenant_id, v_row.id, 'approved', v_row.claim, 'executing',
    p_lease_expires_at => coord.clock_now() + v_lease);
  perform coord.action_audit('action.claim', 'executing', v_new,
    format('claim %s (attempt %s of %s)', v_new.claim, v_new.attempts, v_new.max_attempts),
    v_audit || jsonb_build_object('approval_id', v_new.approval_id), 'info', false, v_decision);
  return coord.action_result('claimed', v_new.id,
    format('action %s is yours with claim %s until %s', v_new.id, v_new.claim, v_new.lease_expires_at),
    v_new.state, v_new.claim, v_new.approval_id, v_new.lease_expires_at, v_new.kind, v_new.payload,
    jsonb_build_object('attempt', v_new.attempts, 'max_attempts', v_new.max_attempts, 'proposer', v_new.proposer_name));
end;
$$;

comment on function api.claim_action(bigint, interval) is
'Devices and agents (scope actions:claim): claim approved action p_action_id aimed at you, or the oldest one when null (an action whose last claim''s lease ran out is released first), with a lease of p_lease (1 second to 1 hour, default 5 minutes). Code claimed with the claim (the fencing token renew_action, complete_action and fail_action need), the lease, kind and payload; the first claim uses the action''s approval. empty when none is approved for you (LISTEN on details.channel: each approval is announced there); not_claimable (state says which), not_target, expired (the claim deadline or the approval ran out); denied when the policy refuses (details.rule). Errors: CO457 unknown action, CO458 lease, CO213.';
revoke all on function api.claim_action(bigint, interval) from public;
grant execute on function api.claim_action(bigint, interval) to coord_agent;
