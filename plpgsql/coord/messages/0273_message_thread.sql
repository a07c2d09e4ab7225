-- The thread of a message the caller may see: it sent the message or received it. Anything
-- else (another tenant's message, a message between two others, no such message) is the same
-- error, CO712, so an id reveals nothing it does not already show the caller.
create or replace function coord.message_thread(p_me coord.caller, p_message_id bigint, p_is_thread boolean)
returns bigint
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_thread bigint;
begin
  select m.thread_id into v_thread
  from coord.messages as m
  where m.tenant_id = p_me.tenant_id
    and (case when p_is_thread then m.thread_id else m.id end) = p_message_id
    and (m.sender_id = p_me.principal_id
         or exists (select from coord.message_deliveries as d
                    where d.message_id = m.id and d.recipient_id = p_me.principal_id))
  limit 1;
  if v_thread is null then
    perform coord.fail('CO712', format('%s %s', case when p_is_thread then 'thread' else 'message' end, p_message_id));
  end if;
  return v_thread;
end;
$$;

comment on function coord.message_thread(coord.caller, bigint, boolean) is 'The thread id of message p_message_id (or, p_is_thread, of thread p_message_id) when p_me sent or received a message of it; CO712 otherwise (unknown, another tenant''s, or between others).';
revoke all on function coord.message_thread(coord.caller, bigint, boolean) from public;
