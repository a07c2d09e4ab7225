-- coord:owner coord_auth
-- Resolve a bearer JWT to its principal: the signature, algorithm and times are checked by
-- coord.jwt_claims; then the jti must be a token of this database whose principal, tenant and
-- role are the ones the claims name, and the token itself must pass the opaque token's checks
-- (revoked, expired, disabled). Claims PostgREST put in request.jwt.claims play no part.
create or replace function coord.verify_jwt(p_jwt text)
returns coord.caller
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_claims jsonb := coord.jwt_claims(p_jwt);
  v_token_id uuid;
  v_caller coord.caller;
begin
  -- Checked by pattern rather than caught: an exception block would cost a subtransaction per request.
  if (v_claims ->> 'jti') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_token_id := (v_claims ->> 'jti')::uuid;
  end if;
  if v_token_id is null then
    perform coord.fail('PT401', format('the JWT''s jti %s is not a token id', coalesce(quote_literal(left(v_claims ->> 'jti', 60)), 'is missing and')),
      'send a JWT that coord token issue --jwt minted');
  end if;
  v_caller := coord.token_caller(p_token_id => v_token_id);
  if (v_claims ->> 'tenant') is distinct from v_caller.tenant_id::text
     or (v_claims ->> 'sub') is distinct from v_caller.principal_id::text
     or (v_claims ->> 'role') is distinct from 'coord_' || v_caller.role then
    perform coord.fail('PT401', format('the JWT''s claims do not match token %s (tenant, sub or role)', v_token_id),
      'send the JWT unchanged, as coord token issue --jwt minted it');
  end if;
  return v_caller;
end;
$$;

comment on function coord.verify_jwt(text) is 'The principal a bearer JWT stands for: PT401 unless coord.jwt_claims verifies it and its jti is a token whose tenant, principal and role match the claims and which is not revoked (its use recorded and alerted), expired or disabled.';
revoke all on function coord.verify_jwt(text) from public;
