-- What the audit keeps of the request: method, path, client address and a safe subset of
-- headers. Credentials (x-coord-token, authorization, cookies) are never copied. Each value is
-- cut to 256 characters: the client chooses them (api.begin_request's function name and
-- headers), and every audit event of the call would keep them for years.
create or replace function audit.request_context()
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_headers jsonb;
begin
  begin
    v_headers := coalesce(nullif(pg_catalog.current_setting('request.headers', true), ''), '{}')::jsonb;
  exception when invalid_text_representation then
    v_headers := '{}';
  end;
  if jsonb_typeof(v_headers) <> 'object' then
    v_headers := '{}';
  end if;
  return jsonb_strip_nulls(jsonb_build_object(
    'method', left(nullif(pg_catalog.current_setting('request.method', true), ''), 256),
    'path', left(nullif(pg_catalog.current_setting('request.path', true), ''), 256),
    'client_addr', pg_catalog.inet_client_addr()::text,
    'db_user', session_user,
    'user_agent', left(v_headers ->> 'user-agent', 256),
    'forwarded_for', left(v_headers ->> 'x-forwarded-for', 256),
    'real_ip', left(v_headers ->> 'x-real-ip', 256),
    'request_id', left(v_headers ->> 'x-request-id', 256)
  ));
end;
$$;

comment on function audit.request_context() is 'Request metadata for audit events; never includes credentials.';
revoke all on function audit.request_context() from public;
grant execute on function audit.request_context() to coord_auth;
