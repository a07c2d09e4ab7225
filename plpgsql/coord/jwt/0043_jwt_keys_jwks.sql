-- coord:owner coord_auth
-- Admin (superuser) only: the keys as a JSON Web Key Set, newest (the signing key) first, the
-- form PostgREST's jwt-secret accepts. PostgREST refuses every Bearer request before the
-- database is reached when it has no jwt-secret; with this one it accepts the JWTs the database
-- minted, and the database then verifies each again itself (coord.jwt_claims).
create or replace function coord.jwt_keys_jwks()
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform coord.jwt_signing_key();  -- there is always a key to hand out
  return (select pg_catalog.jsonb_build_object('keys', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'kty', 'oct', 'kid', substr(k.name, 5), 'alg', 'HS256', 'use', 'sig', 'k', coord.base64url_encode(k.value))
            order by k.created_at desc, k.name))
          from coord.secrets as k
          where k.name like 'jwt:%');
end;
$$;

comment on function coord.jwt_keys_jwks() is 'The JWT keys as a JWK set (kty oct, alg HS256, newest first), for PostgREST''s jwt-secret; makes the first key if there is none. Secret material: superusers only.';
revoke all on function coord.jwt_keys_jwks() from public;
