-- What an agent needs at the start of a session, in one call and one snapshot: the latest
-- handoff for it, its leases, the top memories of its repository and the ready work. Each
-- section is read under its own read action, so the call needs what those reads need.
create or replace function api.session_context(p_memories integer default 5, p_tasks integer default 10,
                                               p_messages integer default 5)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('session.context');
  v_now timestamptz := coord.now();
  v_handoff jsonb;
  v_leases jsonb;
  v_memories jsonb;
  v_tasks jsonb;
  v_messages jsonb;
begin
  if p_memories is null or p_memories not between 0 and 100 or p_tasks is null or p_tasks not between 0 and 100
     or p_messages is null or p_messages not between 0 and 100 then
    perform coord.fail('CO224', format('memories %s, tasks %s, messages %s (0-100 each)', p_memories, p_tasks, p_messages));
  end if;
  perform authz.require_read('handoff.read');
  perform authz.require_read('lock.list');
  perform authz.require_read('memory.read');
  perform authz.require_read('task.read');
  perform authz.require_read('message.read');

  select jsonb_build_object('handoff_id', h.id, 'author', a.name, 'created_at', h.created_at, 'summary', h.summary,
                            'completed', h.completed, 'in_progress', h.in_progress, 'decisions', h.decisions,
                            'next_steps', h.next_steps, 'relevant_files', h.relevant_files, 'task_id', h.task_id,
                            'repository', h.repository)
  into v_handoff
  from coord.handoffs as h
  join coord.principals as a on a.tenant_id = h.tenant_id and a.id = h.author_id
  where h.tenant_id = v_me.tenant_id
    and (h.to_agent_id = v_me.principal_id or h.to_agent_id is null and h.author_id = v_me.principal_id)
  order by h.id desc
  limit 1;

  select coalesce(jsonb_agg(jsonb_build_object('path', l.path, 'mode', l.mode, 'fence', l.fence, 'reason', l.reason,
                                               'expires_at', l.expires_at) order by l.path), '[]')
  into v_leases
  from coord.locks as l
  where l.tenant_id = v_me.tenant_id and l.repository = v_me.repository and l.holder_id = v_me.principal_id
    and l.expires_at > v_now;

  select coalesce(jsonb_agg(jsonb_build_object('memory_id', r.memory_id, 'tier', r.tier, 'author', r.author,
                                               'content', r.content, 'tags', r.tags, 'importance', r.importance,
                                               'last_seen_at', r.last_seen_at, 'score', r.score,
                                               'recency', r.recency) order by r.score desc, r.memory_id desc), '[]')
  into v_memories
  from coord.rank_memories(v_me, null, null, null, null, greatest(p_memories, 1)) as r
  where p_memories > 0;

  select coalesce(jsonb_agg(jsonb_build_object('task_id', t.id, 'kind', t.kind, 'priority', t.priority,
                                               'repository', t.repository) order by t.id desc), '[]')
  into v_tasks
  from (select x.id, x.kind, x.priority, x.repository from coord.tasks as x
        where x.tenant_id = v_me.tenant_id and x.state = 'queued' and x.pending_deps = 0 and x.run_after <= v_now
        order by x.id desc limit p_tasks) as t;

  -- The unread count, and the latest unread messages (newest first).
  select jsonb_build_object(
           'unread', (select count(*) from coord.message_deliveries as d
                      where d.tenant_id = v_me.tenant_id and d.recipient_id = v_me.principal_id and d.read_at is null),
           'latest', coalesce(jsonb_agg(jsonb_build_object('message_id', m.id, 'thread_id', m.thread_id, 'sender', s.name,
                                                           'subject', m.subject, 'body', m.body, 'created_at', m.created_at)
                                        order by m.id desc), '[]'))
  into v_messages
  from (select d.message_id from coord.message_deliveries as d
        where d.tenant_id = v_me.tenant_id and d.recipient_id = v_me.principal_id and d.read_at is null
        order by d.message_id desc limit p_messages) as u
  join coord.messages as m on m.tenant_id = v_me.tenant_id and m.id = u.message_id
  join coord.principals as s on s.tenant_id = v_me.tenant_id and s.id = m.sender_id;

  return jsonb_build_object('agent', v_me.name, 'session_id', v_me.session_id, 'repository', v_me.repository,
                            'handoff', v_handoff, 'leases', v_leases, 'memories', v_memories, 'ready_tasks', v_tasks,
                            'messages', v_messages);
end;
$$;

comment on function api.session_context(integer, integer, integer) is
'The start of a session in one document: handoff (the latest addressed to you or left by you for yourself, or null), leases (your live leases in your repository), memories (the top p_memories, 0-100, you may see in your repository by recency x importance, as api.recall ranks them without a query), ready_tasks (up to p_tasks, 0-100, queued tasks of the tenant with no pending dependencies, newest first) and messages (unread: how many messages of your inbox you have not acked; latest: the newest p_messages, 0-100, of them). Needs the reads of each section (handoff.read, lock.list, memory.read, task.read, message.read). Read-only. Errors: CO224, PT403.';
revoke all on function api.session_context(integer, integer, integer) from public;
grant execute on function api.session_context(integer, integer, integer) to coord_agent, coord_operator;
