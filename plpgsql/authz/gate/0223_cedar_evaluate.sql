-- coord:superuser
-- The Cedar engine inside the database: PL/Python functions calling cedarpy, created only where
-- the server has PL/Python (Debian: postgresql-plpython3-15; the embedded 18 has none, and there
-- this file creates nothing, so choosing cedar is refused: authz.cedar_available). Superuser:
-- plpython3u is untrusted, so only a superuser creates its functions; they are then owned by
-- coord_owner like the rest of the product (it may call them, never replace them). cedarpy
-- must be importable by the server's Python (bin/test installs it; docs/cedar.md).
do $plpython$
begin
  if not exists (select from pg_catalog.pg_available_extensions where name = 'plpython3u') then
    return;
  end if;
  create extension if not exists plpython3u;

  -- One decision. Each backend keeps in SD what does not change from call to call, parsed:
  -- the policy set, keyed by its text (a new version, or a version stored again by a rollback,
  -- is another text and is parsed on first use: nothing can be stale), with whether any of its
  -- conditions reads the resource and, per action, the part of it that can apply to the action
  -- (below); and the entities of a caller, its profile and the action,
  -- keyed by p_base_key (the text of every field they are built from: another content is
  -- another key) and the action's registry row. When they are not kept yet and p_base (their
  -- JSON, authz.cedar_base_entities) is null, nothing is decided: o_allowed is null, and
  -- authz.cedar_decide calls again with p_base. Per call only what the call names is parsed,
  -- added to a copy of the kept entities: the resource's entity where a condition reads the
  -- resource (an entity Cedar is not given has no attributes and no parents, which is all a
  -- policy that never reads it can see: the scope's `resource in` and `is` read no attribute),
  -- and the principal acts_on names. Entity uids go to cedarpy as type and id (no Cedar syntax
  -- to parse), the context as the JSON text PostgreSQL gives.
  -- Returns whether Cedar allows, the @id (or policy id) of each policy that decided, in policy
  -- order, and Cedar's errors; a policy that fails to evaluate is an error here, and
  -- authz.cedar_decide turns any error into a deny.
  create or replace function authz.cedar_evaluate(
    p_policy text, p_principal_id text, p_action text, p_roles text[], p_mutating boolean,
    p_resource_type text, p_resource_id text, p_context jsonb, p_base_key text, p_base jsonb,
    p_resource_entity jsonb, p_acts_on_entity jsonb,
    out o_allowed boolean, out o_rules text[], out o_errors text[])
  language plpython3u
  stable
  set search_path = pg_catalog, pg_temp
  as $python$
import json
import cedarpy
policies = SD.setdefault("policies", {})
entry = policies.get(p_policy)
if entry is None:
    parsed = cedarpy.PolicySet.from_str(p_policy)
    est = json.loads(cedarpy.policies_to_json_str(p_policy))
    static = est["staticPolicies"]
    order = {pid: i for i, pid in enumerate(sorted(static, key=lambda k: (len(k), k)))}
    names = {pid: (p.get("annotations") or {}).get("id", pid) for pid, p in static.items()}
    reads_resource = '{"Var": "resource"}' in json.dumps(
        [p.get("conditions") for group in ("staticPolicies", "templates") for p in est.get(group, {}).values()])
    if len(policies) >= 32:
        policies.clear()
    entry = policies[p_policy] = (parsed, est, names, order, reads_resource, {})
parsed, est, names, order, reads_resource, by_action = entry
groups = ["role:" + r for r in p_roles] + ([] if p_mutating else ["reads"])
action_key = (p_action, tuple(p_roles), p_mutating)
# The policies that can apply to this action. Cedar puts a policy's scope before its conditions:
# a policy whose action scope names neither the action nor one of its groups (the only
# ancestors its entity has) is false for it before a condition is evaluated, so it can neither
# decide nor fail, and leaving it out changes no decision, reason or error. Policy ids stay.
policy_set = by_action.get(action_key)
if policy_set is None:
    def applies(scope):
        op = scope.get("op")
        if op not in ("==", "in"):
            return True
        uids = scope["entities"] if "entities" in scope else [scope.get("entity")]
        for uid in uids:
            if not isinstance(uid, dict) or uid.get("type") != "Action" or not isinstance(uid.get("id"), str):
                return True
            if uid["id"] == p_action or (op == "in" and uid["id"] in groups):
                return True
        return False
    if est.get("templates"):
        policy_set = parsed
    else:
        policy_set = cedarpy.PolicySet.from_json_str(json.dumps({
            "staticPolicies": {pid: p for pid, p in est["staticPolicies"].items() if applies(p.get("action") or {})},
            "templates": {}, "templateLinks": []}))
    by_action[action_key] = policy_set
bases = SD.setdefault("bases", {})
key = (p_base_key,) + action_key
base = bases.get(key)
if base is None:
    if p_base is None:
        return (None, None, None)
    action = {"uid": {"type": "Action", "id": p_action}, "attrs": {},
              "parents": [{"type": "Action", "id": g} for g in groups]}
    base = cedarpy.Entities.from_json_str(json.dumps(json.loads(p_base) + [action]))
    if len(bases) >= 1024:
        bases.clear()
    bases[key] = base
named = [e for e in (p_resource_entity if reads_resource else None, p_acts_on_entity) if e is not None]
result = cedarpy.is_authorized(
    {"principal": {"type": "Agent", "id": p_principal_id}, "action": {"type": "Action", "id": p_action},
     "resource": {"type": p_resource_type, "id": p_resource_id}, "context": p_context},
    policy_set, base.with_added_json_str("[" + ",".join(named) + "]") if named else base)
reasons = sorted(result.diagnostics.reasons, key=lambda pid: order.get(pid, len(order)))
errors = [str(e) for e in result.diagnostics.errors]
return (result.decision == cedarpy.Decision.Allow and not errors, [names.get(r, r) for r in reasons], errors)
$python$;
  comment on function authz.cedar_evaluate(text, text, text, text[], boolean, text, text, jsonb, text, jsonb, jsonb, jsonb) is 'Cedar decision by cedarpy (PL/Python): allowed, the @id of each policy that decided (policy order), Cedar''s errors. Request: the principal, the action (its entity made of its registry row: roles, mutating), the resource (type, id), the context; entities: the caller and its profile (kept parsed per backend under p_base_key; p_base, their JSON, is needed only when they are not: o_allowed is null without it), the resource (passed on where a condition reads the resource) and the principal acts_on names. Called by authz.cedar_decide only.';
  alter function authz.cedar_evaluate(text, text, text, text[], boolean, text, text, jsonb, text, jsonb, jsonb, jsonb) owner to coord_owner;
  revoke all on function authz.cedar_evaluate(text, text, text, text[], boolean, text, text, jsonb, text, jsonb, jsonb, jsonb) from public;
end
$plpython$;
