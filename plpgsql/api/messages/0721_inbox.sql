-- The caller's inbox: messages delivered to it, oldest first (a queue: read, ack, read on), the
-- unread ones only unless p_unread is false, after p_since when given. PL/pgSQL so the caller
-- is checked first, whatever plan the query gets.
create or replace function api.inbox(p_unread boolean default true, p_since timestamptz default null,
                                     p_limit integer default 50)
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
begin
  perform coord.check_limit(p_limit);
  perform coord.check_timestamp(p_since, 'since');
  return query
    select m.id, m.thread_id, m.reply_to, s.name::text,
           case m.to_kind when 'broadcast' then '*' when 'team' then 'team:' || m.to_name else m.to_name end,
           m.subject, m.body, m.created_at, d.read_at
    from coord.message_deliveries as d
    join coord.messages as m on m.tenant_id = d.tenant_id and m.id = d.message_id
    join coord.principals as s on s.tenant_id = m.tenant_id and s.id = m.sender_id
    where d.tenant_id = v_me.tenant_id and d.recipient_id = v_me.principal_id
      and (not coalesce(p_unread, true) or d.read_at is null)
      and (p_since is null or m.created_at > p_since)
    order by d.message_id
    limit p_limit;
end;
$$;

comment on function api.inbox(boolean, timestamptz, integer) is 'Messages delivered to you, oldest first: unread only (p_unread, default true) or all, created after p_since when given, at most p_limit (1-1000, default 50). sent_to is the address the sender used (a name, team:NAME or *). Reading does not mark read: ack_messages does. Read-only. Errors: CO224, CO226, PT403.';
revoke all on function api.inbox(boolean, timestamptz, integer) from public;
grant execute on function api.inbox(boolean, timestamptz, integer) to coord_agent, coord_operator, coord_auditor;
