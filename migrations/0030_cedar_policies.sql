-- Cedar as an opt-in second policy engine (docs/cedar.md): each tenant's Cedar policy text in
-- versions that are never changed (a rollback stores an old text as a new version, so the
-- history says who went back, when and why), and the engine each tenant decides with. A tenant
-- without a row in authz.tenant_engines decides natively.

create table authz.cedar_policies (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  version integer not null,
  policy text not null,
  reason text not null,
  created_by uuid,
  created_by_name text not null,
  created_at timestamptz not null,
  rolled_back_from integer,
  constraint cedar_policies_pkey primary key (tenant_id, version),
  constraint cedar_policies_rollback_fkey foreign key (tenant_id, rolled_back_from)
    references authz.cedar_policies (tenant_id, version),
  constraint cedar_policies_values_check check (
    version >= 1
    and char_length(policy) between 1 and 262144
    and char_length(reason) between 1 and 1000
    and (rolled_back_from is null or rolled_back_from < version))
);
comment on table authz.cedar_policies is 'Cedar policy text of a tenant, one immutable row per version (validated against authz.cedar_schema() before it is stored); the highest version is in force. A rollback stores the text of an older version as a new version (rolled_back_from).';
comment on column authz.cedar_policies.created_by is 'The principal that stored the version (null once it is deleted; created_by_name keeps its name).';

create table authz.tenant_engines (
  tenant_id uuid primary key references coord.tenants (id) on delete cascade,
  engine text not null,
  reason text not null,
  changed_by uuid,
  changed_at timestamptz not null,
  constraint tenant_engines_values_check check (
    engine in ('native', 'cedar', 'both') and char_length(reason) between 1 and 1000)
);
comment on table authz.tenant_engines is 'The policy engine a tenant decides with: native (also when the tenant has no row), cedar (the Cedar policy decides; counters such as calls_per_hour still apply) or both (both must allow; a disagreement is audited). Changes are audited (policy.engine).';
