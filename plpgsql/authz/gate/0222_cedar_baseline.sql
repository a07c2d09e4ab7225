-- The native rules of authz.decide translated to Cedar: the policy a tenant that chooses cedar
-- decides with until it stores its own (and the start of its own). Deny rules are forbid
-- policies in the order authz.decide applies them, each annotated with the native rule's name,
-- so the first forbid that applies names the same rule the native engine would
-- (tests/test_cedar_differential.py proves native = Cedar on generated requests). What Cedar
-- cannot say is computed in SQL as a fact of the request (authz.cedar_request_parts): whether the
-- token's scopes (with their wildcards) hold the action's scope and every scope it would
-- issue (Cedar has no quantifier over a set), durations and times in microseconds, and the
-- latest end of a claim (calendar arithmetic). Counters (calls_per_hour) stay native in every
-- engine. The trust rules are generated from the action registry and authz.min_trust.
-- Immutable: a function of the installed code alone (the registry is a view of constants), so
-- a plan computes it once.
create or replace function authz.cedar_baseline()
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  with needs as (select a.action, authz.min_trust(a.action, a.mutating) as needs
                 from authz.actions as a where 'agent' = any (a.roles))
  select $cedar$// Baseline: the native rules of authz.decide, in its order; docs/cedar.md.
@id("role.not_allowed")
forbid (principal, action, resource)
unless {
  (principal.role == "agent" && action in Action::"role:agent") ||
  (principal.role == "operator" && action in Action::"role:operator") ||
  (principal.role == "auditor" && action in Action::"role:auditor")
};

@id("scope.missing")
forbid (principal, action, resource)
unless { context.scope_held };

@id("scope.escalation")
forbid (principal, action, resource)
unless { context.grants_held };

$cedar$
  -- Trust an agent needs, generated from the registry (authz.actions x authz.min_trust), so that
  -- no action the registry gains is left out: a suspended agent (trust 0) may take only what
  -- needs no trust, and each higher need is one forbid for the levels from 1 up to below it.
  -- Only actions agents may take are listed (role.not_allowed refuses the others first).
  || (select format(E'// Trust an agent needs (authz.min_trust), generated from authz.actions.\n'
                    '@id("trust.suspended")\nforbid (principal, action, resource)\n'
                    'when { principal.role == "agent" && principal.trust < 1 }%s;\n\n',
                    E'\nunless { action in [' || string_agg(format('Action::%s', to_jsonb(n.action)::text), ', '
                                                            order by n.action) || '] }')
      from needs as n where n.needs = 0)
  || coalesce((select string_agg(format(E'@id("trust.too_low")\nforbid (principal, action in [\n  %s\n], resource)\n'
                                        'when { principal.role == "agent" && principal.trust >= 1 && principal.trust < %s };\n\n',
                                        l.actions, l.needs), '' order by l.needs)
               from (select n.needs, string_agg(format('Action::%s', to_jsonb(n.action)::text), E',\n  '
                                                order by n.action) as actions
                     from needs as n where n.needs > 1 group by n.needs) as l), '')
  || $cedar$// The agent's profile (authz.profile_refusal).
@id("profile.operation")
forbid (principal, action, resource)
when {
  principal.role == "agent" && principal has profile && principal.profile has allowed_operations &&
  !principal.profile.allowed_operations.containsAny([context.operation, context.operation_group])
};

@id("profile.max_lock_ttl")
forbid (principal, action in [Action::"lock.acquire", Action::"lock.renew", Action::"session.start"], resource)
when {
  principal.role == "agent" && context has ttl && principal has profile && principal.profile has max_lock_ttl &&
  context.ttl > principal.profile.max_lock_ttl
};

@id("profile.task_kind")
forbid (principal, action == Action::"task.claim", resource)
when {
  principal.role == "agent" && context has kinds && principal has profile &&
  principal.profile has allowed_task_kinds && !principal.profile.allowed_task_kinds.containsAll(context.kinds)
};

@id("profile.max_task_duration")
forbid (principal, action in [Action::"task.claim", Action::"task.renew"], resource)
when {
  principal.role == "agent" && context has lease && principal has profile &&
  principal.profile has max_task_duration && context.lease > principal.profile.max_task_duration
};

@id("profile.max_task_duration")
forbid (principal, action == Action::"task.renew", resource)
when {
  principal.role == "agent" && context has expires_at && context has claim_limit &&
  context.expires_at > context.claim_limit
};

// What the call touches (authz.object_refusal).
@id("task.not_submitter")
forbid (principal, action == Action::"task.cancel", resource)
when {
  principal.role == "agent" && context has submitted_by && context.submitted_by != principal &&
  principal.trust < 3
};

@id("profile.self_change")
forbid (principal, action, resource)
when {
  principal.role == "agent" &&
  ((context has changes_principal && context.changes_principal == principal) ||
   (context has changes_profile && principal has profile && context.changes_profile == principal.profile))
};

@id("principal.not_owner")
forbid (principal, action, resource)
when {
  principal.role == "agent" && context has acts_on && context.acts_on != principal &&
  !(context.acts_on has owner && context.acts_on.owner == principal)
};

@id("device.by_device")
forbid (principal, action == Action::"device.add", resource)
when { principal.role == "agent" && principal.kind == "device" };

@id("trust.escalation")
forbid (principal, action, resource)
when { principal.role == "agent" && context has grants_trust && context.grants_trust > principal.trust };

@id("scope.granted")
permit (principal, action, resource)
when { principal.role != "agent" };

@id("profile.allowed")
permit (principal, action, resource)
when { principal.role == "agent" };
$cedar$;
$$;

comment on function authz.cedar_baseline() is 'The shipped baseline Cedar policy: the native rules of authz.decide as forbid policies annotated with the native rule names (@id), in the native order, and one permit per role kind. Used by a tenant on cedar or both until it stores a policy of its own.';
revoke all on function authz.cedar_baseline() from public;
