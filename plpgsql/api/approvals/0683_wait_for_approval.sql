create or replace function api.wait_for_approval(p_approval_id bigint, p_timeout interval default '0 seconds')
returns api.approval_result
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('approval.read');
  v_row coord.approval_requests;
  v_now timestamptz := coord.now();
  v_state text;
begin
  perform coord.check_approval_input(null, false, null, p_timeout);
  v_row := coord.visible_approval(p_approval_id);
  -- A request past its expiry is expired, whether or not the sweeper got to it yet.
  v_state := case when v_row.state in ('pending', 'approved') and v_row.expires_at <= v_now then 'expired'
                  else v_row.state end;
  return coord.approval_result(
    case v_state when 'pending' then 'approval_pending' when 'approved' then 'approval_granted' else 'approval_closed' end,
    v_row.id,
    case v_state
      when 'pending' then format('waiting for an approver until %s', v_row.expires_at)
      when 'approved' then format('approved by %s: repeat the call with p_approval => %s before %s',
                                  coalesce(v_row.decided_by_name, 'a policy'), v_row.id, v_row.expires_at)
      when 'used' then format('approved and used at %s', v_row.used_at)
      else format('%s%s', v_state, coalesce(': ' || v_row.decision_reason, '')) end,
    v_state, v_row.expires_at,
    jsonb_strip_nulls(jsonb_build_object(
      'channel', coord.approval_channel(v_me.tenant_id, v_row.id),
      'timeout_seconds', extract(epoch from p_timeout),
      'decided_by', v_row.decided_by_name, 'decision_reason', v_row.decision_reason,
      'policy_id', v_row.policy_id)));
end;
$$;

comment on function api.wait_for_approval(bigint, interval) is
'The state of approval request p_approval_id now (yours; operators, auditors and trust-4 agents see all): code approval_pending (waiting for an approver), approval_granted (approved and unused: repeat your call with p_approval => the id before expires_at) or approval_closed (state denied, expired, cancelled or used), with details.channel: LISTEN on it before calling, and each transition of the request is announced there (payload: the new state). The database answers at once; the client (Client.wait_for_approval, coord approvals wait, the MCP tool) waits on the channel up to p_timeout (0 to 15 minutes, coord.approval_settings.wait_max) and asks again. Read-only. Errors: CO464 unknown request, CO467 timeout, PT403.';
revoke all on function api.wait_for_approval(bigint, interval) from public;
grant execute on function api.wait_for_approval(bigint, interval) to coord_agent, coord_operator, coord_auditor;
