-- The coordination core: agent sessions, the work queue with fenced claims and dependencies,
-- handoff documents, and session ownership of leases.

-- Until governance brings profiles, a tenant's defaults stand in for the claimant's limits.
alter table coord.tenants
  add column default_trust smallint not null default 2,
  add column max_concurrent_tasks integer not null default 64,
  add column task_channel text not null default ('coord_tasks_' || replace(gen_random_uuid()::text, '-', '')),
  add constraint tenants_default_trust_check check (default_trust between 0 and 4),
  add constraint tenants_max_concurrent_tasks_check check (max_concurrent_tasks between 0 and 10000);
comment on column coord.tenants.default_trust is 'Trust level (0-4) of every principal of the tenant until profiles assign one; claim_task compares it with a task''s required_trust.';
comment on column coord.tenants.task_channel is 'LISTEN channel on which the tenant''s newly claimable tasks announce their kind: random, so only the tenant''s own principals (told it by claim_task) can listen.';
comment on column coord.tenants.max_concurrent_tasks is 'How many live claims one principal may hold at once, until profiles set it per agent.';

create table coord.sessions (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id uuid primary key default gen_random_uuid(),
  agent_id uuid not null,
  agent_type text,
  capabilities text[] not null default '{}',
  status text not null default 'starting',
  current_task_id bigint,
  ttl interval not null,
  started_at timestamptz not null,
  last_heartbeat_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  end_reason text,
  constraint sessions_agent_fkey foreign key (tenant_id, agent_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint sessions_tenant_id_key unique (tenant_id, id),
  constraint sessions_values_check check (
    ttl >= interval '1 second' and ttl <= interval '1 hour'
    and expires_at > last_heartbeat_at and last_heartbeat_at >= started_at
    and status ~ '^[a-z][a-z0-9_-]{0,31}$'
    and agent_type ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$'
    and cardinality(capabilities) <= 64),
  constraint sessions_end_check check ((ended_at is null) = (end_reason is null) and end_reason in ('ended', 'expired'))
);
create index sessions_live_expiry_idx on coord.sessions (tenant_id, expires_at) where ended_at is null;
create index sessions_agent_idx on coord.sessions (tenant_id, agent_id);
alter table coord.sessions set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

comment on table coord.sessions is 'One run of an agent process. Leases and claims taken under a session belong to it: its heartbeat keeps them alive and its death (end or expiry) releases them.';
comment on column coord.sessions.expires_at is 'last_heartbeat_at + ttl. Past it the session is dead for good: a later heartbeat is refused, and cleanup releases its leases and requeues its claims.';
comment on column coord.sessions.status is 'What the agent last said it is doing (free word: working, idle, blocked, ...). Presence (online/idle/offline) is derived from heartbeat age instead.';
comment on constraint sessions_end_check on coord.sessions is 'An ended session says why: ended by the agent, or expired and cleaned up.';

-- Leases belong to a session (or, for calls made without one, to the principal alone) and
-- may be held on behalf of a claimed task.
alter table coord.locks
  add column session_id uuid,
  add column task_id bigint,
  add constraint locks_session_fkey foreign key (tenant_id, session_id)
    references coord.sessions (tenant_id, id) on delete cascade,
  drop constraint locks_holder_path_key,
  add constraint locks_holder_path_key unique nulls not distinct (tenant_id, path, holder_id, session_id);
create index locks_session_idx on coord.locks (tenant_id, session_id) where session_id is not null;
create index locks_task_idx on coord.locks (task_id) where task_id is not null;
comment on column coord.locks.session_id is 'The session that holds the lease; null when taken without a session (then only its own expiry ends it).';
comment on column coord.locks.task_id is 'Set when the lease was taken by claiming a task that declared it; it ends with the claim.';

create type coord.task_state as enum ('queued', 'claimed', 'completed', 'failed', 'cancelled', 'dead');
comment on type coord.task_state is 'Task lifecycle (the formal model''s names): queued -> claimed -> completed | failed, or back to queued when a claim expires or fails retryably, dead after max_attempts; cancelled by a person or a failed dependency.';

create table coord.tasks (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  kind text collate "C" not null,
  payload jsonb not null default '{}',
  priority integer not null default 0,
  state coord.task_state not null default 'queued',
  pending_deps integer not null default 0,
  run_after timestamptz not null,
  attempts integer not null default 0,
  max_attempts integer not null default 3,
  required_trust smallint not null default 0,
  unique_key text,
  lock_paths text[] collate "C" not null default '{}',
  submitted_by uuid not null,
  submitted_at timestamptz not null,
  claim bigint,
  claimed_by uuid,
  claimed_session_id uuid,
  claimed_at timestamptz,
  lease_expires_at timestamptz,
  finished_at timestamptz,
  result jsonb,
  last_error text,
  last_event text not null default 'submitted',
  state_changed_at timestamptz not null,
  constraint tasks_tenant_id_key unique (tenant_id, id),
  constraint tasks_claim_key unique (claim),
  constraint tasks_submitted_by_fkey foreign key (tenant_id, submitted_by)
    references coord.principals (tenant_id, id) on delete cascade,
  -- Field ranges in one CHECK: each CHECK costs its expression setup on every INSERT/UPDATE
  -- statement, and the api validates arguments with specific error codes before writing.
  constraint tasks_values_check check (
    kind ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$'
    and octet_length(payload::text) <= 65536
    and (result is null or octet_length(result::text) <= 65536)
    and priority between -1000 and 1000
    and pending_deps >= 0
    and max_attempts between 1 and 100
    and attempts between 0 and max_attempts
    and required_trust between 0 and 4
    and (unique_key is null or char_length(unique_key) between 1 and 200)
    and cardinality(lock_paths) <= 64
    and (last_error is null or char_length(last_error) <= 4000)),
  constraint tasks_queued_check check (state <> 'queued' or (
    claim is null and claimed_by is null and claimed_session_id is null and claimed_at is null
    and lease_expires_at is null and finished_at is null)),
  constraint tasks_claimed_check check (state <> 'claimed' or (
    claim is not null and claimed_by is not null and claimed_at is not null
    and lease_expires_at > claimed_at and finished_at is null and pending_deps = 0 and attempts >= 1)),
  constraint tasks_completed_check check (state <> 'completed' or (
    claim is not null and claimed_by is not null and result is not null)),
  constraint tasks_finished_check check (state not in ('completed', 'failed', 'cancelled', 'dead') or (
    finished_at is not null and lease_expires_at is null))
);
-- Only claimable rows are in the claim index: queued with every dependency completed.
create index tasks_ready_idx on coord.tasks (tenant_id, priority desc, id) include (kind, run_after, required_trust)
  where state = 'queued' and pending_deps = 0;
create index tasks_claimed_expiry_idx on coord.tasks (tenant_id, lease_expires_at) where state = 'claimed';
create index tasks_claimant_idx on coord.tasks (tenant_id, claimed_by) where state = 'claimed';
create index tasks_state_idx on coord.tasks (tenant_id, state, id);
create unique index tasks_pending_unique_key_idx on coord.tasks (tenant_id, kind, unique_key)
  where unique_key is not null and state in ('queued', 'claimed');
alter table coord.tasks set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02,
                             autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

comment on table coord.tasks is 'The work queue. State changes pass coord.tg_tasks__transition, which refuses illegal moves and audits each one.';
comment on column coord.tasks.pending_deps is 'Dependencies not yet completed; decremented when a parent completes, so claims never scan depends_on.';
comment on column coord.tasks.claim is 'Fencing claim token of the current (or completing) claim, from coord.lock_fence_seq; renew, complete and fail must present it.';
comment on column coord.tasks.attempts is 'Claims so far; the claim with attempts = max_attempts is the last one before dead.';
comment on column coord.tasks.lock_paths is 'Canonical paths a claim leases exclusively, all or none, in this (sorted) order.';
comment on column coord.tasks.last_event is 'Why the row last changed (submitted, claimed, completed, failed, retry, expired, session_lost, cancelled, dependency_failed, redriven); audited by the transition trigger.';
comment on column coord.tasks.unique_key is 'Dedupes pending work: at most one queued or claimed task per (kind, unique_key).';
comment on constraint tasks_queued_check on coord.tasks is 'A queued task carries no claim.';
comment on constraint tasks_claimed_check on coord.tasks is 'A claimed task has exactly one claim token, claimant and live lease, and no open dependencies.';
comment on constraint tasks_completed_check on coord.tasks is 'A completed task records who completed it (claim, claimant) and its result.';
comment on constraint tasks_finished_check on coord.tasks is 'A finished task has a finish time and no lease.';

create table coord.task_dependencies (
  tenant_id uuid not null,
  task_id bigint not null,
  depends_on_id bigint not null,
  primary key (task_id, depends_on_id),
  constraint task_dependencies_task_fkey foreign key (tenant_id, task_id)
    references coord.tasks (tenant_id, id) on delete cascade,
  constraint task_dependencies_parent_fkey foreign key (tenant_id, depends_on_id)
    references coord.tasks (tenant_id, id) on delete cascade,
  constraint task_dependencies_self_check check (task_id <> depends_on_id)
);
create index task_dependencies_parent_idx on coord.task_dependencies (depends_on_id);
comment on table coord.task_dependencies is 'Edges task -> prerequisite. Acyclic by construction: submit only adds edges to existing tasks or checks the batch for cycles.';

create table coord.handoffs (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  author_id uuid not null,
  session_id uuid,
  task_id bigint,
  to_agent_id uuid,
  summary text not null,
  completed text[] not null default '{}',
  in_progress text[] not null default '{}',
  decisions text[] not null default '{}',
  next_steps text[] not null default '{}',
  relevant_files text[] not null default '{}',
  created_at timestamptz not null,
  constraint handoffs_author_fkey foreign key (tenant_id, author_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint handoffs_to_agent_fkey foreign key (tenant_id, to_agent_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint handoffs_task_fkey foreign key (tenant_id, task_id)
    references coord.tasks (tenant_id, id) on delete set null (task_id),
  constraint handoffs_summary_check check (char_length(summary) between 1 and 20000),
  constraint handoffs_lists_check check (
    cardinality(completed) <= 200 and cardinality(in_progress) <= 200 and cardinality(decisions) <= 200
    and cardinality(next_steps) <= 200 and cardinality(relevant_files) <= 1000)
);
create index handoffs_tenant_created_idx on coord.handoffs (tenant_id, id desc);
create index handoffs_task_idx on coord.handoffs (tenant_id, task_id) where task_id is not null;
comment on table coord.handoffs is 'Session-continuity documents: what one session leaves for the next (summary, completed, in progress, decisions, next steps, relevant files).';

-- Result types.
create type api.task_result as (
  ok boolean,
  code text,
  reason text,
  task_id bigint,
  state text,
  claim bigint,
  attempt integer,
  run_after timestamptz,
  details jsonb
);
comment on type api.task_result is 'Outcome of submit/renew/complete/fail/cancel/redrive: ok and code always; the task''s id and resulting state when there is one.';

create type api.claim_result as (
  ok boolean,
  code text,
  reason text,
  task_id bigint,
  kind text,
  payload jsonb,
  priority integer,
  claim bigint,
  attempt integer,
  max_attempts integer,
  lease_expires_at timestamptz,
  locks jsonb,
  details jsonb
);
comment on type api.claim_result is 'A claimed task with its claim token and lease (and the fences of the leases it declared), or ok=false with why nothing was claimed.';

create type api.task as (
  task_id bigint,
  kind text,
  state text,
  priority integer,
  payload jsonb,
  depends_on bigint[],
  pending_deps integer,
  run_after timestamptz,
  attempts integer,
  max_attempts integer,
  required_trust integer,
  unique_key text,
  locks text[],
  submitted_by text,
  submitted_at timestamptz,
  claimed_by text,
  claim bigint,
  lease_expires_at timestamptz,
  finished_at timestamptz,
  result jsonb,
  last_error text,
  last_event text
);
comment on type api.task is 'A task as get_task and list_tasks show it.';

create type api.session_result as (
  ok boolean,
  code text,
  reason text,
  session_id uuid,
  expires_at timestamptz,
  details jsonb
);
comment on type api.session_result is 'Outcome of start_session/heartbeat/end_session.';

create type api.agent_presence as (
  principal_id uuid,
  name text,
  session_id uuid,
  agent_type text,
  capabilities text[],
  status text,
  presence text,
  current_task_id bigint,
  started_at timestamptz,
  last_heartbeat_at timestamptz,
  expires_at timestamptz
);
comment on type api.agent_presence is 'One session of an agent as discover_agents shows it; presence is online, idle or offline from heartbeat age.';

create type api.handoff as (
  handoff_id bigint,
  author text,
  session_id uuid,
  task_id bigint,
  to_agent text,
  summary text,
  completed text[],
  in_progress text[],
  decisions text[],
  next_steps text[],
  relevant_files text[],
  created_at timestamptz
);
comment on type api.handoff is 'A handoff document as read_handoff returns it.';

-- Lease functions now know the holder's session (and the task a lease serves).
drop function if exists coord.try_acquire_lock(uuid, uuid, text, coord.lock_mode, interval, text, timestamptz);
drop function if exists coord.end_or_extend_lease(uuid, uuid, text, bigint, timestamptz, timestamptz);
