-- The write of completions, once each claim is known to be the caller's live one and the
-- declared operations passed (complete_task, complete_tasks): the tasks' leases end, the tasks
-- are completed with their results in one UPDATE (audited after it, one event per task in id
-- order, by coord.tg_tasks__audited), and their queued dependents count down in one more; the
-- last parent to complete makes a dependent ready. Returns, per task in the order given, how
-- many dependents counted down. The caller holds the tasks and their queued dependents locked.
create or replace function coord.finish_completions(p_task_ids bigint[], p_results jsonb[])
returns integer[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_task_id bigint;
  v_unblocked integer[];
  v_now timestamptz := coord.now();  -- once, not per row of the UPDATE
begin
  -- Tasks without leases or dependents (the common case) skip those statements; an index probe
  -- each says so.
  for v_task_id in
    select distinct l.task_id from coord.locks as l where l.task_id = any (p_task_ids) order by 1
  loop
    perform coord.drop_task_leases(v_task_id);
  end loop;
  update coord.tasks as t
  set state = 'completed', result = coalesce(u.result, '{}'), finished_at = v_now, lease_expires_at = null,
      last_event = 'completed'
  from unnest(p_task_ids, p_results) as u (id, result)
  where t.id = u.id;
  if not exists (select from coord.task_dependencies as d where d.depends_on_id = any (p_task_ids)) then
    return array_fill(0, array[cardinality(p_task_ids)]);
  end if;
  -- One countdown per completed parent (a dependent of several parents in the batch counts
  -- down once for each, as one completion after another would); each parent's count is what
  -- the UPDATE really counted down.
  with counted as (
    update coord.tasks as t set pending_deps = t.pending_deps - c.n
    from (select d.task_id, count(*)::integer as n
          from coord.task_dependencies as d
          where d.depends_on_id = any (p_task_ids)
          group by d.task_id) as c
    where t.id = c.task_id and t.state = 'queued'
    returning t.id
  )
  select array_agg((select count(*)::integer from coord.task_dependencies as d
                    where d.depends_on_id = u.id and d.task_id in (select c.id from counted as c)) order by u.ord)
  into v_unblocked
  from unnest(p_task_ids) with ordinality as u (id, ord);
  return v_unblocked;
end;
$$;

comment on function coord.finish_completions(bigint[], jsonb[]) is 'Completes tasks whose live claims were checked: drops their leases, stores the results (one UPDATE), counts their queued dependents down; returns how many per task, in order.';
revoke all on function coord.finish_completions(bigint[], jsonb[]) from public;
