-- coord:owner coord_auth
-- A compact HS256 JWT of p_claims, signed with the current key (coord.jwt_signing_key) and
-- naming it in the header's kid.
create or replace function coord.jwt_sign(p_claims jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key record := coord.jwt_signing_key();
  v_signing_input text;
begin
  v_signing_input := coord.base64url_encode(pg_catalog.convert_to(
                       pg_catalog.jsonb_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', v_key.kid)::text, 'UTF8'))
                     || '.' || coord.base64url_encode(pg_catalog.convert_to(p_claims::text, 'UTF8'));
  return v_signing_input || '.'
         || coord.base64url_encode(coord.hmac_sha256(v_key.secret, pg_catalog.convert_to(v_signing_input, 'UTF8')));
end;
$$;

comment on function coord.jwt_sign(jsonb) is 'A compact HS256 JWT carrying p_claims, signed with the current key (coord.jwt_signing_key, named by kid).';
revoke all on function coord.jwt_sign(jsonb) from public;
grant execute on function coord.jwt_sign(jsonb) to coord_owner;
