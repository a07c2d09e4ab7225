-- coord:owner coord_auth
-- Verify the credential in request.headers and vouch for the principal for the rest of this
-- transaction. Anonymous when no token is sent. Called by api.pre_request.
create or replace function api.authenticate()
returns api.principal_info
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_headers_text text := pg_catalog.current_setting('request.headers', true);
  v_headers jsonb;
  v_principal api.principal_info;
  v_claims text;
begin
  begin
    v_headers := coalesce(nullif(v_headers_text, ''), '{}')::jsonb;
  exception when invalid_text_representation then
    perform coord.fail('CO225', 'request.headers does not parse as JSON');
  end;
  if jsonb_typeof(v_headers) <> 'object' then
    perform coord.fail('CO225', format('request.headers is a JSON %s', jsonb_typeof(v_headers)));
  end if;

  -- Forget whatever identity this transaction carried before.
  perform pg_catalog.set_config('coord.vouch', '', true);

  if not (v_headers ? 'x-coord-token') then
    perform pg_catalog.set_config('request.jwt.claims', '{"role":"coord_anon"}', true);
    return null;
  end if;

  v_principal := coord.verify_token(v_headers ->> 'x-coord-token');
  -- The session a call acts in must be one of this principal's own (ended ones included: a
  -- zombie process then gets results saying its session is over, not authentication errors).
  if v_headers ? 'x-coord-session' then
    begin
      v_principal.session_id := (v_headers ->> 'x-coord-session')::uuid;
    exception when invalid_text_representation then
      perform coord.fail('CO435', format('x-coord-session %s', pg_catalog.quote_literal(left(v_headers ->> 'x-coord-session', 100))));
    end;
    if not exists (select from coord.sessions as s
                   where s.tenant_id = v_principal.tenant_id and s.id = v_principal.session_id
                     and s.agent_id = v_principal.principal_id) then
      perform coord.fail('PT401', format('session %s does not belong to %s', v_principal.session_id, v_principal.name));
    end if;
  end if;
  v_claims := jsonb_build_object(
    'role', 'coord_' || v_principal.role,
    'sub', v_principal.principal_id,
    'kind', v_principal.kind,
    'name', v_principal.name,
    'principal_role', v_principal.role,
    'tenant', v_principal.tenant_id,
    'tenant_name', v_principal.tenant_name,
    'scopes', to_jsonb(v_principal.scopes),
    'session', v_principal.session_id,
    'token', v_principal.token_id,
    'token_expires_at', v_principal.token_expires_at
  )::text;
  perform pg_catalog.set_config('request.jwt.claims', v_claims, true);
  perform pg_catalog.set_config('coord.vouch', coord.vouch_mac(v_claims), true);
  return v_principal;
end;
$$;

comment on function api.authenticate() is 'Verifies the x-coord-token header in request.headers (and the optional x-coord-session header: a session of that principal) and vouches for its principal for this transaction; returns the principal, or null when anonymous. PT401 for a bad token. Use api.pre_request (PostgREST) or api.login (psql) rather than calling it directly.';
revoke all on function api.authenticate() from public;
grant execute on function api.authenticate() to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
