-- The native rules of authz.decide translated to Cedar: the policy a tenant that chooses cedar
-- decides with until it stores its own (and the start of its own). Deny rules are forbid
-- policies in the order authz.decide applies them, each annotated with the native rule's name,
-- so the first forbid that applies names the same rule the native engine would
-- (tests/test_cedar_differential.py proves native = Cedar on generated requests). What Cedar
-- cannot say is computed in SQL as a fact of the request (authz.cedar_request): whether the
-- token's scopes (with their wildcards) hold the action's scope and every scope it would
-- issue (Cedar has no quantifier over a set), durations and times in microseconds, and the
-- latest end of a claim (calendar arithmetic). Counters (calls_per_hour) stay native in every
-- engine.
create or replace function authz.cedar_baseline()
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
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

// Trust an agent needs (authz.min_trust): 0 own-state reads, 1 reads, sessions and checks,
// 2 other changes, 4 policy management.
@id("trust.suspended")
forbid (principal, action, resource)
when { principal.role == "agent" && principal.trust < 1 }
unless { action in [Action::"lock.list", Action::"profile.read"] };

@id("trust.too_low")
forbid (principal, action, resource)
when { principal.role == "agent" && principal.trust == 1 }
unless {
  action in [Action::"reads", Action::"lock.list", Action::"profile.read", Action::"session.start",
             Action::"session.heartbeat", Action::"session.end", Action::"network.check",
             Action::"guardrail.check", Action::"approval.cancel"]
};

@id("trust.too_low")
forbid (principal, action in [Action::"profile.admin", Action::"network.rule", Action::"guardrail.admin",
                              Action::"approval.decide"], resource)
when { principal.role == "agent" && principal.trust >= 1 && principal.trust < 4 };

// The agent's profile (authz.profile_refusal).
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
