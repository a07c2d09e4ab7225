create or replace function api.submit_task(
  p_kind text,
  p_payload jsonb default '{}',
  p_priority integer default 0,
  p_depends_on bigint[] default '{}',
  p_run_after timestamptz default null,
  p_max_attempts integer default 3,
  p_required_trust integer default 0,
  p_unique_key text default null,
  p_locks text[] default '{}',
  p_verify text[] default '{}'
)
returns api.task_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set coord.principal_cache = ''
set coord.event_tenant = ''
as $$
declare
  v_me coord.caller := coord.principal();
  v_decision authz.decision;
  v_result api.task_result;
  v_paths text[];
  v_now timestamptz := coord.now();
  v_id bigint;
  v_state text;
  v_run_after timestamptz;
  v_verify text[] := coord.check_verification_tiers(p_verify);
  v_checked text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  -- Each check only where there is something to check: an empty list and a null time pass them.
  if cardinality(p_depends_on) > 0 then
    perform coord.check_list(p_depends_on, 'depends_on');
  end if;
  if cardinality(p_locks) > 0 then
    perform coord.check_list(p_locks, 'locks');
  end if;
  if p_run_after is not null then
    perform coord.check_timestamp(p_run_after, 'run_after');
  end if;
  v_checked := coord.require_read_committed();
  v_decision := authz.gate('task.submit', 'kind', p_kind, jsonb_build_object('kind', p_kind), p_caller => v_me);
  if not v_decision.allowed then
    return coord.task_result(p_refusal => v_decision);
  end if;
  if coalesce(cardinality(p_depends_on), 0) = 0 and p_unique_key is null then
    -- The common case needs no dependency or dedupe bookkeeping: validate and insert.
    v_paths := coord.check_task_fields(p_kind, coalesce(p_payload, '{}'), coalesce(p_priority, 0),
      coalesce(p_max_attempts, 3), coalesce(p_required_trust, 0), null, coalesce(p_locks, '{}'));
    insert into coord.tasks (tenant_id, kind, payload, priority, run_after, max_attempts, required_trust,
                             lock_paths, required_verifications, repository, submitted_by, submitted_at)
    values (v_me.tenant_id, p_kind, coalesce(p_payload, '{}'), coalesce(p_priority, 0),
            coalesce(p_run_after, v_now), coalesce(p_max_attempts, 3), coalesce(p_required_trust, 0), v_paths,
            v_verify, coalesce(v_me.repository, 'default'), v_me.principal_id, v_now)
    returning id, state::text, run_after into v_id, v_state, v_run_after;
    return coord.task_result('submitted', v_id, p_state => v_state, p_run_after => v_run_after);
  end if;
  select * into v_result
  from coord.submit_task_specs(v_me, jsonb_build_array(jsonb_build_object(
    'kind', p_kind, 'payload', p_payload, 'priority', p_priority, 'depends_on', to_jsonb(p_depends_on),
    'run_after', p_run_after, 'max_attempts', p_max_attempts, 'required_trust', p_required_trust,
    'unique_key', p_unique_key, 'locks', to_jsonb(p_locks), 'verify', to_jsonb(v_verify))));
  return v_result;
end;
$$;

comment on function api.submit_task(text, jsonb, integer, bigint[], timestamptz, integer, integer, text, text[], text[]) is
'Queues one task of p_kind. p_priority -1000..1000 (higher first), p_depends_on existing task ids (it becomes ready when all completed; if one fails, dies or is cancelled, this task is cancelled), p_run_after not before, p_max_attempts 1..100, p_required_trust 0..4 (claimants need at least this trust), p_unique_key dedupes pending work of the kind (code duplicate returns the pending task), p_locks paths (in your repository: the task records it) the claim leases exclusively there (all or none). p_verify verification tiers (static, unit, integration, system, manual) that need a passing record under the claim before complete_task completes it (record_verification, coord verify). Returns code submitted with task_id and state, or duplicate, or denied. Errors: CO401 kind, CO403 priority, CO404 payload over 64 KiB, CO242 payload nested over 32 levels, CO226 run_after not finite or beyond 0001-01-02 .. 9999-12-30, CO241 depends_on or locks not a flat list, CO405 max_attempts, CO407 unknown dependency, CO409 trust, CO414 unique_key, CO417 locks, CO419 a dependency already failed, CO201-CO206 lock paths, CO422 unknown verification tier.';
revoke all on function api.submit_task(text, jsonb, integer, bigint[], timestamptz, integer, integer, text, text[], text[]) from public;
grant execute on function api.submit_task(text, jsonb, integer, bigint[], timestamptz, integer, integer, text, text[], text[]) to coord_agent, coord_operator;
