-- coord:owner coord_auth
-- The key that signs new JWTs: the newest coord.secrets row named jwt:<kid>. The first call
-- makes one (512 bits from gen_random_uuid, the OS CSPRNG; 488 of them random), so a fresh
-- install needs no migration step and no key exists before the JWT mode is used.
create or replace function coord.jwt_signing_key(out kid text, out secret bytea)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  select substr(k.name, 5), k.value into kid, secret
  from coord.secrets as k
  where k.name like 'jwt:%'
  order by k.created_at desc, k.name
  limit 1;
  if kid is null then
    kid := coord.rotate_jwt_key();
    select k.value into secret from coord.secrets as k where k.name = 'jwt:' || kid;
  end if;
end;
$$;

comment on function coord.jwt_signing_key() is 'The kid and key that sign new JWTs (the newest jwt:<kid> row of coord.secrets), made on first use. Secret material: coord_auth only.';
revoke all on function coord.jwt_signing_key() from public;
