-- A thread as the caller sees it: the messages of the thread it sent or received, in order.
create or replace function api.get_thread(p_thread_id bigint, p_limit integer default 100)
returns table (
  message_id bigint,
  thread_id bigint,
  reply_to bigint,
  sender text,
  sent_to text,
  subject text,
  body text,
  created_at timestamptz,
  read_at timestamptz
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
  v_thread bigint;
begin
  perform coord.check_limit(p_limit);
  v_thread := coord.message_thread(v_me, p_thread_id, true);
  return query
    select m.id, m.thread_id, m.reply_to, s.name::text,
           case m.to_kind when 'broadcast' then '*' when 'team' then 'team:' || m.to_name else m.to_name end,
           m.subject, m.body, m.created_at, d.read_at
    from coord.messages as m
    join coord.principals as s on s.tenant_id = m.tenant_id and s.id = m.sender_id
    left join coord.message_deliveries as d on d.message_id = m.id and d.recipient_id = v_me.principal_id
    where m.tenant_id = v_me.tenant_id and m.thread_id = v_thread
      and (m.sender_id = v_me.principal_id or d.recipient_id is not null)
    order by m.id
    limit p_limit;
end;
$$;

comment on function api.get_thread(bigint, integer) is 'The messages of thread p_thread_id (the id of its first message) that you sent or received, oldest first, at most p_limit (1-1000, default 100); read_at is your ack (null for your own messages and unread ones). Read-only. Errors: CO712 (a thread you have no message in), CO224, PT403.';
revoke all on function api.get_thread(bigint, integer) from public;
grant execute on function api.get_thread(bigint, integer) to coord_agent, coord_operator, coord_auditor;
