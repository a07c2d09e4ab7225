-- Skills: named, versioned permission manifests ({network, files, env}) a session may run
-- under. While it does, its leases, network checks and path and environment checks are held to
-- the manifest as well as to the profile (docs/skills.md). A version is immutable once
-- registered; retiring it stops new sessions from starting under it.

create table coord.skills (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  name text not null,
  version text not null,
  version_key integer[] not null,
  manifest jsonb not null,
  registered_by uuid,
  registered_at timestamptz not null,
  approval_id bigint,
  retired_at timestamptz,
  retired_by uuid,
  constraint skills_tenant_id_key unique (tenant_id, id),
  constraint skills_version_key unique (tenant_id, name, version),
  constraint skills_values_check check (
    name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'
    and version ~ '^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$'
    and cardinality(version_key) = 3
    and jsonb_typeof(manifest) = 'object'
    and pg_column_size(manifest) <= 262144),
  constraint skills_retired_check check (retired_at is not null or retired_by is null)
);
create unique index skills_version_order_key on coord.skills (tenant_id, name, version_key);

comment on table coord.skills is 'Skill versions of a tenant: an immutable permission manifest (network domains, repository paths with read or write access, environment variables) a session may run under (api.start_session p_skill). Registered by api.register_skill; a manifest wider than the previous version''s needs an approval unless an operator registers it.';
comment on column coord.skills.version_key is 'The version as [major, minor, patch], for ordering: versions of a skill only grow.';
comment on column coord.skills.manifest is 'The canonical manifest: {"network": [host or *.suffix], "files": [{"path": pattern, "access": read|write}], "env": [NAME or PREFIX*]}, each list sorted and without duplicates (coord.skill_manifest).';
comment on column coord.skills.approval_id is 'The approval grant the registration used (a widening by an agent), else null.';
comment on column coord.skills.retired_at is 'When the version was retired: no session starts under it any more; sessions running it stay held to it.';

-- What register_skill answers: the version, and the approval a widening asked for or used.
create type api.skill_result as (
  ok boolean,
  code text,
  reason text,
  skill_id bigint,
  name text,
  version text,
  approval_id bigint,
  details jsonb
);
comment on type api.skill_result is 'Outcome of register_skill: registered or already_registered (skill_id), or needs_approval with the approval request (approval_id; repeat with p_approval once granted), or a refusal; details.manifest and details.widened.';

-- A session runs under at most one skill version, fixed at its start.
alter table coord.sessions no force row level security;
alter table coord.sessions add column skill_id bigint;
alter table coord.sessions
  add constraint sessions_skill_fkey foreign key (tenant_id, skill_id)
    references coord.skills (tenant_id, id) on delete restrict;
create index sessions_skill_idx on coord.sessions (tenant_id, skill_id) where skill_id is not null;
comment on column coord.sessions.skill_id is 'The skill version the session runs under (api.start_session p_skill), else null: every call made in the session is held to its manifest.';
alter table coord.sessions force row level security;

-- The caller carries the skill of its session (from the vouched claims), so a call without one
-- pays nothing for the check. Appended, as repository was.
alter type coord.caller add attribute skill_id bigint;

-- start_session takes p_skill.
drop function if exists api.start_session(text, text[], interval, text);
