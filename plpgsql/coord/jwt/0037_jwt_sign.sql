-- coord:owner coord_auth
-- A compact HS256 JWT of p_claims, signed with the current key (the newest one not retired)
-- and naming it in the header's kid.
create or replace function coord.jwt_sign(p_claims jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key record;
  v_signing_input text;
begin
  select k.kid, k.secret into v_key
  from coord.jwt_keys as k
  where k.retired_at is null
  order by k.created_at desc, k.kid
  limit 1;
  if not found then
    perform coord.fail('CO501', 'no JWT signing key: every key in coord.jwt_keys is retired',
      'add one with coord token jwt-rotate');
  end if;
  v_signing_input := coord.base64url_encode(pg_catalog.convert_to(
                       pg_catalog.jsonb_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', v_key.kid)::text, 'UTF8'))
                     || '.' || coord.base64url_encode(pg_catalog.convert_to(p_claims::text, 'UTF8'));
  return v_signing_input || '.'
         || coord.base64url_encode(coord.hmac_sha256(v_key.secret, pg_catalog.convert_to(v_signing_input, 'UTF8')));
end;
$$;

comment on function coord.jwt_sign(jsonb) is 'A compact HS256 JWT carrying p_claims, signed with the current key of coord.jwt_keys (named by kid). CO501 when every key is retired.';
revoke all on function coord.jwt_sign(jsonb) from public;
grant execute on function coord.jwt_sign(jsonb) to coord_owner;
