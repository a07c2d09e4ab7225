-- The policy gate. The principal, its trust and its profile come from the verified identity
-- only. A deny is a value the caller turns into a result (and audits); it is never an error.
-- Volatile: an allowed mutating call of an agent with an hourly budget is counted here.
-- p_context.grants (a JSON array of scopes) names scopes the action would put on tokens it
-- issues: each must be held by the caller's own token, so nobody mints a broader token. What a
-- call touches (whose task, which profile, how much trust it hands out) is judged last, by
-- authz.object_refusal. api functions reach this through authz.gate.
-- p_within names the action of the call a further decision belongs to (the leases a claim
-- takes, the leases a heartbeat extends): that call was counted against calls_per_hour and
-- noted for its events by its own decision, so this one is neither.
-- p_profile is the caller's coord.effective_profile when the caller read it already (authz.gate
-- passes it on); null, it is read here. p_caller likewise: the caller's coord.principal().
-- Conditions with a subquery sit in an IF of their own: PL/pgSQL runs an expression with a
-- subquery through the executor even when the test before it decides, a plain one without.
create or replace function authz.decide(
  p_action text,
  p_resource text default null,
  p_context jsonb default '{}',
  p_within text default null,
  p_profile coord.profiles default null,
  p_caller coord.caller default null
)
returns authz.decision
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_principal coord.caller := case when p_caller.principal_id is not null then p_caller else coord.principal() end;
  v_action record;
  v_missing text;
  v_profile coord.profiles;
  v_trust smallint;
  v_needed smallint;
  v_decision authz.decision;
  v_engine text;
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  -- The tenant's engine (used after the rules) comes with the action: one statement, not two.
  select a.scope, a.roles, a.mutating,
         (select e.engine from authz.tenant_engines as e where e.tenant_id = v_principal.tenant_id) as engine
  into v_action from authz.actions as a where a.action = p_action;
  if not found then
    perform coord.fail('CO501', format('action %s (within %s) is not in authz.actions', p_action, p_within));
  end if;
  if p_within is not null then
    if not exists (select from authz.actions as a where a.action = p_within) then
      perform coord.fail('CO501', format('action %s (within %s) is not in authz.actions', p_action, p_within));
    end if;
  end if;

  <<rules>>
  begin
    if not (v_principal.role = any (v_action.roles)) then
      v_decision := row(false, 'deny', 'native', 'role.not_allowed',
        format('role %s may not %s', v_principal.role, p_action));
      exit rules;
    end if;
    -- authz.scope_granted, inline: every call passes here
    if not (v_principal.scopes && array['*', v_action.scope, pg_catalog.split_part(v_action.scope, ':', 1) || ':*']) then
      v_decision := row(false, 'deny', 'native', 'scope.missing', format('token lacks scope %s', v_action.scope));
      exit rules;
    end if;
    if jsonb_typeof(p_context -> 'grants') = 'array' then
      select string_agg(distinct g, ', ' order by g) into v_missing
      from jsonb_array_elements_text(p_context -> 'grants') as g
      where not authz.scope_granted(v_principal.scopes, g);
    end if;
    if v_missing is not null then
      v_decision := row(false, 'deny', 'native', 'scope.escalation',
        format('token lacks %s, so it cannot issue tokens with it', v_missing));
      exit rules;
    end if;
    if v_principal.role <> 'agent' then
      v_decision := row(true, 'allow', 'native', 'scope.granted',
        format('%s may %s with scope %s', v_principal.role, p_action, v_action.scope));
      exit rules;
    end if;

    v_profile := case when p_profile.id is not null then p_profile else coord.effective_profile(v_principal) end;
    v_trust := coalesce(v_profile.trust_level, 0);
    v_needed := authz.min_trust(p_action, v_action.mutating);
    if v_trust < v_needed then
      v_decision := row(false, 'deny', 'native', case when v_trust = 0 then 'trust.suspended' else 'trust.too_low' end,
        format('%s needs trust %s; profile %s has %s', p_action, v_needed, v_profile.name, v_trust));
      exit rules;
    end if;
    -- Only a profile with a limit profile_refusal reads can refuse there.
    if v_profile.allowed_operations is not null or v_profile.max_lock_ttl is not null
       or v_profile.allowed_task_kinds is not null or v_profile.max_task_duration is not null then
      v_decision := authz.profile_refusal(p_action, v_profile, p_context);
      if v_decision.rule is not null then
        exit rules;
      end if;
    end if;
    if v_action.mutating and v_profile.calls_per_hour is not null and p_within is null
       and not coord.count_call(v_principal, v_profile.calls_per_hour) then
      v_decision := row(false, 'deny', 'native', 'profile.rate_limit',
        format('profile %s allows %s calls per hour; the budget of this hour is spent', v_profile.name,
               v_profile.calls_per_hour));
      exit rules;
    end if;
    -- Only a context naming what the call touches, or a device adding a device, can be refused there.
    if p_context ?| array['submitted_by', 'changes_principal', 'changes_profile', 'acts_on', 'grants_trust']
       or p_action = 'device.add' then
      v_decision := authz.object_refusal(p_action, v_principal, v_profile, v_trust, p_context);
      if v_decision.rule is not null then
        exit rules;
      end if;
    end if;
    v_decision := row(true, 'allow', 'native', 'profile.allowed',
      format('trust %s (profile %s) may %s with scope %s', v_trust, v_profile.name, p_action, v_action.scope));
  end rules;

  -- A tenant that chose the cedar or both engine (docs/cedar.md) has Cedar decide too.
  v_engine := v_action.engine;
  if v_engine <> 'native' then
    v_decision := authz.cedar_decide(p_action, p_resource, p_context, v_principal, v_profile, v_decision, v_engine,
                                     v_action.scope, v_action.roles, v_action.mutating);
  end if;

  -- The decision of the current statement, remembered for the rest of it (events its writes
  -- cause carry the engine and rule that allowed them; authz.statement_decision reads it).
  -- Stamped with the statement's start: a later statement (a superuser's direct write) never
  -- inherits it, and a value a caller sets by hand is overwritten here before any write of an
  -- api call. Inline: one function entry, with its SET clause, less per decision.
  if p_within is null then
    v_set := pg_catalog.set_config('coord.decision', pg_catalog.array_to_string(array[
      pg_catalog.statement_timestamp()::text, v_decision.allowed::text, v_decision.decision, v_decision.engine,
      v_decision.rule, v_decision.reason], e'\x1f', ''), true);
  end if;
  return v_decision;
end;
$$;

comment on function authz.decide(text, text, jsonb, text, coord.profiles, coord.caller) is 'Policy gate called by every mutating api function before any write: allow or deny with the engine and rule that decided. Rules in order: role.not_allowed, scope.missing, scope.escalation (p_context.grants lists scopes the action would issue; each must be held by the caller), then for agents their profile: trust.suspended / trust.too_low (authz.min_trust), profile.operation, profile.max_lock_ttl (p_context.ttl of a lease or a session), profile.task_kind (p_context.kinds), profile.max_task_duration (p_context.lease), profile.rate_limit (counts allowed mutating calls), then by what the call touches (authz.object_refusal): task.not_submitter, profile.self_change, trust.escalation. A tenant on the cedar or both engine (authz.tenant_engines) then has authz.cedar_decide decide. p_within (an action) marks a further decision inside a call already decided, such as the leases a claim takes: it is not counted against calls_per_hour and not noted as the statement''s decision. p_profile: the caller''s effective profile when it read it already (read here when null); p_caller likewise the caller''s coord.principal().';
revoke all on function authz.decide(text, text, jsonb, text, coord.profiles, coord.caller) from public;
