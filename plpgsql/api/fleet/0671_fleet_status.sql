-- One consistent document of the tenant's fleet, for a live view (coord watch) and for MCP
-- clients: sections are arrays of flat objects so a client renders each as a table.
create or replace function api.fleet_status(p_limit integer default 100)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := authz.require_read('fleet.read');
  v_now timestamptz := coord.clock_now();
  v_agents jsonb;
  v_leases jsonb;
  v_claims jsonb;
  v_queue jsonb;
  v_dead jsonb;
  v_alerts jsonb;
  v_approvals jsonb;
  v_actions jsonb;
  v_counts jsonb;
begin
  perform coord.check_limit(p_limit);

  -- Agents: every enabled agent, and any principal holding a live session, lease or claim.
  select coalesce(jsonb_agg(a.doc order by a.name), '[]') into v_agents
  from (
    select p.name, jsonb_build_object(
             'name', p.name, 'kind', p.kind::text, 'role', p.role::text,
             'presence', case when s.online > 0 then 'online' when s.live > 0 then 'idle' else 'offline' end,
             'last_seen', s.last_seen, 'live_sessions', coalesce(s.live, 0),
             'leases', coalesce(l.n, 0), 'claims', coalesce(c.n, 0)) as doc
    from coord.principals as p
    left join lateral (
      select max(x.last_heartbeat_at) as last_seen,
             count(*) filter (where x.ended_at is null and x.expires_at > v_now) as live,
             count(*) filter (where x.ended_at is null and x.expires_at > v_now
                              and v_now - x.last_heartbeat_at <= x.ttl / 2) as online
      from coord.sessions as x where x.tenant_id = p.tenant_id and x.agent_id = p.id
    ) as s on true
    left join lateral (
      select count(*) as n from coord.locks as x
      where x.tenant_id = p.tenant_id and x.holder_id = p.id and x.expires_at > v_now
    ) as l on true
    left join lateral (
      select count(*) as n from coord.tasks as x
      where x.tenant_id = p.tenant_id and x.state = 'claimed' and x.claimed_by = p.id
    ) as c on true
    where p.tenant_id = v_me.tenant_id
      and ((p.kind = 'agent' and p.disabled_at is null) or s.live > 0 or l.n > 0 or c.n > 0)
    order by p.name
    limit p_limit
  ) as a;

  select coalesce(jsonb_agg(jsonb_build_object(
           'repository', l.repository, 'path', l.path, 'mode', l.mode, 'fence', l.fence, 'holder', l.holder_name,
           'session_id', l.session_id, 'task_id', l.task_id, 'reason', l.reason,
           'acquired_at', l.acquired_at, 'expires_at', l.expires_at) order by l.repository, l.path, l.fence), '[]')
  into v_leases
  from (
    select x.repository::text, x.path::text, x.mode::text, x.fence, p.name as holder_name, x.session_id, x.task_id, x.reason,
           x.acquired_at, x.expires_at
    from coord.locks as x
    join coord.principals as p on p.tenant_id = x.tenant_id and p.id = x.holder_id
    where x.tenant_id = v_me.tenant_id and x.expires_at > v_now
    order by x.repository, x.path, x.fence
    limit p_limit
  ) as l;

  select coalesce(jsonb_agg(jsonb_build_object(
           'task_id', t.id, 'kind', t.kind, 'agent', t.agent, 'session_id', t.claimed_session_id,
           'attempts', t.attempts, 'claimed_at', t.claimed_at, 'lease_expires_at', t.lease_expires_at)
           order by t.claimed_at, t.id), '[]')
  into v_claims
  from (
    select x.id, x.kind::text, p.name as agent, x.claimed_session_id, x.attempts, x.claimed_at, x.lease_expires_at
    from coord.tasks as x
    join coord.principals as p on p.tenant_id = x.tenant_id and p.id = x.claimed_by
    where x.tenant_id = v_me.tenant_id and x.state = 'claimed'
    order by x.claimed_at, x.id
    limit p_limit
  ) as t;

  -- Depth of the work not finished for good: queued (ready: claimable now), claimed, failed, dead.
  select coalesce(jsonb_agg(jsonb_build_object(
           'kind', q.kind, 'state', q.state, 'count', q.n, 'ready', q.ready,
           'oldest_ready_age_seconds', extract(epoch from v_now - q.oldest_ready)) order by q.kind, q.state), '[]')
  into v_queue
  from (
    select x.kind::text as kind, x.state::text as state, count(*) as n,
           count(*) filter (where x.state = 'queued' and x.pending_deps = 0 and x.run_after <= v_now) as ready,
           min(x.run_after) filter (where x.state = 'queued' and x.pending_deps = 0 and x.run_after <= v_now)
             as oldest_ready
    from coord.tasks as x
    where x.tenant_id = v_me.tenant_id and x.state in ('queued', 'claimed', 'failed', 'dead')
    group by x.kind, x.state
  ) as q;

  select coalesce(jsonb_agg(jsonb_build_object(
           'task_id', d.id, 'kind', d.kind, 'attempts', d.attempts, 'last_error', d.last_error,
           'finished_at', d.finished_at) order by d.finished_at desc, d.id desc), '[]')
  into v_dead
  from (
    select x.id, x.kind::text, x.attempts, left(x.last_error, 200) as last_error, x.finished_at
    from coord.tasks as x
    where x.tenant_id = v_me.tenant_id and x.state = 'dead'
    order by x.finished_at desc, x.id desc
    limit p_limit
  ) as d;

  select coalesce(jsonb_agg(jsonb_build_object(
           'alert_id', a.id, 'rule', a.rule, 'severity', a.severity, 'actor_name', a.actor_name,
           'event_count', a.event_count, 'raised_at', a.raised_at, 'last_event_at', a.last_event_at)
           order by a.id desc), '[]')
  into v_alerts
  from (
    select x.id, r.name::text as rule, x.severity, x.actor_name, x.event_count, x.raised_at, x.last_event_at
    from coord.alerts as x
    join coord.alert_rules as r on r.tenant_id = x.tenant_id and r.id = x.rule_id
    where x.tenant_id = v_me.tenant_id and x.state = 'open'
    order by x.id desc
    limit p_limit
  ) as a;

  -- Approval requests waiting for an approver (unexpired), oldest first: the ones to answer.
  select coalesce(jsonb_agg(jsonb_build_object(
           'approval_id', r.id, 'requester', r.requester_name, 'kind', r.kind, 'target', r.target,
           'rules', to_jsonb(r.rules), 'created_at', r.created_at, 'expires_at', r.expires_at)
           order by r.id), '[]')
  into v_approvals
  from (
    select x.id, x.requester_name, x.kind, x.target_type || ':' || x.target_id as target, x.rules, x.created_at,
           x.expires_at
    from coord.approval_requests as x
    where x.tenant_id = v_me.tenant_id and x.state = 'pending' and x.expires_at > v_now
    order by x.id
    limit p_limit
  ) as r;

  -- Actions in flight (proposed: awaiting approval; approved: awaiting their target's claim;
  -- executing: claimed, under a lease), oldest first; the finished ones are in list_actions.
  select coalesce(jsonb_agg(jsonb_build_object(
           'action_id', x.id, 'kind', x.kind, 'state', x.state, 'proposer', x.proposer_name,
           'target', x.target_name, 'approval_id', x.approval_id, 'claim', x.claim, 'attempts', x.attempts,
           'max_attempts', x.max_attempts, 'created_at', x.created_at, 'expires_at', x.expires_at,
           'lease_expires_at', x.lease_expires_at) order by x.id), '[]')
  into v_actions
  from (
    select a.id, a.kind, a.state, a.proposer_name, a.target_name, a.approval_id, a.claim, a.attempts,
           a.max_attempts, a.created_at, a.expires_at, a.lease_expires_at
    from coord.actions as a
    where a.tenant_id = v_me.tenant_id and a.state in ('proposed', 'approved', 'executing')
    order by a.id
    limit p_limit
  ) as x;

  select jsonb_build_object(
           'agents', (select count(*) from coord.principals as p
                      where p.tenant_id = v_me.tenant_id and p.kind = 'agent' and p.disabled_at is null),
           'leases', (select count(*) from coord.locks as x where x.tenant_id = v_me.tenant_id and x.expires_at > v_now),
           'claims', (select count(*) from coord.tasks as x where x.tenant_id = v_me.tenant_id and x.state = 'claimed'),
           'dead_tasks', (select count(*) from coord.tasks as x where x.tenant_id = v_me.tenant_id and x.state = 'dead'),
           'open_alerts', (select count(*) from coord.alerts as x where x.tenant_id = v_me.tenant_id and x.state = 'open'),
           'pending_approvals', (select count(*) from coord.approval_requests as x
                                 where x.tenant_id = v_me.tenant_id and x.state = 'pending' and x.expires_at > v_now),
           'open_actions', (select count(*) from coord.actions as x
                            where x.tenant_id = v_me.tenant_id and x.state in ('proposed', 'approved', 'executing')))
  into v_counts;

  return jsonb_build_object(
    'tenant', v_me.tenant_name, 'at', v_now, 'channel', coord.fleet_channel(v_me.tenant_id),
    'counts', v_counts, 'agents', v_agents, 'leases', v_leases, 'claims', v_claims, 'queue', v_queue,
    'dead_tasks', v_dead, 'alerts', v_alerts, 'approvals', v_approvals, 'actions', v_actions);
