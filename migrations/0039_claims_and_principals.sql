-- A claim token comes from coord.lock_fence_seq (positive) and the api takes positive tokens
-- only (CO413); the claimant floor (coord.claimant_floors) and its count start at 0, so a token
-- given by hand at or below 0 would lie below a claimant's count and not be counted.
alter table coord.tasks add constraint tasks_claim_check check (claim > 0);
comment on constraint tasks_claim_check on coord.tasks is 'Claim tokens are positive, as coord.lock_fence_seq gives them (the claimant floor counts from 0).';

-- The events a batch call audits together (audit.record_many): one array of these in place of
-- five parallel arrays. A type cannot be replaced, so it is made here; record_many's old
-- signature goes with it where an earlier install made it (the new one:
-- plpgsql/audit/events/0305_record_many.sql).
create type audit.pending_event as (
  decision text,
  target_id text,
  reason text,
  details jsonb,
  authz authz.decision
);
comment on type audit.pending_event is 'One audit event a batch call writes with audit.record_many: its decision (outcome code), target, reason, details and policy decision (null: the statement''s), as audit.record takes them one by one.';
drop function if exists audit.record_many(text, text[], text, text[], text[], jsonb[], authz.decision[], text, coord.caller, timestamptz);
