-- Actions: work a principal proposes for a device or an agent (the target) to carry out. An
-- action's approval is an approval request (kind action:<kind>, target the action): approving,
-- denying, cancelling or expiring that request moves the action; the first claim uses the
-- grant. The target claims an approved action with a fencing claim and a lease, and reports it
-- executed or failed; a lease that runs out returns it to approved (or failed after the last
-- attempt). rejected, executed, failed and expired are terminal: a trigger refuses any way out
-- (docs/architecture.md, Actions). Presence: devices record when they were last seen.

-- No key of its own to coord.tenants: the proposer's and target's keys imply the tenant and
-- cascade from it (a key to the tenant would add a KEY SHARE lock on its row to every insert).
create table coord.actions (
  tenant_id uuid not null,
  id bigint generated always as identity primary key,
  kind text not null,
  payload jsonb not null,
  required_scopes text[] not null,
  operation_hash bytea not null,
  proposer_id uuid not null,
  proposer_name text not null,
  target_id uuid not null,
  target_name text not null,
  approval_id bigint references coord.approval_requests (id) on delete set null,
  state text not null default 'proposed',
  claim bigint not null default 0,
  attempts integer not null default 0,
  max_attempts integer not null,
  lease_expires_at timestamptz,
  claimed_at timestamptz,
  result jsonb,
  error text,
  created_at timestamptz not null,
  approved_at timestamptz,
  expires_at timestamptz not null,
  finished_at timestamptz,
  constraint actions_proposer_fkey foreign key (tenant_id, proposer_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint actions_target_fkey foreign key (tenant_id, target_id)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint actions_state_check
    check (state in ('proposed', 'approved', 'rejected', 'executing', 'executed', 'failed', 'expired')),
  constraint actions_lease_check check ((state = 'executing') = (lease_expires_at is not null)),
  constraint actions_claim_check check (claim = attempts and attempts between 0 and max_attempts),
  constraint actions_finished_check check ((state in ('executed', 'failed')) = (finished_at is not null)),
  constraint actions_result_check check (result is null or state = 'executed'),
  constraint actions_approved_check check (state in ('proposed', 'rejected') or approved_at is not null
                                           or (state = 'expired' and attempts = 0)),
  constraint actions_values_check check (
    kind ~ '^[a-z][a-z0-9_.-]{0,55}$'
    and cardinality(required_scopes) between 1 and 100
    and octet_length(operation_hash) = 32
    and max_attempts between 1 and 10
    and pg_column_size(payload) <= 65536
    and (result is null or pg_column_size(result) <= 65536)
    and (error is null or char_length(error) <= 1000))
);
create index actions_target_state_idx on coord.actions (tenant_id, target_id, state, id);
create index actions_tenant_state_idx on coord.actions (tenant_id, state, id desc);
create index actions_lease_idx on coord.actions (tenant_id, lease_expires_at) where state = 'executing';
create index actions_approval_idx on coord.actions (approval_id) where approval_id is not null;
comment on table coord.actions is 'Actions: work a proposer wants a target (a device or an agent) to carry out, once approved. proposed -> approved | rejected | expired (following its approval request), approved -> executing (claim) | expired, executing -> executed | failed | approved (the lease ran out: retry). rejected, executed, failed and expired are terminal.';
comment on column coord.actions.claim is 'The fencing token of the current (or last) attempt: each claim takes attempts + 1, so a late executor''s older claim never matches again.';
comment on column coord.actions.operation_hash is 'sha256 of the canonical action (kind, payload, required scopes, target): the approval request is bound to it.';
comment on column coord.actions.expires_at is 'Proposed: when its approval request expires; approved: the claim deadline (the grant''s expiry, or the retry window after a lease ran out).';

create type api.action as (
  action_id bigint,
  kind text,
  state text,
  payload jsonb,
  required_scopes text[],
  proposer text,
  target text,
  approval_id bigint,
  claim bigint,
  attempts integer,
  max_attempts integer,
  lease_expires_at timestamptz,
  result jsonb,
  error text,
  created_at timestamptz,
  approved_at timestamptz,
  expires_at timestamptz,
  finished_at timestamptz
);
comment on type api.action is 'An action as list_actions and get_action show it: what (kind, payload, required scopes), who proposed it for which target, its approval request, state, the current claim (fence) and attempts, and its result or error.';

create type api.action_result as (
  ok boolean,
  code text,
  reason text,
  action_id bigint,
  state text,
  claim bigint,
  approval_id bigint,
  lease_expires_at timestamptz,
  kind text,
  payload jsonb,
  details jsonb
);
comment on type api.action_result is 'Outcome of propose_action, claim_action, renew_action, complete_action and fail_action: ok and code always; the action, its state after the call, the claim (fence) and lease; kind and payload when claimed.';

-- Presence of devices (and agents) that heartbeat without a session.
alter table coord.principals no force row level security;
alter table coord.principals add column last_seen_at timestamptz;
comment on column coord.principals.last_seen_at is 'When the principal last sent device_heartbeat or acted on an action (presence; online while within coord.action_settings.presence_window).';
alter table coord.principals force row level security;
