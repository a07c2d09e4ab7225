-- Verification tiers a task requires before it may complete, and the records that satisfy them.
-- A record belongs to one claim of the task: work redone under a new claim is verified again.

alter table coord.tasks add column required_verifications text[] collate "C" not null default '{}';
alter table coord.tasks add constraint tasks_required_verifications_check check (
  required_verifications <@ array['static', 'unit', 'integration', 'system', 'manual']::text[]);
comment on column coord.tasks.required_verifications is 'Verification tiers (static, unit, integration, system, manual) that need a passing record under the completing claim before complete_task succeeds.';

create table coord.task_verifications (
  tenant_id uuid not null,
  id bigint generated always as identity primary key,
  task_id bigint not null,
  claim bigint not null,
  tier text collate "C" not null,
  status text collate "C" not null,
  executor text not null,
  recorded_by uuid not null,
  output_digest text,
  details jsonb not null default '{}',
  recorded_at timestamptz not null,
  constraint task_verifications_task_fkey foreign key (tenant_id, task_id)
    references coord.tasks (tenant_id, id) on delete cascade,
  constraint task_verifications_recorder_fkey foreign key (tenant_id, recorded_by)
    references coord.principals (tenant_id, id) on delete cascade,
  constraint task_verifications_tier_check check (tier in ('static', 'unit', 'integration', 'system', 'manual')),
  constraint task_verifications_status_check check (status in ('pass', 'fail')),
  constraint task_verifications_executor_check check (char_length(executor) between 1 and 200),
  constraint task_verifications_digest_check check (output_digest is null or output_digest ~ '^[0-9a-f]{64}$'),
  constraint task_verifications_details_check check (
    jsonb_typeof(details) = 'object' and octet_length(details::text) <= 16384)
);
comment on table coord.task_verifications is 'Verification results of tasks (coord verify, CI, a reviewer): one row per recorded run, bound to the claim it verified; the latest row per tier under the completing claim decides.';
comment on column coord.task_verifications.claim is 'The claim whose work was verified: only records of the claim that completes the task count.';
comment on column coord.task_verifications.executor is 'What ran the verification (e.g. coord verify, ci:github, review), as the recorder says; who recorded it is recorded_by.';
comment on column coord.task_verifications.output_digest is 'sha256 (hex) of the verification''s output, so a log kept elsewhere can be matched to the record.';

create index task_verifications_claim_idx on coord.task_verifications (tenant_id, task_id, claim, tier, id desc);

alter table coord.task_verifications owner to coord_owner;

alter type api.task add attribute required_verifications text[];

create type api.verification_result as (
  ok boolean,
  code text,
  reason text,
  verification_id bigint,
  task_id bigint,
  tier text,
  status text,
  missing text[],
  details jsonb
);
comment on type api.verification_result is 'Outcome of record_verification: ok and code always; the record''s id, task, tier and status when recorded; missing: the required tiers still without a passing record under the current claim.';

create type api.verification as (
  verification_id bigint,
  task_id bigint,
  claim bigint,
  tier text,
  status text,
  executor text,
  recorded_by text,
  output_digest text,
  details jsonb,
  recorded_at timestamptz
);
comment on type api.verification is 'One verification record of a task as list_verifications shows it.';
