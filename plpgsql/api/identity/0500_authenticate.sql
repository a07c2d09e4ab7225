-- coord:owner coord_auth
-- Verify the credential in request.headers (an opaque token in x-coord-token, or a JWT in
-- Authorization: Bearer) and vouch for the principal for the rest of this
-- transaction. Anonymous when no token is sent. Called by api.pre_request.
create or replace function api.authenticate()
returns api.principal_info
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_headers_text text := pg_catalog.current_setting('request.headers', true);
  v_headers jsonb;
  v_principal api.principal_info;
  v_claims text;
  v_login_tenant uuid;
  v_keys bytea;
  v_session_repository text;
  v_session_skill bigint;
  v_bearer text;
  v_token text;
  v_token_hash bytea;
  v_refusal text;
  v_verified boolean := false;
  v_usable boolean := false;  -- the one statement found a token that may authenticate
  v_set text;  -- what set_config returns; assigned, not PERFORMed: an expression, not a query
begin
  begin
    v_headers := coalesce(nullif(v_headers_text, ''), '{}')::jsonb;
  -- Not only malformed text: a \u0000 escape, a number past numeric's range, and class 54
  -- (program_limit_exceeded names the class): a string too long for jsonb, nesting past the stack.
  -- (pg_input_is_valid instead, on 16 and later, was slower: measured, docs/benchmarks.md.)
  exception when invalid_text_representation or untranslatable_character or numeric_value_out_of_range
                 or program_limit_exceeded then
    perform coord.fail('CO225', 'request.headers does not parse as JSON');
  end;
  if jsonb_typeof(v_headers) <> 'object' then
    perform coord.fail('CO225', format('request.headers is a JSON %s', jsonb_typeof(v_headers)));
  end if;

  -- Forget whatever identity this transaction carried before.
  v_set := pg_catalog.set_config('coord.vouch', '', true);

  -- PostgREST passes every header but Cookie in request.headers, Authorization included, so the
  -- bearer JWT is verified here from its text, whatever PostgREST made of it (claims PostgREST
  -- set in request.jwt.claims are overwritten below). Other schemes (Basic, ...) are ignored,
  -- as PostgREST ignores them.
  v_bearer := substring(v_headers ->> 'authorization' from '^[Bb][Ee][Aa][Rr][Ee][Rr] +(.*)$');
  if v_bearer is not null and v_headers ? 'x-coord-token' then
    perform coord.fail('PT401', 'the request carries both an x-coord-token header and an Authorization: Bearer token',
      'send one credential: the opaque token in x-coord-token, or a JWT as Authorization: Bearer');
  end if;
  if v_bearer is null and not (v_headers ? 'x-coord-token') then
    perform pg_catalog.set_config('request.jwt.claims', '{"role":"coord_anon"}', true);
    return null;
  end if;

  -- The common case in one statement: an opaque token that may authenticate, sent through a
  -- bound login or the gateway, with the vouch key. Whether the token may authenticate is
  -- coord.token_principals' refusal, the one place of those rules. Anything else (a JWT, an
  -- unknown or refused token, another login, a superuser) takes the general path below, which
  -- checks the login, then the credential, in that order, and raises what fails.
  v_token := v_headers ->> 'x-coord-token';
  if v_bearer is null and v_token <> '' then
    v_token_hash := pg_catalog.sha256(pg_catalog.convert_to(v_token, 'UTF8'));
    -- Into the fields themselves: a record variable costs a row type lookup per call.
    select t.principal_id, t.kind::text, t.name, t.role::text, t.tenant_id, t.tenant_name,
           t.scopes, t.token_id, t.expires_at, t.repository, t.refusal, l.tenant_id, k.value
    into v_principal.principal_id, v_principal.kind, v_principal.name, v_principal.role, v_principal.tenant_id,
         v_principal.tenant_name, v_principal.scopes, v_principal.token_id, v_principal.token_expires_at,
         v_principal.repository, v_refusal, v_login_tenant, v_keys
    from coord.token_principals as t
    left join coord.logins as l on l.role_name = session_user
    left join coord.secrets as k on k.name = 'vouch'
    where t.token_hash = v_token_hash;
    v_usable := found and v_refusal is null;
    v_verified := v_usable and (v_login_tenant is not null or session_user = 'coord_authenticator');
  end if;

  if not v_verified then
    -- The login this session connected with decides which tenants it may act for: a bound login
    -- (coord.logins) its own only; the gateway coord_authenticator and superusers any. Any other
    -- role (a bound login of another coordinator database on the same cluster, a role someone
    -- made a member of the request roles) may act for none.
    select l.tenant_id into v_login_tenant from coord.logins as l where l.role_name = session_user;
    -- Nested: a condition with a subquery runs through the executor even when its first test decides.
    if v_login_tenant is null and session_user <> 'coord_authenticator' then
      if not coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false) then
        perform coord.fail('PT401', format('login %s is not a client login of this database', session_user),
          'connect with the DSN coord login add printed (or, for infrastructure, as coord_authenticator)');
      end if;
    end if;

    if v_bearer is not null then
      v_principal := coord.verify_jwt(v_bearer);
    else
      if v_token is null or v_token = '' then
        v_principal := coord.verify_token(v_token);  -- refuses the empty token
      end if;
      -- Unknown or refused: coord.token_caller raises its PT401 (a revoked token's use recorded first).
      -- A usable token that came here only for its login (a superuser's) keeps the row already read.
      if not v_usable then
        v_principal := coord.token_caller(p_token_hash => pg_catalog.sha256(pg_catalog.convert_to(v_token, 'UTF8')));
      end if;
    end if;
  end if;
  if v_login_tenant is not null and v_login_tenant <> v_principal.tenant_id then
    perform coord.fail('PT401', format('login %s is bound to another tenant than the token''s', session_user),
      'use the token of a principal of the tenant this login was issued for');
  end if;
  -- The session a call acts in must be one of this principal's own (ended ones included: a
  -- zombie process then gets results saying its session is over, not authentication errors).
  if v_headers ? 'x-coord-session' then
    begin
      v_principal.session_id := (v_headers ->> 'x-coord-session')::uuid;
    exception when invalid_text_representation then
      perform coord.fail('CO435', format('x-coord-session %s', pg_catalog.quote_literal(left(v_headers ->> 'x-coord-session', 100))));
    end;
    select s.repository, s.skill_id into v_session_repository, v_session_skill
    from coord.sessions as s
    where s.tenant_id = v_principal.tenant_id and s.id = v_principal.session_id
      and s.agent_id = v_principal.principal_id;
    if not found then
      perform coord.fail('PT401', format('session %s does not belong to %s', v_principal.session_id, v_principal.name));
    end if;
  end if;
  -- The repository every lease of this call is keyed by: the session's, else the token's.
  v_principal.repository := coalesce(v_session_repository, v_principal.repository, 'default');
  -- json, not jsonb: the text is all that is kept (set_config, the MAC), and json_build_object
  -- neither converts nor sorts the pairs (measured: half the cost). try_principal reads it as jsonb.
  v_claims := json_build_object(
    'role', 'coord_' || v_principal.role,
    'sub', v_principal.principal_id,
    'kind', v_principal.kind,
    'name', v_principal.name,
    'principal_role', v_principal.role,
    'tenant', v_principal.tenant_id,
    'tenant_name', v_principal.tenant_name,
    'scopes', v_principal.scopes,
    'session', v_principal.session_id,
    'token', v_principal.token_id,
    'token_expires_at', v_principal.token_expires_at,
    'repository', v_principal.repository,
    'skill', v_session_skill  -- the skill the session runs under (null: none)
  )::text;
  v_set := pg_catalog.set_config('request.jwt.claims', v_claims, true);
  -- coord.vouch_mac's MAC, inline: one function entry (with its SET clause) less per call. (Read
  -- beside the login as two subplans, the key cost more, measured; as joins beside the token,
  -- less.)
  if v_keys is null then  -- read above on the common path
    select k.value into v_keys from coord.secrets as k where k.name = 'vouch';
  end if;
  if v_keys is null then
    perform coord.fail('CO501', 'the vouch key is missing');
  end if;
  v_set := pg_catalog.set_config('coord.vouch', pg_catalog.encode(pg_catalog.sha256(pg_catalog.substr(v_keys, 65, 64) || pg_catalog.sha256(
    pg_catalog.substr(v_keys, 1, 64) || pg_catalog.convert_to(
      v_claims || '|' || pg_catalog.pg_backend_pid()::text
      || '|' || (extract(epoch from pg_catalog.transaction_timestamp()) * 1000000)::bigint::text, 'UTF8'))), 'hex'), true);
  return v_principal;
end;
$$;

comment on function api.authenticate() is 'Verifies the x-coord-token header, or the JWT of an Authorization: Bearer header (signature, alg HS256, exp, nbf and its jti as a token of this database), in request.headers (and the optional x-coord-session header: a session of that principal; the repository is the session''s, else the token''s, else default) and vouches for its principal for this transaction; returns the principal, or null when anonymous. PT401 for a bad token or JWT, for both credentials at once, and for a token of another tenant than the one the session''s login is bound to (coord login add). Use api.pre_request (PostgREST) or api.login (psql) rather than calling it directly.';
revoke all on function api.authenticate() from public;
grant execute on function api.authenticate() to coord_authenticator, coord_anon, coord_agent, coord_operator, coord_auditor;
