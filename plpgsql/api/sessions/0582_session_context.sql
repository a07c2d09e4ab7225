-- What an agent needs at the start of a session, in one call and one snapshot: the latest
-- handoff for it, its leases, the top memories of its repository and the ready work. Each
-- section is read under its own read action, so the call needs what those reads need. Unread
-- messages join this document when messages exist; until then there is no such section.
create or replace function api.session_context(p_memories integer default 5, p_tasks integer default 10)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
as $$
declare
  v_me coord.caller := authz.require_read('session.context');
  v_now timestamptz := coord.now();
  v_handoff jsonb;
  v_leases jsonb;
  v_memories jsonb;
  v_tasks jsonb;
begin
  if p_memories is null or p_memories not between 0 and 100 or p_tasks is null or p_tasks not between 0 and 100 then
    perform coord.fail('CO224', format('memories %s, tasks %s (0-100 each)', p_memories, p_tasks));
  end if;
  perform authz.require_read('handoff.read');
  perform authz.require_read('lock.list');
  perform authz.require_read('memory.read');
  perform authz.require_read('task.read');

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

  return jsonb_build_object('agent', v_me.name, 'session_id', v_me.session_id, 'repository', v_me.repository,
                            'handoff', v_handoff, 'leases', v_leases, 'memories', v_memories, 'ready_tasks', v_tasks);
end;
$$;

comment on function api.session_context(integer, integer) is
'The start of a session in one document: handoff (the latest addressed to you or left by you for yourself, or null), leases (your live leases in your repository), memories (the top p_memories, 0-100, you may see in your repository by recency x importance, as api.recall ranks them without a query) and ready_tasks (up to p_tasks, 0-100, queued tasks of the tenant with no pending dependencies, newest first). Needs the reads of each section (handoff.read, lock.list, memory.read, task.read). Read-only. Errors: CO224, PT403.';
revoke all on function api.session_context(integer, integer) from public;
grant execute on function api.session_context(integer, integer) to coord_agent, coord_operator;
