-- coord:owner coord_auth
-- Admin (superuser) only: a new signing key. It signs every JWT minted from now on; the older
-- keys keep verifying what they signed until coord.retire_jwt_key. Give PostgREST the new key
-- set (coord.jwt_keys_jwks) before minting with it.
create or replace function coord.rotate_jwt_key()
returns text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kid text := left(pg_catalog.encode(pg_catalog.uuid_send(gen_random_uuid()), 'hex'), 16);
begin
  insert into coord.secrets (name, value)
  select 'jwt:' || v_kid, string_agg(pg_catalog.uuid_send(gen_random_uuid()), ''::bytea)
  from pg_catalog.generate_series(1, 4);
  return v_kid;
end;
$$;

comment on function coord.rotate_jwt_key() is 'Adds a new HS256 key (512 bits, 488 of them random; coord.secrets row jwt:<kid>) that signs from now on and returns its kid; older keys keep verifying until retired.';
revoke all on function coord.rotate_jwt_key() from public;
