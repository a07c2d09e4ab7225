-- What the audit keeps of the request: method, path, client address and a safe subset of
-- headers. Credentials (x-coord-token, authorization, cookies) are never copied.
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
    'method', nullif(pg_catalog.current_setting('request.method', true), ''),
    'path', nullif(pg_catalog.current_setting('request.path', true), ''),
    'client_addr', pg_catalog.inet_client_addr()::text,
    'db_user', session_user,
    'user_agent', v_headers ->> 'user-agent',
    'forwarded_for', v_headers ->> 'x-forwarded-for',
    'real_ip', v_headers ->> 'x-real-ip',
    'request_id', v_headers ->> 'x-request-id'
  ));
end;
$$;

comment on function audit.request_context() is 'Request metadata for audit events; never includes credentials.';
revoke all on function audit.request_context() from public;
grant execute on function audit.request_context() to coord_auth;
