create or replace function api.release_lock(p_path text, p_fence bigint)
returns api.lock_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.try_principal();  -- coord.principal() below raises when it is null
  v_path text;
  v_decision authz.decision;
  v_result api.lock_result;
  v_now timestamptz := coord.now();  -- read once: the lease (as coord.clock_now()) and the audit event share it
  v_event_id bigint;  -- assigned, not PERFORMed: an expression, not a query through the executor
begin
  -- Checks inline as plain expressions; the helpers that raise are called only on a failure.
  if v_me.principal_id is null then
    v_me := coord.principal();
  end if;
  v_path := coord.normalize_path(p_path);
  if p_fence is null or p_fence < 1 then
    perform coord.check_fence(p_fence);
  end if;
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    perform coord.require_read_committed();
  end if;
  v_decision := authz.gate('lock.release', 'path', v_path, jsonb_build_object('fence', p_fence),
    jsonb_build_object('fence', p_fence), p_caller => v_me);
  if not v_decision.allowed then
    return coord.lock_result(p_path => v_path, p_refusal => v_decision, p_repository => v_me.repository);
  end if;

  v_result := coord.end_or_extend_lease(v_me.tenant_id, v_me.principal_id, v_me.session_id, v_me.repository, v_path, p_fence,
    v_now + (pg_catalog.clock_timestamp() - pg_catalog.transaction_timestamp()), null);
  v_event_id := audit.record('lock.release', v_result.code, 'path', v_path, v_result.reason,
    jsonb_strip_nulls(jsonb_build_object('repository', v_me.repository, 'fence', p_fence, 'mode', v_result.mode)) || v_result.details,
    v_decision, p_caller => v_me, p_occurred_at => v_now);
  return v_result;
end;
$$;

comment on function api.release_lock(text, bigint) is
'Releases your lease on p_path (in your repository) if p_fence is its current fence: ok with code released. Otherwise ok=false with expired (the lease ran out; it is removed), stale_fence (the path was granted again since), not_held, or held_by_task (the lease was taken by claiming a task and ends with it); denied when the policy refuses. Errors: CO201-CO206 bad path, CO213 not READ COMMITTED, CO216 fence.';
revoke all on function api.release_lock(text, bigint) from public;
grant execute on function api.release_lock(text, bigint) to coord_agent, coord_operator;
