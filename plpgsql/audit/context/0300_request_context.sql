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
  v_text text := coalesce(nullif(pg_catalog.current_setting('request.headers', true), ''), '{}');
  v_headers jsonb;
begin
  -- Every audit event calls this. On 16 and later the headers are checked without an EXCEPTION
  -- block (each entry of one opens a subtransaction); 15 has no pg_input_is_valid. The block
  -- catches the errors jsonb's input reports softly (pg_input_is_valid answers false to them),
  -- and only those: a stack depth exceeded by nesting is an error on 16+ too. (api.authenticate
  -- refuses all of these, and class 54, with CO225 before any event is written.)
  if pg_catalog.current_setting('server_version_num')::integer >= 160000 then
    if pg_catalog.pg_input_is_valid(v_text, 'jsonb') then
      v_headers := v_text::jsonb;
    end if;
  else
    begin
      v_headers := v_text::jsonb;
    exception when invalid_text_representation or untranslatable_character or numeric_value_out_of_range then
      v_headers := null;
    end;
  end if;
  if jsonb_typeof(v_headers) is distinct from 'object' then
    v_headers := '{}';
  end if;
  -- jsonb_object over one text array: jsonb_build_object looks up each argument's type on every call.
  return jsonb_strip_nulls(jsonb_object(array[
    'method', left(nullif(pg_catalog.current_setting('request.method', true), ''), 256),
    'path', left(nullif(pg_catalog.current_setting('request.path', true), ''), 256),
    'client_addr', pg_catalog.inet_client_addr()::text,
    'db_user', session_user::text,
    'user_agent', left(v_headers ->> 'user-agent', 256),
    'forwarded_for', left(v_headers ->> 'x-forwarded-for', 256),
    'real_ip', left(v_headers ->> 'x-real-ip', 256),
    'request_id', left(v_headers ->> 'x-request-id', 256)
  ]));
end;
$$;

comment on function audit.request_context() is 'Request metadata for audit events; never includes credentials.';
revoke all on function audit.request_context() from public;
grant execute on function audit.request_context() to coord_auth;
