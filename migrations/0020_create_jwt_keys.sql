-- Signing keys of the JWT mode (coord token issue --jwt). HS256 needs the same key to sign and to
-- verify, so the database keeps it, like the vouch keys, readable only by coord_auth, the owner
-- of the functions that mint and verify. Rotation: a new key signs from the moment it is added;
-- older keys keep verifying the tokens they signed until they are retired.
create table coord.jwt_keys (
  kid text primary key,
  secret bytea not null,
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  retired_at timestamptz,
  constraint jwt_keys_kid_check check (kid ~ '^[a-z0-9]{1,32}$'),
  constraint jwt_keys_secret_check check (octet_length(secret) between 32 and 64),
  constraint jwt_keys_retired_check check (retired_at is null or retired_at >= created_at)
);
comment on table coord.jwt_keys is 'HS256 keys of the JWT mode, by key id (the JWT header''s kid). The newest key that is not retired signs; every key that is not retired verifies. Readable only by coord_auth.';
comment on column coord.jwt_keys.secret is '256 to 512 random bits; PostgREST''s jwt-secret must hold the same keys (coord token jwt-keys prints them as a JWK set).';
comment on column coord.jwt_keys.retired_at is 'Tokens signed with a retired key no longer verify.';

-- The first key: 512 bits from gen_random_uuid (the OS CSPRNG; 488 random bits), a random kid.
insert into coord.jwt_keys (kid, secret)
select left(pg_catalog.encode(pg_catalog.uuid_send(gen_random_uuid()), 'hex'), 16),
       string_agg(pg_catalog.uuid_send(gen_random_uuid()), ''::bytea)
from generate_series(1, 4);
