-- An action follows its approval request, whoever moves the request (an approver, a policy,
-- the requester cancelling, expiry): approved -> the action is approved (claimable until the
-- grant expires; the target is told on its channel), denied or cancelled -> rejected, expired
-- -> expired (a pending request, or a grant no claim used). Only the request made for the
-- action moves it: same proposer and operation hash. Each move is a compare-and-set audited
-- with the approval that allowed it; a request of an action that moved on meanwhile is ignored.
create or replace function coord.tg_approval_requests__action()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_action coord.actions;
  v_row coord.actions;
  v_details jsonb;
begin
  if new.target_id !~ '^[0-9]{1,18}$' then
    return null;
  end if;
  select * into v_action from coord.actions as a
  where a.tenant_id = new.tenant_id and a.id = new.target_id::bigint
    and (a.approval_id is null or a.approval_id = new.id)
    and a.proposer_id = new.requester_id and a.operation_hash = new.operation_hash
  for update;
  if not found then
    return null;
  end if;
  v_details := jsonb_strip_nulls(jsonb_build_object('approval_id', new.id, 'approval_state', new.state,
    'decided_by', new.decided_by_name, 'policy_id', new.policy_id, 'decision_reason', new.decision_reason));
  if new.state = 'approved' and old.state = 'pending' then
    v_row := coord.set_action_state(new.tenant_id, v_action.id, 'proposed', 0, 'approved',
      p_expires_at => new.expires_at, p_approval_id => new.id);
    if v_row.id is not null then
      perform coord.action_audit('action.approve', 'approved', v_row,
        coalesce('approved by ' || new.decided_by_name, 'approved by policy ' || new.policy_id::text), v_details,
        'notice', new.decided_by is null);
      perform pg_catalog.pg_notify(coord.action_channel(v_row.tenant_id, v_row.target_id), v_row.id::text);
    end if;
  elsif new.state in ('denied', 'cancelled') then
    v_row := coord.set_action_state(new.tenant_id, v_action.id, 'proposed', 0, 'rejected', p_approval_id => new.id,
      p_error => case new.state when 'cancelled' then 'withdrawn by the proposer' else new.decision_reason end);
    if v_row.id is not null then
      perform coord.action_audit('action.reject', 'rejected', v_row,
        case new.state when 'cancelled' then 'the proposer withdrew it' else 'denied by ' || new.decided_by_name end,
        v_details, 'notice');
    end if;
  elsif new.state = 'expired' and v_action.state in ('proposed', 'approved') and v_action.claim = 0 then
    v_row := coord.set_action_state(new.tenant_id, v_action.id, v_action.state, 0, 'expired', p_approval_id => new.id);
    if v_row.id is not null then
      perform coord.action_audit('action.expire', 'expired', v_row,
        case v_action.state when 'proposed' then 'its approval request expired unanswered'
                            else 'nobody claimed it before its approval expired' end,
        v_details, 'info', true);
    end if;
  end if;
  return null;
end;
$$;

comment on function coord.tg_approval_requests__action() is 'Trigger: moves the action an approval request was made for (same proposer and operation hash) as the request moves: approved -> approved (NOTIFY coord.action_channel of the target), denied | cancelled -> rejected, expired -> expired (unclaimed); compare-and-set, audited with the approval.';
revoke all on function coord.tg_approval_requests__action() from public;

create or replace trigger approval_requests_action after update of state on coord.approval_requests
  for each row when (new.target_type = 'action' and new.state is distinct from old.state)
  execute function coord.tg_approval_requests__action();
