-- api.token_grant by name: a token issued once, or why not. It has no details column: a
-- refusal's rule is in its audit event.
-- PL/pgSQL rather than SQL: it keeps its plan across calls (about half the cost per result).
create or replace function coord.token_result(
  p_code text default null,
  p_reason text default null,
  p_principal_id uuid default null,
  p_principal_name text default null,
  p_tenant_name text default null,
  p_role text default null,
  p_token_id uuid default null,
  p_token text default null,
  p_scopes text[] default null,
  p_expires_at timestamptz default null,
  p_ok boolean default null,
  p_refusal authz.decision default null
)
returns api.token_grant
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_head api.result := coord.result(p_code, p_reason, '{}', p_ok, p_refusal);
begin
  return row(v_head.ok, v_head.code, v_head.reason, p_principal_id, p_principal_name, p_tenant_name, p_role, p_token_id, p_token,
             p_scopes, p_expires_at)::api.token_grant;
end;
$$;

comment on function coord.token_result(text, text, uuid, text, text, text, uuid, text, text[], timestamptz, boolean, authz.decision) is 'Builds an api.token_grant (code checked by coord.result).';
revoke all on function coord.token_result(text, text, uuid, text, text, text, uuid, text, text[], timestamptz, boolean, authz.decision) from public;
