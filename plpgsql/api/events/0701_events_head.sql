-- Where the stream stands for a reader now: the id to start after for "from now on", and how
-- many committed events are held back behind a running transaction (read again soon).
create or replace function api.events_head()
returns table (id bigint, held bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('event.read');
begin
  return query select h.id, h.held from coord.event_head(v_me.tenant_id) as h;
end;
$$;

comment on function api.events_head() is
'Where your tenant''s event stream stands: id, the position to pass to events_since to get only what comes after now (0 when the stream is empty), and held, how many committed events wait behind a transaction that is still running (they are handed out once it ends; a follower reads again soon instead of waiting for a notification). Errors: PT403.';
revoke all on function api.events_head() from public;
grant execute on function api.events_head() to coord_agent, coord_operator, coord_auditor;
