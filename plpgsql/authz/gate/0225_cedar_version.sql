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

  -- The cedarpy version, or null when the server's Python cannot import it.
  create or replace function authz.cedar_version()
  returns text
  language plpython3u
  stable
  set search_path = pg_catalog, pg_temp
  as $python$
try:
    import cedarpy
except ImportError:
    return None
try:
    from importlib.metadata import version
    return "cedarpy " + version("cedarpy")
except Exception:
    return "cedarpy"
$python$;
  comment on function authz.cedar_version() is 'The cedarpy version the server''s Python imports (PL/Python), null when it cannot import it.';
  alter function authz.cedar_version() owner to coord_owner;
  revoke all on function authz.cedar_version() from public;
end
$plpython$;