end;
$$;

comment on function api.fleet_status(integer) is
'Operators and auditors: your tenant''s fleet in one jsonb document (what coord watch shows). Keys: tenant, at (the time it was read), channel (LISTEN on it: each change to the tenant''s leases, tasks, sessions, alerts, approval requests or actions sends the tenant id, never data; read this again then), counts {agents (enabled), leases, claims, dead_tasks, open_alerts, pending_approvals, open_actions}, agents [{name, kind, role, presence online|idle|offline, last_seen, live_sessions, leases, claims}], leases [{repository, path, mode, fence, holder, session_id, task_id, reason, acquired_at, expires_at}], claims [{task_id, kind, agent, session_id, attempts, claimed_at, lease_expires_at}], queue [{kind, state queued|claimed|failed|dead, count, ready, oldest_ready_age_seconds}], dead_tasks [{task_id, kind, attempts, last_error, finished_at}] newest first, alerts (open) [{alert_id, rule, severity, actor_name, event_count, raised_at, last_event_at}] newest first, approvals (pending, unexpired) [{approval_id, requester, kind, target, rules, created_at, expires_at}] oldest first, actions in flight (proposed, approved or executing) [{action_id, kind, state, proposer, target, approval_id, claim, attempts, max_attempts, created_at, expires_at, lease_expires_at}] oldest first. Lists hold at most p_limit (1-1000) entries; counts are complete. Read-only. Errors: CO224 limit, PT403.';
revoke all on function api.fleet_status(integer) from public;
grant execute on function api.fleet_status(integer) to coord_operator, coord_auditor;
