-- One audit writer for every batch of events (audit.record_many): the task statement triggers
-- wrote theirs with audit.record_each from ten parallel arrays, because an event of theirs has
-- its own action, severity, system flag, tenant and time. Those become fields of the one
-- composite; null takes record_many's argument (action, severity, time) or audit.record's default
-- (not system, the caller's tenant). audit.record_each leaves the tree with this migration.
alter type audit.pending_event
  add attribute action text,
  add attribute severity text,
  add attribute system boolean,
  add attribute tenant_id uuid,
  add attribute occurred_at timestamptz;
comment on type audit.pending_event is 'One audit event audit.record_many writes: its decision (outcome code), target, reason, details and policy decision (null: the statement''s), and, where it differs from the call''s, its action, severity, system flag (null: false), tenant (null: the caller''s) and time, as audit.record takes them one by one.';
