-- The Python client's first statement: the request context PostgREST sets with its set_config
-- statement, then what api.pre_request does (its body inline), in one call. The client
-- pipelines it and the api call with one Sync and no BEGIN/COMMIT: one round trip, one
-- implicit transaction (docs/architecture.md, "One request"). The call is not folded into
-- this statement: PostgreSQL checks EXECUTE on every function of a statement when the
-- statement starts, under the login role, which may execute only the authentication plumbing
-- (coord.grant_login_api). Security invoker like
-- pre_request: PostgreSQL forbids SET ROLE inside security definer functions.
create or replace function api.begin_request(p_function text, p_headers text, p_read_only boolean default false)
returns api.principal_info
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_principal api.principal_info;
  v_set text;  -- assigned, not PERFORMed: expressions, not a query through the executor
begin
  -- PostgREST's context of POST /rpc/<function> with an opaque token or a Bearer JWT in the
  -- headers (its search_path aside: a function's own SET clause would undo it on exit, and
  -- every function pins its own).
  v_set := pg_catalog.set_config('role', 'coord_anon', true);
  v_set := pg_catalog.set_config('request.jwt.claims', '{"role":"coord_anon"}', true);
  v_set := pg_catalog.set_config('request.method', 'POST', true);
  v_set := pg_catalog.set_config('request.path', '/rpc/' || p_function, true);
  v_set := pg_catalog.set_config('request.headers', p_headers, true);
  v_set := pg_catalog.set_config('request.cookies', '{}', true);
  -- PostgREST's BEGIN ... READ ONLY for a stable function. Turning it on is allowed at any point
  -- of a transaction, turning it off again after the first query is not.
  if p_read_only then
    v_set := pg_catalog.set_config('transaction_read_only', 'on', true);
  end if;
  -- api.pre_request's body, inline (one function entry, with its SET clauses, less per call):
  -- authenticate, then become the principal's request role.
  v_principal := api.authenticate();
  if v_principal.principal_id is not null then
    v_set := pg_catalog.set_config('role', 'coord_' || v_principal.role, true);
  end if;
  return v_principal;
end;
$$;

comment on function api.begin_request(text, text, boolean) is 'The Python client''s request context in one call: sets what PostgREST sets for POST /rpc/p_function (role coord_anon, anonymous claims, method, path, p_headers as request.headers, no cookies), makes the transaction read-only when p_read_only (a stable function), then runs api.pre_request (verifies the x-coord-token or Authorization: Bearer header, switches role). Sent pipelined with the api call in one implicit transaction.';
revoke all on function api.begin_request(text, text, boolean) from public;
grant execute on function api.begin_request(text, text, boolean) to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
