-- The bytes of an event that the chain protects: every column the event was written with, as
-- one jsonb object (jsonb text output is deterministic: keys sorted, whitespace fixed). Times
-- are rendered in UTC with microseconds so the session's TimeZone cannot change the text.
create or replace function audit.canonical_event(p_event audit.events)
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.jsonb_build_object(
    'tenant_id', p_event.tenant_id,
    'id', p_event.id,
    'occurred_at', pg_catalog.to_char(p_event.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'txid', p_event.txid::text,
    'actor_type', p_event.actor_type::text,
    'actor_id', p_event.actor_id,
    'actor_name', p_event.actor_name,
    'action', p_event.action,
    'target_type', p_event.target_type,
    'target_id', p_event.target_id,
    'decision', p_event.decision,
    'engine', p_event.engine,
    'rule', p_event.rule,
    'reason', p_event.reason,
    'severity', p_event.severity,
    'details', p_event.details,
    'request', p_event.request)
$$;

comment on function audit.canonical_event(audit.events) is 'Canonical jsonb of an event''s immutable columns (UTC times, nulls kept); its text is what the chain hashes and what archives store.';
revoke all on function audit.canonical_event(audit.events) from public;
