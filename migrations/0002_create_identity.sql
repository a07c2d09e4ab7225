-- Tenants, principals and their bearer tokens, the vouch key, and the injectable clock.

create type coord.actor_type as enum ('agent', 'user', 'device', 'system');
comment on type coord.actor_type is 'Who acted: an agent, a human user (operator/auditor), a device, or the system itself.';

create type coord.request_role as enum ('agent', 'operator', 'auditor');
comment on type coord.request_role is 'The per-request database role a principal acts as (coord_<value>).';

create table coord.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  disabled_at timestamptz,
  constraint tenants_name_key unique (name),
  constraint tenants_name_check check (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$')
);
comment on table coord.tenants is 'Isolation boundary: every row of every table belongs to exactly one tenant.';
comment on column coord.tenants.disabled_at is 'When set, no principal of the tenant can authenticate.';

create table coord.principals (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id uuid primary key default gen_random_uuid(),
  kind coord.actor_type not null,
  role coord.request_role not null,
  name text not null,
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  disabled_at timestamptz,
  constraint principals_tenant_name_key unique (tenant_id, name),
  constraint principals_tenant_id_key unique (tenant_id, id),
  constraint principals_name_check check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$'),
  constraint principals_kind_check check (kind <> 'system'),
  constraint principals_kind_role_check check ((kind = 'agent') = (role = 'agent'))
);
comment on table coord.principals is 'Agents and human users who can hold tokens; identity is never taken from call arguments.';
comment on column coord.principals.role is 'Fixed per principal: the request role its tokens authenticate as. Agents are agents; users are operators or auditors.';
comment on constraint principals_kind_role_check on coord.principals is 'Agents act as the agent role and only agents do.';

create table coord.tokens (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id uuid primary key default gen_random_uuid(),
  principal_id uuid not null,
  token_hash bytea not null,
  prefix text not null,
  label text,
  scopes text[] not null default '{*}',
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  expires_at timestamptz,
  revoked_at timestamptz,
  constraint tokens_principal_fkey foreign key (tenant_id, principal_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint tokens_token_hash_key unique (token_hash),
  constraint tokens_token_hash_check check (octet_length(token_hash) = 32),
  constraint tokens_expiry_check check (expires_at is null or expires_at > created_at),
  constraint tokens_scopes_check check (cardinality(scopes) between 1 and 64)
);
create index tokens_principal_idx on coord.tokens (tenant_id, principal_id);
comment on table coord.tokens is 'Opaque bearer tokens: only the SHA-256 of the token is stored; the token itself is shown once.';
comment on column coord.tokens.token_hash is 'sha256 of the UTF-8 token text; lookups are by hash, so the database never holds a usable token.';
comment on column coord.tokens.scopes is 'What the token may do, e.g. {locks:write,locks:read}; {*} means everything its role allows.';
comment on column coord.tokens.revoked_at is 'Revocation takes effect on the next call: verification refuses revoked tokens.';

-- Keys that vouch for a verified principal inside one transaction (see coord.vouch_mac).
create table coord.secrets (
  name text primary key,
  value bytea not null,
  created_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint secrets_value_check check (octet_length(value) >= 32)
);
comment on table coord.secrets is 'Server-side keys; readable only by coord_auth, the owner of the verifying functions.';

-- 'vouch' holds two independent 512-bit keys, inner then outer (gen_random_uuid draws from the
-- OS CSPRNG; 488 random bits per key).
insert into coord.secrets (name, value)
select 'vouch', string_agg(uuid_send(gen_random_uuid()), ''::bytea)
from generate_series(1, 8);

-- Test clock: coord.now() adds this offset. Writable only by the owner and superusers.
create table coord.clock (
  singleton boolean primary key default true,
  offset_by interval not null default interval '0',
  constraint clock_singleton_check check (singleton)
);
insert into coord.clock default values;
comment on table coord.clock is 'One row; offset_by shifts coord.now() so tests move time forward without sleeping. Zero in production.';

