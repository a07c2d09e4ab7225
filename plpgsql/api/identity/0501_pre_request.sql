-- PostgREST db-pre-request (and the Python client's second statement): authenticate, then
-- become the principal's request role. Security invoker on purpose: PostgreSQL forbids
-- SET ROLE inside security definer functions.
create or replace function api.pre_request()
returns api.principal_info
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_principal api.principal_info := api.authenticate();
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  if v_principal.principal_id is not null then
    v_set := pg_catalog.set_config('role', 'coord_' || v_principal.role, true);
  end if;
  return v_principal;
end;
$$;

comment on function api.pre_request() is 'PostgREST db-pre-request: verifies the x-coord-token header and switches to the principal''s role (coord_agent, coord_operator or coord_auditor) for the rest of the transaction.';
revoke all on function api.pre_request() from public;
grant execute on function api.pre_request() to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
