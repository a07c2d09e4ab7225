-- Approval requests and auto-approval policies. A call that answers needs_approval records a
-- request about one operation in canonical form (its sha256 binds the grant), a requester and a
-- target; an approver (an operator, or an agent at trust 4 that does not act for the requester)
-- approves or denies it, and the approval is a single-use grant: the requester repeats the same
-- call with p_approval and the database consumes it. Every transition is a compare-and-set on
-- the state, and a trigger refuses any transition out of a terminal state (docs/architecture.md,
-- Approvals).

create table coord.approval_requests (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  requester_id uuid not null,
  requester_name text not null,
  session_id uuid,
  kind text not null,
  operation jsonb not null,
  operation_hash bytea not null,
  target_type text not null,
  target_id text not null,
  rules text[] not null,
  scopes text[] not null,
  trust smallint not null,
  context jsonb not null default '{}',
  state text not null default 'pending',
  created_at timestamptz not null,
  expires_at timestamptz not null,
  decided_at timestamptz,
  decided_by uuid,
  decided_by_name text,
  policy_id bigint,
  decision_reason text,
  used_at timestamptz,
  constraint approval_requests_state_check
    check (state in ('pending', 'approved', 'denied', 'expired', 'cancelled', 'used')),
  constraint approval_requests_decided_check check ((state = 'pending') = (decided_at is null)),
  constraint approval_requests_used_check check ((state = 'used') = (used_at is not null)),
  constraint approval_requests_grant_check
    check (state not in ('approved', 'used') or decided_by is not null or policy_id is not null),
  constraint approval_requests_values_check check (
    char_length(kind) between 1 and 64
    and octet_length(operation_hash) = 32
    and char_length(target_type) between 1 and 64 and char_length(target_id) between 1 and 1000
    and cardinality(rules) <= 100 and cardinality(scopes) <= 100
    and trust between 0 and 4
    and expires_at > created_at
    and (decision_reason is null or char_length(decision_reason) <= 1000)
    and pg_column_size(operation) <= 262144 and pg_column_size(context) <= 65536)
);
-- No pile-up: while a request is pending, the identical call finds it instead of adding one.
create unique index approval_requests_pending_key on coord.approval_requests
  (tenant_id, requester_id, operation_hash, target_type, target_id) where state = 'pending';
create index approval_requests_tenant_state_idx on coord.approval_requests (tenant_id, state, id desc);
create index approval_requests_expiry_idx on coord.approval_requests (tenant_id, expires_at)
  where state in ('pending', 'approved');
comment on table coord.approval_requests is 'Approval requests: an operation (canonical jsonb, operation_hash its sha256) a requester wants to run on a target, the rules that asked and the scopes a policy must cover; state pending -> approved | denied | expired | cancelled, approved -> used | expired. An approved request is a single-use grant for exactly that operation, requester and target.';
comment on column coord.approval_requests.operation_hash is 'sha256 of the canonical operation (operation::text): what a grant is bound to.';
comment on column coord.approval_requests.scopes is 'What a request needs from an auto-approval policy: a policy applies only when its scopes cover every one of these.';
comment on column coord.approval_requests.policy_id is 'The auto-approval policy that approved the request (decided_by is then null).';

create table coord.approval_policies (
  tenant_id uuid not null references coord.tenants (id) on delete cascade,
  id bigint generated always as identity primary key,
  name text not null,
  kinds text[],
  rules text[],
  min_trust smallint not null default 0,
  path_prefix text,
  scopes text[] not null default '{}',
  description text,
  created_by uuid,
  created_by_name text,
  created_at timestamptz not null,
  constraint approval_policies_tenant_name_key unique (tenant_id, name),
  constraint approval_policies_name_check check (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  constraint approval_policies_values_check check (
    min_trust between 0 and 4
    and coalesce(cardinality(kinds), 0) <= 100 and coalesce(cardinality(rules), 0) <= 100
    and cardinality(scopes) <= 100
    and (path_prefix is null or char_length(path_prefix) between 1 and 4096)
    and (description is null or char_length(description) <= 1000))
);
comment on table coord.approval_policies is 'Auto-approval policies of a tenant: a pending request is approved by the first policy whose kinds (null: any) hold its kind, whose rules (null: any) hold every rule that asked, whose min_trust the requester reaches, whose path_prefix (if any) holds the operation''s path, and whose scopes cover every scope the request needs. A policy without scopes approves nothing.';

-- Results name the approval request a needs_approval outcome recorded (or the grant a call used).
-- Appended, so clients reading by name see one more field and nothing moves.
alter type api.guardrail_decision add attribute approval_id bigint;
alter type api.task_result add attribute approval_id bigint;

-- Parameters change: plpgsql/ creates these again with p_approval.
drop function if exists api.check_operation(text, text);
drop function if exists api.complete_task(bigint, bigint, jsonb);

create type api.approval as (
  approval_id bigint,
  state text,
  requester text,
  session_id uuid,
  kind text,
  operation jsonb,
  operation_hash text,
  target_type text,
  target_id text,
  rules text[],
  scopes text[],
  trust smallint,
  context jsonb,
  created_at timestamptz,
  expires_at timestamptz,
  decided_at timestamptz,
  decided_by text,
  policy text,
  decision_reason text,
  used_at timestamptz
);
comment on type api.approval is 'An approval request as list_approvals and get_approval show it: the operation (canonical, operation_hash its sha256 in hex), requester, target, the rules that asked and the scopes a policy must cover, state and who decided (decided_by, or the policy).';

create type api.approval_result as (
  ok boolean,
  code text,
  reason text,
  approval_id bigint,
  state text,
  expires_at timestamptz,
  details jsonb
);
comment on type api.approval_result is 'Outcome of approve_request, deny_request, cancel_approval and wait_for_approval: ok and code always, the request and its state after the call.';

create type api.approval_policy as (
  policy_id bigint,
  name text,
  kinds text[],
  rules text[],
  min_trust smallint,
  path_prefix text,
  scopes text[],
  description text,
  created_by text,
  created_at timestamptz
);
comment on type api.approval_policy is 'An auto-approval policy of the tenant (list_approval_policies).';
