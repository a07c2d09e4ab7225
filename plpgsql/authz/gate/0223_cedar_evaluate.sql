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

  -- One decision, the request built here from the verified caller (p_principal), its effective
  -- profile (p_profile), the action's registry row (p_scope, p_roles, p_mutating: authz.decide
  -- read it) and what the call names (p_resource, p_context), so that nothing of it is built per
  -- transaction in PL/pgSQL: a function's Python state lives as long as the backend, PL/pgSQL's
  -- expression state only as long as the transaction.
  -- Each backend keeps in SD what does not change from call to call, parsed: the policy set,
  -- keyed by its text (a new version, or a version stored again by a rollback, is another text
  -- and is parsed on first use: nothing can be stale), with whether any of its conditions reads
  -- the resource and, per action, the part of it that can apply to the action (below); and the
  -- entities of a caller, its profile and the action, keyed by the content of every field they
  -- are built from (the caller's id, role and kind, the profile's id, name, trust, allowed
  -- operations and task kinds, limits, and p_interval_style, the style the limits are written
  -- in) and the action's registry row: another content is another key, also after a rollback.
  -- Nothing is decided (o_allowed null, o_need says what is missing) when this backend does not
  -- keep the caller's entities yet and p_base (their JSON, authz.cedar_base_entities) is null
  -- ('base'), or when the request names something only SQL computes exactly and p_parts (the
  -- row of authz.cedar_request_parts as JSON) is null ('parts'): a time, an acts_on principal,
  -- a duration, scope or kind not written in the plain forms below. authz.cedar_decide then
  -- calls again with what is missing. The plain forms are computed as SQL computes them
  -- (tests/test_cedar.py compares both on generated contexts): durations `H:MM[:SS[.ffffff]]`
  -- and `N unit[s]` (second, minute, hour, day) without other spaces, scopes and kinds as JSON
  -- strings, grants_trust as a JSON integer or a string of at most 9 digits with a sign.
  -- Per call only what the call names is parsed, added to a copy of the kept entities: the
  -- resource's entity where a condition reads the resource (an entity Cedar is not given has no
  -- attributes and no parents, which is all a policy that never reads it can see: the scope's
  -- `resource in` and `is` read no attribute), and the principal acts_on names. Entity uids go
  -- to cedarpy as type and id (no Cedar syntax to parse).
  -- Returns whether Cedar allows, the effect, the rule (the @id, or policy id, of the first
  -- policy that decided, in policy order; cedar.error, cedar.no_permit or cedar.permit) and the
  -- reason, worded with p_version (null: the baseline); a policy that fails to evaluate is an
  -- error, and an error is a deny. authz.cedar_decide turns a failure of this function into a
  -- deny as well.
  create or replace function authz.cedar_evaluate(
    p_policy text, p_version integer, p_action text, p_resource text, p_context jsonb,
    p_principal coord.caller, p_profile coord.profiles, p_scope text, p_roles text[], p_mutating boolean,
    p_interval_style text, p_parts jsonb, p_base jsonb,
    out o_allowed boolean, out o_effect text, out o_rule text, out o_reason text, out o_need text)
  language plpython3u
  stable
  set search_path = pg_catalog, pg_temp
  as $python$
import json
import cedarpy
builder = SD.get("builder")
if builder is None:
    # request builder: begins (tests/test_cedar.py runs this part on its own)
    import re
    UUID = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
    CLOCK = re.compile(r"([0-9]{1,6}):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]{1,6}))?)?")
    COUNT = re.compile(r"([0-9]{1,6}) (second|minute|hour|day)s?")
    UNIT = {"second": 1000000, "minute": 60000000, "hour": 3600000000, "day": 86400000000}
    INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
    TYPES = {"lock": "File", "network": "Domain", "task": "Task", "skill": "Skill"}

    class Parts(Exception):
        """The request names something only SQL computes exactly (authz.cedar_request_parts)."""

    def granted(scopes, scope):
        # authz.scope_granted: *, the scope itself, or its resource wildcard.
        return "*" in scopes or scope in scopes or scope.split(":", 1)[0] + ":*" in scopes

    def usecs(value):
        # authz.cedar_usecs of a duration, for the plain forms only.
        if value is None:
            return None
        if isinstance(value, str):
            m = CLOCK.fullmatch(value)
            if m:
                hours, minutes, seconds, fraction = m.groups()
                return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds or 0)) * 1000000 \
                    + int((fraction or "").ljust(6, "0"))
            m = COUNT.fullmatch(value)
            if m:
                return int(m.group(1)) * UNIT[m.group(2)]
        raise Parts

    def uid_of(value):
        # p_context ->> key ~ uuid, as ::uuid::text; None where SQL leaves the key out.
        if value is None or isinstance(value, (bool, list, dict)):
            return None
        if not isinstance(value, str):
            raise Parts
        if UUID.fullmatch(value) is None:
            return None
        h = value.replace("-", "").lower()
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def build(action, resource, context, principal, profile, scope):
        """(context, resource type, resource id, resource entity) as authz.cedar_request_parts
        builds them, or Parts."""
        ctx = json.loads(context) if context is not None else {}
        scopes = principal["scopes"]
        if not isinstance(ctx, dict) or scopes is None or "acts_on" in ctx:
            raise Parts
        group = action.split(".", 1)[0]
        rtype = TYPES.get(group, "Tenant")
        rid = principal["tenant_name"] if rtype == "Tenant" else (resource if resource is not None else "")
        if rid is None:
            raise Parts
        out = {"scope_held": granted(scopes, scope), "grants_held": True, "operation": action,
               "operation_group": group + ".*"}
        grants = ctx.get("grants")
        if isinstance(grants, list):
            if not all(isinstance(g, str) for g in grants):
                raise Parts
            out["grants_held"] = all(granted(scopes, g) for g in grants)
        if resource is not None:
            out["target"] = resource
        for key in ("ttl", "lease"):
            value = usecs(ctx.get(key))
            if value is not None:
                out[key] = value
        kinds = ctx.get("kinds")
        if isinstance(kinds, list):
            if not all(k is None or isinstance(k, str) for k in kinds):
                raise Parts
            out["kinds"] = [k for k in kinds if k is not None]
        trust = ctx.get("grants_trust")
        if isinstance(trust, str) or (isinstance(trust, int) and not isinstance(trust, bool)):
            text = str(trust)
            if INTEGER.fullmatch(text):
                out["grants_trust"] = int(text)
            elif isinstance(trust, str) and any(c.isdigit() for c in text):
                raise Parts  # SQL's pattern allows spaces around the digits
        elif isinstance(trust, float):
            raise Parts
        for key, etype in (("submitted_by", "Agent"), ("changes_principal", "Agent"), ("changes_profile", "AgentType")):
            value = uid_of(ctx.get(key))
            if value is not None:
                out[key] = {"__entity": {"type": etype, "id": value}}
        if profile is not None and profile["max_task_duration"] is not None and ctx.get("claimed_at") is not None:
            raise Parts  # a time: cast in the session's time zone
        attr = "path" if rtype == "File" else "ref" if rtype == "Task" else "name"
        return out, rtype, rid, {"uid": {"type": rtype, "id": rid}, "attrs": {attr: rid}, "parents": []}
    # request builder: ends
    builder = SD["builder"] = (build, Parts)
