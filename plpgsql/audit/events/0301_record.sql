-- Append one audit event in the caller's transaction: it commits or vanishes with the change
-- it describes. The actor is the verified principal, or the system for sweeps and admin work.
-- p_caller and p_occurred_at: the caller's coord.principal() and coord.now() when the api function
-- holds them already (it passes them on, so the call verifies and reads the clock once); both are
-- what this function would read itself within the same call.
create or replace function audit.record(
  p_action text,
  p_decision text,
  p_target_type text default null,
  p_target_id text default null,
  p_reason text default null,
  p_details jsonb default '{}',
  p_authz authz.decision default null,
  p_severity text default 'info',
  p_system boolean default false,
  p_tenant_id uuid default null,
  p_caller coord.caller default null,
  p_occurred_at timestamptz default null
)
returns bigint
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal coord.caller := case when p_caller.principal_id is not null then p_caller else coord.try_principal() end;
  v_system boolean := p_system or v_principal.principal_id is null;
  v_id bigint;
  v_tenant_id uuid := coalesce(p_tenant_id, v_principal.tenant_id);
  v_woken boolean;
begin
  -- An event caused by a gated call (a task transition) carries the decision that allowed it.
  if p_authz is null and not v_system then
    p_authz := authz.statement_decision();
  end if;
  insert into audit.events (
    txid, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, target_id,
    decision, engine, rule, reason, severity, details, request
  ) values (
    -- audit.declare_event_writer's answer when the tenant's key was taken before any write
    -- (the gate's audit.declare_event_tenant): the transaction's id, without the call.
    case when pg_catalog.current_setting('coord.event_tenant', true) = v_tenant_id::text then pg_catalog.pg_current_xact_id()
         else audit.declare_event_writer(v_tenant_id) end,
    v_tenant_id,
    coalesce(p_occurred_at, coord.now()),
    case when v_system then 'system' else v_principal.kind::coord.actor_type end,
    case when v_system then null else v_principal.principal_id end,
    case when v_system then 'system' else v_principal.name end,
    p_action, p_target_type, p_target_id,
    p_decision, p_authz.engine, p_authz.rule, p_reason, p_severity,
    coalesce(p_details, '{}')
      || case when v_system and v_principal.principal_id is not null
              then jsonb_build_object('on_behalf_of', v_principal.principal_id) else '{}' end
      || case when p_authz.decision is not null
              then jsonb_build_object('authz', jsonb_build_object('decision', p_authz.decision, 'reason', p_authz.reason))
              else '{}' end,
    audit.request_context()
  )
  returning id into v_id;
  -- Wake the tenant's event followers, if it has any (assigned: an expression, not a query).
  -- On every event: a memo of the transaction's answer in a custom setting would be the
  -- client's to set (tests/test_attack_gate.py), and a forged one silenced the followers.
  v_woken := audit.wake_followers(v_tenant_id);
  return v_id;
end;
$$;

comment on function audit.record(text, text, text, text, text, jsonb, authz.decision, text, boolean, uuid, coord.caller, timestamptz) is 'Appends an audit event in the current transaction. Actor: the vouched principal, or system when p_system or unauthenticated (then p_tenant_id names the tenant). Without p_authz, a principal''s event carries the policy decision of the current statement, if any. p_caller and p_occurred_at: the caller''s coord.principal() and coord.now() when the api function read them already.';
revoke all on function audit.record(text, text, text, text, text, jsonb, authz.decision, text, boolean, uuid, coord.caller, timestamptz) from public;
