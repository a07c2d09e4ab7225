-- A token in the JWT mode: a token row like any other (scopes, expiry, label, revocation, audit
-- event token.issue), but the credential handed out is an HS256 JWT naming that row in its jti,
-- signed by the database (coord.jwt_sign). The row's opaque token text is never shown, so the
-- JWT is the only way to use it (its label says jwt unless p_label is given). A JWT always
-- expires: 24 hours unless p_expires_in says otherwise.
create or replace function coord.issue_jwt(
  p_tenant_id uuid,
  p_principal_id uuid,
  p_scopes text[] default '{*}',
  p_expires_in interval default null,
  p_label text default null,
  p_repository text default null
)
returns api.token_grant
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_grant api.token_grant := coord.issue_token(p_tenant_id, p_principal_id, p_scopes,
                                               coalesce(p_expires_in, interval '24 hours'),
                                               coalesce(p_label, 'jwt'), p_repository);
  v_now bigint := floor(extract(epoch from coord.now()))::bigint;
begin
  v_grant.token := coord.jwt_sign(pg_catalog.jsonb_build_object(
    'jti', v_grant.token_id,
    'sub', v_grant.principal_id,
    'role', 'coord_' || v_grant.role,
    'tenant', p_tenant_id,
    'iat', v_now,
    'nbf', v_now,
    'exp', floor(extract(epoch from v_grant.expires_at))::bigint));
  return v_grant;
end;
$$;

comment on function coord.issue_jwt(uuid, uuid, text[], interval, text, text) is 'Issues a token for a principal of the tenant in the JWT mode: returns an HS256 JWT (jti = the token id, sub, role, tenant, iat, nbf, exp; lifetime 24 hours unless p_expires_in is given; label jwt unless p_label is given), verified by the database on every request and revoked like any token. Errors as coord.issue_token.';
revoke all on function coord.issue_jwt(uuid, uuid, text[], interval, text, text) from public;
