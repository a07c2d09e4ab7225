-- The one gate every mutating api function passes before it writes anything: the decision of
-- authz.decide (noted as the statement's, so the events its writes cause carry it) and, when
-- it refuses, the refusal audited: the event p_event (default p_action) on the target, decision
-- denied, the rule's reason (after p_reason_prefix), severity warning, p_details. The caller
-- then returns the refusal through its result constructor (p_refusal => the decision), which
-- gives every refusal one shape: ok false, code denied, the rule's reason, details.rule.
-- p_within marks a further decision inside a call the gate already passed (the leases a claim
-- takes, the claims a heartbeat extends): not counted against calls_per_hour, not noted.
-- p_profile: the caller's coord.effective_profile when the api function fetched it already (it
-- passes it on, so one call reads it once); omitted, authz.decide fetches it. p_caller: the
-- caller's coord.principal() when the api function holds it (the same value; read here when null).
-- First it takes the caller's tenant event-writer key (audit.declare_event_tenant).
create or replace function authz.gate(
  p_action text,
  p_target_type text,
  p_target_id text,
  p_context jsonb default '{}',
  p_details jsonb default '{}',
  p_event text default null,
  p_within text default null,
  p_reason_prefix text default null,
  p_profile coord.profiles default null,
  p_caller coord.caller default null
)
returns authz.decision
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_decision authz.decision;
  v_void text;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  -- The tenant's event-writer key before anything this call writes (decide's counters included),
  -- so its events keep the transaction's id as their stream position (audit.declare_event_tenant).
  v_void := audit.declare_event_tenant((case when p_caller.principal_id is not null then p_caller
                                             else coord.try_principal() end).tenant_id);
  v_decision := authz.decide(p_action, p_target_id, p_context, p_within, p_profile, p_caller);
  if not v_decision.allowed then
    perform audit.record(coalesce(p_event, p_action), 'denied', p_target_type, p_target_id,
      coalesce(p_reason_prefix, '') || v_decision.reason, p_details, v_decision, 'warning', p_caller => p_caller);
  end if;
  return v_decision;
end;
$$;

comment on function authz.gate(text, text, text, jsonb, jsonb, text, text, text, coord.profiles, coord.caller) is 'The gate of every mutating api function, called before any write: authz.decide(p_action, p_target_id, p_context, p_within, p_profile), and when it denies, the refusal audited (event p_event or p_action, decision denied, severity warning, p_details). Returns the decision; the caller returns a refusal as its result constructor''s p_refusal (code denied, details.rule).';
revoke all on function authz.gate(text, text, text, jsonb, jsonb, text, text, text, coord.profiles, coord.caller) from public;
