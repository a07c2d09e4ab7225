-- Take every lease a task declares, exclusively, in the task's repository p_repository, in sorted path order (one global order, so
-- two claims cannot deadlock), for the claimant's session and tied to the task. The caller has
-- passed the lease decision (p_decision) and max_locks; each grant is audited with the
-- decision. Returns {path: fence}, or null as soon as one path is busy; the caller rolls back
-- its subtransaction then, so a task gets all of its leases or none.
create or replace function coord.take_task_leases(
  p_me coord.caller,
  p_task_id bigint,
  p_repository text,
  p_paths text[],
  p_lease interval,
  p_now timestamptz,
  p_decision authz.decision
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_path text;
  v_result api.lock_result;
  v_fences jsonb := '{}';
begin
  foreach v_path in array array(select p from unnest(p_paths) as p order by p collate "C") loop
    v_result := coord.try_acquire_lock(p_me.tenant_id, p_me.principal_id, p_me.session_id, p_repository, v_path, 'exclusive',
                                       p_lease, format('task %s', p_task_id), p_now, p_task_id);
    if not v_result.ok then
      return null;
    end if;
    v_fences := v_fences || jsonb_build_object(v_path, v_result.fence);
    perform audit.record('lock.acquire', v_result.code, 'path', v_path, format('claim of task %s', p_task_id),
      jsonb_build_object('repository', p_repository, 'mode', 'exclusive', 'ttl', p_lease, 'fence', v_result.fence,
                         'expires_at', v_result.expires_at, 'task_id', p_task_id),
      p_decision);
  end loop;
  return v_fences;
end;
$$;

comment on function coord.take_task_leases(coord.caller, bigint, text, text[], interval, timestamptz, authz.decision) is 'All-or-nothing exclusive leases for a claimed task in its repository, in sorted order, each audited with the lease decision p_decision; {path: fence} or null when one is busy (the caller rolls back).';
revoke all on function coord.take_task_leases(coord.caller, bigint, text, text[], interval, timestamptz, authz.decision) from public;
