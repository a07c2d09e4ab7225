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

  -- One decision: the policy text (parsed once per backend and kept, keyed by its text, so a
  -- new version is parsed on first use), the request and the entities authz.cedar_request
  -- built. Returns whether Cedar allows, the @id (or policy id) of each policy that decided, in
  -- policy order, and Cedar's errors; a policy that fails to evaluate is an error here, and
  -- authz.cedar_decide turns any error into a deny.
  create or replace function authz.cedar_evaluate(
    p_policy text, p_request jsonb, p_entities jsonb,
    out o_allowed boolean, out o_rules text[], out o_errors text[])
  language plpython3u
  stable
  set search_path = pg_catalog, pg_temp
  as $python$
import json
import cedarpy
cache = SD.setdefault("policies", {})
entry = cache.get(p_policy)
if entry is None:
    parsed = cedarpy.PolicySet.from_str(p_policy)
    static = json.loads(cedarpy.policies_to_json_str(p_policy))["staticPolicies"]
    order = {pid: i for i, pid in enumerate(sorted(static, key=lambda k: (len(k), k)))}
    names = {pid: (p.get("annotations") or {}).get("id", pid) for pid, p in static.items()}
    if len(cache) >= 32:
        cache.clear()
    entry = cache[p_policy] = (parsed, names, order)
parsed, names, order = entry
result = cedarpy.is_authorized(json.loads(p_request), parsed, p_entities)
reasons = sorted(result.diagnostics.reasons, key=lambda pid: order.get(pid, len(order)))
errors = [str(e) for e in result.diagnostics.errors]
return (result.decision == cedarpy.Decision.Allow and not errors, [names.get(r, r) for r in reasons], errors)
$python$;
  comment on function authz.cedar_evaluate(text, jsonb, jsonb) is 'Cedar decision by cedarpy (PL/Python): allowed, the @id of each policy that decided (policy order), Cedar''s errors. Called by authz.cedar_decide only.';
  alter function authz.cedar_evaluate(text, jsonb, jsonb) owner to coord_owner;
  revoke all on function authz.cedar_evaluate(text, jsonb, jsonb) from public;
end
$plpython$;
