-- The one constructor behind every result: ok, code, reason, details. The code must be in
-- coord.outcome_registry (an unregistered code is CO502, so a typo fails the first test that
-- reaches it), ok comes from the registry (p_ok only for codes whose ok depends on the
-- function, and never against the registry), and a refusal of the policy gate (p_refusal, the
-- decision authz.gate returned) has one shape everywhere: code denied, the rule's reason,
-- details.rule. The typed constructors (coord.lock_result, coord.task_result, ...) add their
-- columns to this head.
create or replace function coord.result(
  p_code text default null,
  p_reason text default null,
  p_details jsonb default '{}',
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.result
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_code text := p_code;
  v_ok boolean;
  v_entry jsonb;
begin
  if p_refusal.allowed is not null then
    if p_refusal.allowed or p_code is not null then
      perform coord.fail('CO502', format('a refusal is a denied decision and carries no code of its own (code %s, allowed %s)',
                                         p_code, p_refusal.allowed));
    end if;
    v_code := 'denied';
  end if;
  -- Each code's ok, as coord.outcome_registry has it (null: either): derived from the registry,
  -- which stays the one source (tests/test_outcomes.py holds this map equal to it; regenerate with
  -- select jsonb_object_agg(code, ok order by code) from coord.outcome_registry). A constant
  -- of the cached plan, not a query per result.
  v_entry := '{
    "acked": true, "added": true, "alive": true, "allowed": true, "already_finished": false,
    "already_registered": true, "already_resolved": false, "already_retired": true,
    "already_revoked": true, "applied": true, "approval_closed": false, "approval_granted": true,
    "approval_mismatch": false, "approval_not_granted": false, "approval_pending": false,
    "approval_used": false, "approved": true, "assigned": true, "at_limit": false,
    "batch_refused": false, "blocked": false, "broken": false, "busy": false, "cancelled": true,
    "changed": true, "claimed": true, "completed": true, "created": true, "dead": true,
    "default_set": true, "deleted": true, "delivered": true, "deliveries_claimed": true,
    "delivery_dead": false, "denied": false, "disabled": true, "duplicate": null, "empty": false,
    "enabled": true, "ended": true, "engine_set": true, "executed": true, "exists": false,
    "expired": false, "failed": true, "following": true, "forgotten": true, "granted": true,
    "head": true, "held": true, "held_by_task": false, "in_use": false, "intact": true, "issued": true,
    "needs_approval": false, "no_change": true, "no_recipients": false, "not_author": false,
    "not_claimable": false, "not_held": false, "not_live": false, "not_pending": false,
    "not_redrivable": false, "not_requester": false, "not_target": false, "outside_skill": false,
    "planned": true, "policy_stored": true, "proposed": true, "pruned": true, "queued": true,
    "recorded": true, "refused": false, "registered": true, "reinforced": true, "rejected": true,
    "released": true, "remembered": true, "removed": true, "renewed": true, "requeued": true,
    "resolved": true, "retired": true, "retry_scheduled": true, "revoked": true, "rotated": true,
    "self_approval": false, "sent": true, "session_ended": false, "stale_claim": false,
    "stale_delivery_claim": false, "stale_fence": false, "started": true, "submitted": true,
    "swept": true, "unchanged": true, "unverified": false, "updated": true,
    "verifier_not_allowed": false, "watched_elsewhere": false, "watching": true,
    "webhook_exists": false, "written": true
  }'::jsonb -> v_code;
  v_ok := case when pg_catalog.jsonb_typeof(v_entry) = 'boolean' then v_entry::boolean end;
  if v_entry is null then
    perform coord.fail('CO502', format('result code %s is not in coord.outcome_registry',
                                       coalesce(pg_catalog.quote_literal(v_code), 'null')));
  end if;
  if p_ok is not null and v_ok is not null and p_ok <> v_ok or coalesce(p_ok, v_ok) is null then
    perform coord.fail('CO502', format('result code %s is ok = %s in coord.outcome_registry, not %s', v_code,
                                       coalesce(v_ok::text, 'either'), coalesce(p_ok::text, 'unsaid')));
  end if;
  return row(coalesce(p_ok, v_ok), v_code, coalesce(p_reason, p_refusal.reason),
             coalesce(p_details, '{}')
             || case when p_refusal.allowed is not null then jsonb_build_object('rule', p_refusal.rule) else '{}' end
            )::api.result;
end;
$$;

comment on function coord.result(text, text, jsonb, boolean, authz.decision) is 'Builds an api.result: code from coord.outcome_registry (CO502 otherwise), ok from the registry (p_ok only where the registry leaves it to the function), or with p_refusal a gate refusal (denied, the rule''s reason, details.rule). The typed result constructors build on it.';
revoke all on function coord.result(text, text, jsonb, boolean, authz.decision) from public;
