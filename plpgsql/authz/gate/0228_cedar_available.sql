-- Whether this server can decide with Cedar: PL/Python is installed (the Cedar functions of
-- 0223_cedar_evaluate.sql exist) and its Python imports cedarpy.
create or replace function authz.cedar_available()
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.to_regprocedure('authz.cedar_version()') is null then
    return false;
  end if;
  return authz.cedar_version() is not null;
end;
$$;

comment on function authz.cedar_available() is 'True when the server has PL/Python with the Cedar functions and its Python imports cedarpy: only then may a tenant choose the cedar or both engine.';
revoke all on function authz.cedar_available() from public;
