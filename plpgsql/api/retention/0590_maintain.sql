create or replace function api.maintain()
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
  v_counts jsonb;
begin
  perform coord.require_read_committed();
  v_decision := authz.gate('queue.maintain', 'tenant', v_me.tenant_id::text);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  v_counts := coord.sweep(v_me.tenant_id, 1000, true);
  -- Pending approval requests and unused grants past their expiry become expired.
  v_counts := v_counts || jsonb_build_object('approvals_expired', coord.expire_approvals(v_me.tenant_id, 1000));
  -- Action leases that ran out (retry or fail) and approved actions nobody claimed in time.
  v_counts := v_counts || coord.sweep_actions(v_me.tenant_id, 1000);
  -- Memories past their ttl or their tier's retention.
  v_counts := v_counts || coord.sweep_memories(v_me.tenant_id, 1000);
  -- Seal the tenant's finished audit events into its hash chain (0 when another sealer is at it).
  v_counts := v_counts || jsonb_build_object('audit_sealed', audit.seal(v_me.tenant_id));
  -- Logins whose role defaults drifted (audited once each, critical: the login-drift alert).
  v_counts := v_counts || jsonb_build_object('login_drift', coord.check_logins(v_me.tenant_id));
  perform audit.record('queue.maintain', 'swept', 'tenant', v_me.tenant_id::text, null, v_counts, v_decision);
  return coord.result('swept', p_details => v_counts);
end;
$$;

comment on function api.maintain() is
'Operators: one eager sweep of your tenant now: ends sessions that missed their heartbeat (releasing their leases, requeueing their claims), rescues expired claims (requeue with backoff, or dead) and removes expired leases, expires approval requests and unused approvals past their expiry (approvals_expired), returns actions whose lease ran out to approved or fails them after their last attempt and expires approved actions nobody claimed in time (actions_retried, actions_failed, actions_expired), up to 1000 of each, deletes memories past their ttl or their tier''s retention (memories_expired, memories_retired, up to 1000 each), seals finished audit events into the tenant''s hash chain (audit_sealed), and audits drift of the logins that serve the tenant (the gateway, the request roles, its bound logins: login_drift, critical alert login-drift). Code swept, details counts; denied when the policy refuses (details.rule). coord maintain runs this for every tenant in a loop.';
revoke all on function api.maintain() from public;
grant execute on function api.maintain() to coord_operator;
