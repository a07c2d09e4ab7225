-- coord:owner coord_auth
-- Admin (superuser) only: the keys that are not retired as a JSON Web Key Set, the form
-- PostgREST's jwt-secret accepts. PostgREST refuses every Bearer request before the database
-- is reached when it has no jwt-secret; with this one it accepts the JWTs the database minted,
-- and the database then verifies each again itself (coord.jwt_claims).
create or replace function coord.jwt_keys_jwks()
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.jsonb_build_object('keys', coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'kty', 'oct', 'kid', k.kid, 'alg', 'HS256', 'use', 'sig', 'k', coord.base64url_encode(k.secret))
           order by k.created_at desc, k.kid), '[]'::jsonb))
  from coord.jwt_keys as k
  where k.retired_at is null;
$$;

comment on function coord.jwt_keys_jwks() is 'The JWT keys that are not retired as a JWK set (kty oct, alg HS256), for PostgREST''s jwt-secret. Secret material: superusers only.';
revoke all on function coord.jwt_keys_jwks() from public;
