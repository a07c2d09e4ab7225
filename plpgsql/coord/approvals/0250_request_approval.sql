-- Records that the caller needs approval for an operation (canonical jsonb p_operation, of
-- kind p_kind) on a target, asked by p_rules, needing p_scopes from a policy; returns the
-- request. While an identical request (same requester, operation hash and target) is pending,
-- that one is returned: repeating a call does not pile requests up. A pending request past its
-- expiry is expired on the spot and a new one made. Then the tenant's auto-approval policies
-- are asked (also for a request that was pending, so a policy added since applies), at the
-- requester's trust now: one that applies approves the request at once (audited as the policy's
-- decision).
create or replace function coord.request_approval(
  p_kind text,
  p_operation jsonb,
  p_target_type text,
  p_target_id text,
  p_rules text[],
  p_scopes text[],
  p_context jsonb default '{}'
)
returns coord.approval_requests
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_me coord.caller := coord.principal();
  v_now timestamptz := coord.now();
  v_hash bytea := coord.operation_hash(p_operation);
  v_settings coord.approval_settings;
  v_row coord.approval_requests;
  v_policy coord.approval_policies;
  v_asking coord.approval_requests;
  v_trust smallint := coord.current_trust();
begin
  select * into v_settings from coord.approval_settings;
  for i in 1..3 loop
    select * into v_row from coord.approval_requests as r
    where r.tenant_id = v_me.tenant_id and r.requester_id = v_me.principal_id and r.operation_hash = v_hash
      and r.target_type = p_target_type and r.target_id = p_target_id and r.state = 'pending'
    for update;
    exit when found and v_row.expires_at > v_now;
    if found then
      v_row := coord.set_approval_state(v_me.tenant_id, v_row.id, 'pending', 'expired', 'expired unanswered');
      if v_row.id is not null then
        perform coord.approval_audit('approval.expire', 'expired', v_row, 'expired unanswered', p_system => true);
      end if;
    end if;
    insert into coord.approval_requests as r (tenant_id, requester_id, requester_name, session_id, kind, operation,
                                              operation_hash, target_type, target_id, rules, scopes, trust, context,
                                              created_at, expires_at)
    values (v_me.tenant_id, v_me.principal_id, v_me.name, v_me.session_id, p_kind, p_operation, v_hash,
            p_target_type, p_target_id,
            array(select distinct x from unnest(coalesce(p_rules, '{}')) as x where x is not null order by 1),
            array(select distinct x from unnest(coalesce(p_scopes, '{}')) as x where x is not null order by 1),
            v_trust, coalesce(p_context, '{}'), v_now, v_now + v_settings.request_ttl)
    on conflict (tenant_id, requester_id, operation_hash, target_type, target_id) where state = 'pending' do nothing
    returning r.* into v_row;
    if found then  -- else an identical request committed meanwhile: take that one
      perform coord.approval_audit('approval.request', 'pending', v_row, p_context ->> 'reason',
        jsonb_build_object('session_id', v_me.session_id), 'notice');
      exit;
    end if;
  end loop;
  if v_row.id is null then  -- identical requests kept being decided under us: the caller may retry
    raise exception using errcode = '40001', message = 'approval request raced three times';
  end if;

  -- Policies judge the call being made now: a pending request keeps the trust its requester
  -- had when it first asked, which a demotion since must not keep reaching min_trust with.
  v_asking := v_row;
  v_asking.trust := v_trust;
  v_policy := coord.approval_policy_for(v_asking);
  if v_policy.id is not null then
    v_row := coord.set_approval_state(v_me.tenant_id, v_row.id, 'pending', 'approved',
      format('approved by policy %s', v_policy.name), null, null, v_policy.id, v_now + v_settings.grant_ttl);
    perform coord.approval_audit('approval.approve', 'approved', v_row, format('approved by policy %s', v_policy.name),
      jsonb_build_object('policy', v_policy.name, 'policy_scopes', to_jsonb(v_policy.scopes)), 'notice', true);
  end if;
  return v_row;
end;
$$;

comment on function coord.request_approval(text, jsonb, text, text, text[], text[], jsonb) is 'Records (or finds the pending identical) approval request of the caller for an operation on a target, audited approval.request; an auto-approval policy that applies approves it at once (audited approval.approve by the system, details.policy). Returns the request.';
revoke all on function coord.request_approval(text, jsonb, text, text, text[], text[], jsonb) from public;
