-- Profiles: each agent's trust level (0-4) and limits. Every tenant names its default profile
-- explicitly; an agent without one gets that default, never a sibling's. The tenant columns
-- that stood in for profiles (default_trust, max_concurrent_tasks) are copied into each tenant's
-- 'standard' profile and no longer read (kept, since migrations never drop data).

create table coord.profiles (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id uuid primary key default gen_random_uuid(),
  name text not null,
  trust_level smallint not null,
  max_locks integer,
  max_lock_ttl interval,
  max_concurrent_tasks integer,
  allowed_task_kinds text[],
  allowed_operations text[],
  max_task_duration interval,
  calls_per_hour integer,
  network_default text,
  description text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint profiles_tenant_name_key unique (tenant_id, name),
  constraint profiles_tenant_id_key unique (tenant_id, id),
  constraint profiles_name_check check (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  constraint profiles_values_check check (
    trust_level between 0 and 4
    and (max_locks is null or max_locks between 0 and 100000)
    and (max_lock_ttl is null or (max_lock_ttl > interval '0' and max_lock_ttl <= interval '24 hours'))
    and (max_concurrent_tasks is null or max_concurrent_tasks between 0 and 10000)
    and (max_task_duration is null or (max_task_duration > interval '0' and max_task_duration <= interval '30 days'))
    and (calls_per_hour is null or calls_per_hour between 1 and 100000000)
    and (network_default is null or network_default in ('allow', 'deny'))
    and (description is null or char_length(description) <= 1000)
    and coalesce(cardinality(allowed_task_kinds), 0) <= 100
    and coalesce(cardinality(allowed_operations), 0) <= 100)
);
comment on table coord.profiles is 'Trust level and limits of agents. Limits are enforced by the functions they limit (acquire, claim, renew, the policy gate); null means no limit.';
comment on column coord.profiles.trust_level is '0 suspended (reads of its own state only), 1 read-only, 2 standard, 3 elevated (overrides low/medium guardrails, manages others'' tasks), 4 admin (policy and profile management, high-severity overrides).';
comment on column coord.profiles.allowed_operations is 'Actions of authz.actions the agent may take (exact names or prefix.* patterns); null: every action its role and trust allow.';
comment on column coord.profiles.allowed_task_kinds is 'Task kinds the agent may claim; null: any.';
comment on column coord.profiles.max_task_duration is 'How long one claim may last from claiming, renewals included; claims and renewals beyond it are refused.';
comment on column coord.profiles.calls_per_hour is 'Mutating calls per clock hour (fixed window); beyond it the gate denies with rule profile.rate_limit.';
comment on column coord.profiles.network_default is 'Decision of check_network when no rule matches; null: the tenant''s network_default.';

alter table coord.tenants add column default_profile_id uuid;

insert into coord.profiles (tenant_id, name, trust_level, max_concurrent_tasks, description, created_at, updated_at)
select n.id, 'standard', n.default_trust, n.max_concurrent_tasks, 'the tenant default profile', now(), now()
from coord.tenants as n;
update coord.tenants as n set default_profile_id = p.id
from coord.profiles as p where p.tenant_id = n.id and p.name = 'standard';

alter table coord.tenants
  alter column default_profile_id set not null,
  add constraint tenants_default_profile_fkey foreign key (id, default_profile_id)
    references coord.profiles (tenant_id, id) deferrable initially deferred;
comment on column coord.tenants.default_trust is 'Superseded by profiles (copied into the standard profile by migration 0008); no longer read. Kept: migrations never drop data.';
comment on column coord.tenants.max_concurrent_tasks is 'Superseded by profiles (copied into the standard profile by migration 0008); no longer read. Kept: migrations never drop data.';
comment on column coord.tenants.default_profile_id is 'Profile of every agent of the tenant without one of its own; always set.';

alter table coord.principals
  add column profile_id uuid,
  add constraint principals_profile_fkey foreign key (tenant_id, profile_id) references coord.profiles (tenant_id, id),
  add constraint principals_profile_check check (profile_id is null or kind = 'agent');
create index principals_profile_idx on coord.principals (tenant_id, profile_id) where profile_id is not null;
comment on column coord.principals.profile_id is 'The agent''s own profile; null: the tenant''s default profile. Only operators (or trust-4 agents, never for themselves) change it.';

-- Calls per hour: one row per agent, a fixed window reset when the hour turns. Unlogged: a
-- counter is not worth a WAL record per call; after a crash (or on a new primary) budgets restart.
create unlogged table coord.call_counts (
  tenant_id uuid not null,
  principal_id uuid primary key,
  window_start timestamptz not null,
  calls integer not null,
  constraint call_counts_principal_fkey foreign key (tenant_id, principal_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint call_counts_calls_check check (calls >= 0)
);
comment on table coord.call_counts is 'Mutating calls of an agent in the current clock hour, kept only for agents whose profile sets calls_per_hour.';

alter table authz.network_rules
  add column profile_id uuid,
  add constraint network_rules_profile_fkey foreign key (tenant_id, profile_id)
    references coord.profiles (tenant_id, id) on delete cascade,
  add constraint network_rules_scope_check check (principal_id is null or profile_id is null);
comment on column authz.network_rules.profile_id is 'Set for a rule of one profile (applies to its agents); at most one of principal_id and profile_id is set.';

-- Rules gain a profile scope: one name, one signature, so the old shapes go.
drop function if exists api.add_network_rule(text, text, integer, text, text);
drop function if exists api.list_network_rules();

create type api.profile as (
  name text,
  trust_level integer,
  max_locks integer,
  max_lock_ttl interval,
  max_concurrent_tasks integer,
  allowed_task_kinds text[],
  allowed_operations text[],
  max_task_duration interval,
  calls_per_hour integer,
  network_default text,
  description text,
  is_default boolean,
  agents integer,
  created_at timestamptz,
  updated_at timestamptz
);
comment on type api.profile is 'A profile as the api shows it: trust level, limits (null: none), whether it is the tenant default and how many agents have it assigned.';

create type api.profile_result as (
  ok boolean,
  code text,
  reason text,
  profile text,
  details jsonb
);
comment on type api.profile_result is 'Outcome of a profile change: ok with code created, updated, assigned, default_set or deleted; ok=false with denied or in_use.';
