-- complete_task's refusal while required tiers lack a passing record under the claim (the task
-- stays claimed; audited as task.complete unverified), or null. Costs one probe of the locked
-- task row when the task requires nothing.
create or replace function coord.unverified_refusal(p_me coord.caller, p_task_id bigint, p_claim bigint,
                                                    p_decision authz.decision, p_context jsonb default '{}')
returns api.task_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_required text[];
  v_missing text[];
  v_result api.task_result;
begin
  select t.required_verifications into v_required
  from coord.tasks as t where t.tenant_id = p_me.tenant_id and t.id = p_task_id;
  if cardinality(v_required) = 0 then
    return null;  -- nothing required (the common case): no call to count what is missing
  end if;
  v_missing := coord.missing_verifications(p_me.tenant_id, p_task_id, p_claim, v_required);
  if cardinality(v_missing) = 0 then
    return null;
  end if;
  v_result := coord.task_result('unverified', p_task_id,
    format('no passing %s verification under claim %s yet', array_to_string(v_missing, ', '), p_claim),
    p_state => 'claimed', p_claim => p_claim,
    p_details => jsonb_build_object('missing', to_jsonb(v_missing), 'required', to_jsonb(v_required)));
  perform audit.record('task.complete', 'unverified', 'task', p_task_id::text, v_result.reason,
    jsonb_build_object('claim', p_claim, 'missing', to_jsonb(v_missing)) || p_context, p_decision, 'warning');
  return v_result;
end;
$$;

comment on function coord.unverified_refusal(coord.caller, bigint, bigint, authz.decision, jsonb) is 'The unverified refusal of a completion (audited as task.complete) while a required verification tier has no passing record under p_claim; null otherwise.';
revoke all on function coord.unverified_refusal(coord.caller, bigint, bigint, authz.decision, jsonb) from public;
