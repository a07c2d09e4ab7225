-- The threads the caller is in, most recently active first, with what it has not read.
create or replace function api.list_threads(p_limit integer default 50)
returns table (
  thread_id bigint,
  subject text,
  started_by text,
  messages bigint,
  unread bigint,
  last_at timestamptz
)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('message.read');
begin
  perform coord.check_limit(p_limit);
  return query
    with mine as (
      select m.id, m.thread_id, m.subject, m.sender_id, m.created_at, d.recipient_id is not null and d.read_at is null as unread
      from coord.messages as m
      left join coord.message_deliveries as d on d.message_id = m.id and d.recipient_id = v_me.principal_id
      where m.tenant_id = v_me.tenant_id and (m.sender_id = v_me.principal_id or d.recipient_id is not null))
    select x.thread_id,
           (array_agg(x.subject order by x.id) filter (where x.subject is not null))[1],
           (select s.name::text from mine as f join coord.principals as s on s.tenant_id = v_me.tenant_id and s.id = f.sender_id
            where f.thread_id = x.thread_id order by f.id limit 1),
           count(*), count(*) filter (where x.unread), max(x.created_at)
    from mine as x
    group by x.thread_id
    order by max(x.id) desc
    limit p_limit;
end;
$$;

comment on function api.list_threads(integer) is 'The threads you sent or received messages in, most recently active first, at most p_limit (1-1000, default 50): the first subject you can see, who started what you see of it, your messages in it, how many of them you have not acked, and when the last was sent. Read-only. Errors: CO224, PT403.';
revoke all on function api.list_threads(integer) from public;
grant execute on function api.list_threads(integer) to coord_agent, coord_operator, coord_auditor;
