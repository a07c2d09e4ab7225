-- The advisory lock that closes the race between a follower registering and a writer deciding
-- not to announce: every audit.record takes it shared (try, held to commit) before it looks for
-- followers; api.follow_events takes it exclusively while it registers. A writer that found no
-- follower therefore either holds the lock (the registration waits until it commits, and the
-- follower's first read sees its events) or failed to take it (and announces). No SET clause, so
-- the planner inlines it into audit.record's statement.
create or replace function audit.events_follow_key(p_tenant_id uuid)
returns bigint
language sql
immutable
strict
parallel safe
as $$
  select pg_catalog.hashtextextended('coord_events:' || p_tenant_id::text, 0);
$$;

comment on function audit.events_follow_key(uuid) is 'Advisory lock key of the tenant''s event followers'' registration (taken shared by writers, exclusively by api.follow_events).';
revoke all on function audit.events_follow_key(uuid) from public;
grant execute on function audit.events_follow_key(uuid) to coord_owner, coord_auth;