build, Parts = builder
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
named = []
if p_parts is None:
    try:
        context, resource_type, resource_id, resource_entity = build(
            p_action, p_resource, p_context, p_principal, p_profile, p_scope)
    except Parts:
        return (None, None, None, None, "parts")
    if reads_resource:
        named.append(resource_entity)
else:
    parts = json.loads(p_parts)
    context, resource_type, resource_id = parts["o_context"], parts["o_resource_type"], parts["o_resource_id"]
    named = [e for e in (parts["o_resource_entity"] if reads_resource else None, parts["o_acts_on_entity"]) if e is not None]
bases = SD.setdefault("bases", {})
profile = p_profile or {}
key = (p_principal["principal_id"], p_principal["role"], p_principal["kind"], profile.get("id"), profile.get("name"),
       profile.get("trust_level"), tuple(profile.get("allowed_operations") or ()) if profile.get("allowed_operations") is not None else None,
       tuple(profile.get("allowed_task_kinds") or ()) if profile.get("allowed_task_kinds") is not None else None,
       profile.get("max_lock_ttl"), profile.get("max_task_duration"), p_interval_style) + action_key
base = bases.get(key)
if base is None:
    if p_base is None:
        return (None, None, None, None, "base")
    action = {"uid": {"type": "Action", "id": p_action}, "attrs": {},
              "parents": [{"type": "Action", "id": g} for g in groups]}
    base = cedarpy.Entities.from_json_str(json.dumps(json.loads(p_base) + [action]))
    if len(bases) >= 1024:
        bases.clear()
    bases[key] = base
result = cedarpy.is_authorized(
    {"principal": {"type": "Agent", "id": p_principal["principal_id"]}, "action": {"type": "Action", "id": p_action},
     "resource": {"type": resource_type, "id": resource_id}, "context": context},
    policy_set, base.with_added_json_str(json.dumps(named)) if named else base)
rules = [names.get(r, r) for r in sorted(result.diagnostics.reasons, key=lambda pid: order.get(pid, len(order)))]
errors = [str(e) for e in result.diagnostics.errors]
version = "baseline" if p_version is None else str(p_version)
if errors:
    return (False, "deny", "cedar.error", "Cedar policy version %s failed to evaluate: %s" % (version, "; ".join(errors)), None)
if result.decision == cedarpy.Decision.Allow:
    return (True, "allow", rules[0] if rules else "cedar.permit",
            "Cedar policy version %s permits %s (%s)" % (version, p_action, ", ".join(rules)), None)
if rules:
    return (False, "deny", rules[0], "Cedar policy version %s forbids %s (%s)" % (version, p_action, ", ".join(rules)), None)
return (False, "deny", "cedar.no_permit", "no Cedar policy of version %s permits %s" % (version, p_action), None)
$python$;
  comment on function authz.cedar_evaluate(text, integer, text, text, jsonb, coord.caller, coord.profiles, text, text[], boolean, text, jsonb, jsonb) is 'Cedar decision by cedarpy (PL/Python), the request built here from the verified caller, its profile, the action''s registry row and what the call names (docs/cedar.md): allowed, effect, the rule that decided (the @id of the first policy, or cedar.error, cedar.no_permit), the reason (with p_version; null: baseline). Not decided (o_allowed null) when o_need names what it lacks: base (the caller''s entities, not kept by this backend yet: pass p_base, authz.cedar_base_entities) or parts (a request only SQL builds exactly: pass p_parts, authz.cedar_request_parts as JSON). Called by authz.cedar_decide only.';
  alter function authz.cedar_evaluate(text, integer, text, text, jsonb, coord.caller, coord.profiles, text, text[], boolean, text, jsonb, jsonb) owner to coord_owner;
  revoke all on function authz.cedar_evaluate(text, integer, text, text, jsonb, coord.caller, coord.profiles, text, text[], boolean, text, jsonb, jsonb) from public;
end
$plpython$;
