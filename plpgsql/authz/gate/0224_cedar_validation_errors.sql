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

  -- Validation of a policy text against a schema: the errors (none: valid).
  create or replace function authz.cedar_validation_errors(p_policy text, p_schema text)
  returns text[]
  language plpython3u
  stable
  set search_path = pg_catalog, pg_temp
  as $python$
import cedarpy
try:
    result = cedarpy.validate_policies(p_policy, p_schema)
except Exception as exc:
    return ["the policy does not parse: %s" % exc]
if result.validation_passed:
    return []
return [str(getattr(e, "error", e)) for e in result.errors] or ["the policy does not validate"]
$python$;
  comment on function authz.cedar_validation_errors(text, text) is 'Errors of validating Cedar policy text against a Cedar schema (cedarpy, PL/Python); empty when it validates.';
  alter function authz.cedar_validation_errors(text, text) owner to coord_owner;
  revoke all on function authz.cedar_validation_errors(text, text) from public;
end
$plpython$;
