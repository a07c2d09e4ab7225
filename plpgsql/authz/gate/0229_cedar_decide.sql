-- The decision of a tenant that chose cedar or both (authz.tenant_engines), given the native
-- decision authz.decide took: Cedar decides with the tenant's newest policy version (the shipped
-- baseline while it has none). Fail closed: no PL/Python or cedarpy (cedar.unavailable), any
-- error while building the request or evaluating (cedar.error), and no permit (cedar.no_permit)
-- are denies. Counters stay native in every engine: a profile.rate_limit refusal stands. So does
-- the floor no policy may lift, since it binds a credential to what it was issued for: the role,
-- the token's scopes, the agent's trust, and who may change whom (role.*, scope.*, trust.*,
-- profile.self_change, principal.not_owner, device.by_device). Under
-- both, both must allow; when they disagree the call is denied and, where the transaction may
-- write, the disagreement is audited (policy.disagreement, both decisions in the details). The
-- policy actions themselves are always decided natively. Whether the server has the PL/Python
-- functions at all is asked only when calling them failed (undefined_function), not per call.
create or replace function authz.cedar_decide(
  p_action text,
  p_resource text,
  p_context jsonb,
  p_principal coord.caller,
  p_profile coord.profiles,
  p_native authz.decision,
  p_engine text,
  p_scope text,
  p_roles text[],
  p_mutating boolean
)
returns authz.decision
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_engine text := p_engine;
  v_policy text;
  v_version integer;
  v_profile coord.profiles := p_profile;
  v_result record;
  v_cedar authz.decision;
  v_decision authz.decision;
begin
  -- The policy actions (policy.admin, policy.read) stay native: neither an unavailable Cedar nor
  -- a policy of the tenant's can lock its operators out of changing the policy or the engine back.
  if v_engine is null or v_engine = 'native' or p_action in ('policy.admin', 'policy.read') then
    return p_native;
  end if;
  select c.policy, c.version into v_policy, v_version from authz.cedar_policies as c
  where c.tenant_id = p_principal.tenant_id order by c.version desc limit 1;
  if v_profile.id is null and p_principal.role = 'agent' then
    v_profile := coord.effective_profile(p_principal);
  end if;
  begin
    -- One call: authz.cedar_evaluate builds the request in Python (whose state outlives the
    -- transaction; PL/pgSQL's expressions are set up again in each one) and words the decision.
    -- Asked again only with what it says it lacks: the caller's entities, which this backend
    -- does not keep parsed yet, or the request's parts as SQL builds them.
    v_result := authz.cedar_evaluate(coalesce(v_policy, authz.cedar_baseline()), v_version, p_action, p_resource,
      p_context, p_principal, v_profile, p_scope, p_roles, p_mutating, current_setting('IntervalStyle'), null, null);
    if v_result.o_allowed is null then
      v_result := authz.cedar_evaluate(coalesce(v_policy, authz.cedar_baseline()), v_version, p_action, p_resource,
        p_context, p_principal, v_profile, p_scope, p_roles, p_mutating, current_setting('IntervalStyle'),
        case when v_result.o_need = 'parts'
             then to_jsonb(authz.cedar_request_parts(p_action, p_resource, p_context, p_principal, v_profile, p_scope)) end,
        authz.cedar_base_entities(p_principal, v_profile));
    end if;
    v_cedar := row(v_result.o_allowed, v_result.o_effect, 'cedar', v_result.o_rule, v_result.o_reason);
  exception
    when undefined_function then
      if pg_catalog.to_regprocedure('authz.cedar_evaluate(text, integer, text, text, jsonb, coord.caller, coord.profiles, text, text[], boolean, text, jsonb, jsonb)') is null then
        v_cedar := row(false, 'deny', 'cedar', 'cedar.unavailable',
          'the tenant decides with Cedar, but this server has no PL/Python with cedarpy: denied');
      else
        v_cedar := row(false, 'deny', 'cedar', 'cedar.error', format('Cedar failed: %s', left(sqlerrm, 500)));
      end if;
    when others then
      v_cedar := row(false, 'deny', 'cedar', 'cedar.error', format('Cedar failed: %s', left(sqlerrm, 500)));
  end;

  if p_native.rule = 'profile.rate_limit' then
    v_decision := p_native;
  elsif not p_native.allowed and (p_native.rule ~ '^(role|scope|trust)\.'
                                  or p_native.rule in ('profile.self_change', 'principal.not_owner', 'device.by_device')) then
    v_decision := p_native;
    v_decision.reason := format('%s (the credential floor stands in every engine; Cedar: %s)', p_native.reason,
                                v_cedar.reason);
  elsif v_engine = 'cedar' then
    v_decision := v_cedar;
  elsif p_native.allowed = v_cedar.allowed then
    v_decision := p_native;
  else
    v_decision := case when p_native.allowed then v_cedar else p_native end;
    v_decision.reason := format('the engines disagree (native %s, cedar %s): %s',
      case when p_native.allowed then 'allows' else 'denies' end,
      case when v_cedar.allowed then 'allows' else 'denies' end, v_decision.reason);
    if current_setting('transaction_read_only') = 'off' then
      perform audit.record('policy.disagreement', 'denied', authz.cedar_resource_type(p_action), p_resource,
        v_decision.reason,
        jsonb_build_object('action', p_action, 'native', to_jsonb(p_native), 'cedar', to_jsonb(v_cedar)),
        v_decision, 'warning');
    end if;
  end if;
  v_decision.engine := v_engine;
  return v_decision;
end;
$$;

comment on function authz.cedar_decide(text, text, jsonb, coord.caller, coord.profiles, authz.decision, text, text, text[], boolean) is 'Decision of a tenant on the cedar or both engine (p_engine, from authz.tenant_engines), given the native one: Cedar with the newest policy version (baseline when none); denies when Cedar is unavailable (cedar.unavailable), fails (cedar.error) or permits nothing (cedar.no_permit); profile.rate_limit stays; under both both must allow and a disagreement is denied and audited (policy.disagreement); policy.admin and policy.read stay native. engine in the decision: cedar or both. p_scope, p_roles, p_mutating: the action''s row in authz.actions (authz.decide read it).';
revoke all on function authz.cedar_decide(text, text, jsonb, coord.caller, coord.profiles, authz.decision, text, text, text[], boolean) from public;
