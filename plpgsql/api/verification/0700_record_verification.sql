create or replace function api.record_verification(
  p_task_id bigint,
  p_tier text,
  p_executor text,
  p_status text,
  p_output_digest text default null,
  p_details jsonb default '{}',
  p_claim bigint default null
)
returns api.verification_result
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
  v_task record;
  v_refusal text;
  v_id bigint;
  v_missing text[];
  v_context jsonb;
begin
  perform coord.check_verification_tiers(array[p_tier]);
  if p_tier is null then
    perform coord.fail('CO422', 'a verification tier is required');
  end if;
  if p_status is null or p_status not in ('pass', 'fail') then
    perform coord.fail('CO423', format('status %s', coalesce(pg_catalog.quote_literal(left(p_status, 50)), 'null')));
  end if;
  if p_executor is null or char_length(p_executor) not between 1 and 200 or p_executor ~ '[[:cntrl:]]' then
    perform coord.fail('CO423', 'executor must be 1-200 printable characters');
  end if;
  if p_output_digest is not null and p_output_digest !~ '^[0-9a-f]{64}$' then
    perform coord.fail('CO423', 'output_digest must be 64 lower-case hex digits (sha256)');
  end if;
  perform coord.check_json(p_details, 'details', 16384);
  if jsonb_typeof(coalesce(p_details, '{}')) <> 'object' then
    perform coord.fail('CO423', 'details must be a JSON object');
  end if;
  -- A record verifies the work of one claim: it names it. Without it, a record whose run began
  -- under one claim would land on whichever claim is live when it is recorded (the task may have
  -- been lost and claimed again meanwhile) and count for work it never saw.
  perform coord.check_claim(p_task_id, p_claim);
  perform coord.require_read_committed();
  v_context := jsonb_build_object('tier', p_tier, 'status', p_status, 'executor', p_executor)
               || jsonb_strip_nulls(jsonb_build_object('claim', p_claim, 'output_digest', p_output_digest));
  v_decision := authz.gate('task.verify', 'task', p_task_id::text, v_context);
  if not v_decision.allowed then
    return coord.verification_result(p_task_id => p_task_id, p_tier => p_tier, p_refusal => v_decision);
  end if;

  -- Shared with other recorders, exclusive against complete_task: a record lands before the
  -- completion that counts it, or after it and is refused as stale.
  select t.state, t.claim, t.claimed_by, t.required_verifications into v_task
  from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id
  for share;
  if not found then
    perform coord.fail('CO410', format('no task %s in this tenant', p_task_id));
  end if;
  if v_task.state <> 'claimed' or p_claim <> v_task.claim then
    perform audit.record('task.verify', 'stale_claim', 'task', p_task_id::text,
      'only the work of the live claim is verified', v_context, v_decision, 'warning');
    return coord.verification_result('stale_claim', p_task_id,
      case when v_task.state <> 'claimed' then format('the task is %s: only a claimed task''s work is verified', v_task.state)
           else format('claim %s is stale: the task was claimed again (claim %s)', p_claim, v_task.claim) end,
      p_tier => p_tier, p_status => p_status, p_details => jsonb_build_object('state', v_task.state::text));
  end if;
  v_refusal := coord.verifier_refusal(v_me, v_task.claimed_by, p_tier);
  if v_refusal is not null then
    perform audit.record('task.verify', 'verifier_not_allowed', 'task', p_task_id::text, v_refusal,
      v_context || jsonb_build_object('claim', v_task.claim), v_decision, 'warning');
    return coord.verification_result('verifier_not_allowed', p_task_id, v_refusal, p_tier => p_tier,
      p_status => p_status);
  end if;

  insert into coord.task_verifications (tenant_id, task_id, claim, tier, status, executor, recorded_by, output_digest,
                                        details, recorded_at)
  values (v_me.tenant_id, p_task_id, v_task.claim, p_tier, p_status, p_executor, v_me.principal_id, p_output_digest,
          coalesce(p_details, '{}'), coord.now())
  returning id into v_id;
  v_missing := coord.missing_verifications(v_me.tenant_id, p_task_id, v_task.claim, v_task.required_verifications);
  perform audit.record('task.verify', 'recorded', 'task', p_task_id::text,
    format('%s verification %s', p_tier, p_status),
    v_context || jsonb_build_object('claim', v_task.claim, 'verification_id', v_id, 'missing', to_jsonb(v_missing)),
    v_decision, case p_status when 'pass' then 'info' else 'notice' end);
  return coord.verification_result('recorded', p_task_id,
    format('%s verification recorded as %s for claim %s', p_tier, p_status, v_task.claim), v_id, p_tier, p_status,
    v_missing, jsonb_build_object('claim', v_task.claim, 'required', to_jsonb(v_task.required_verifications)));
end;
$$;

comment on function api.record_verification(bigint, text, text, text, text, jsonb, bigint) is
'Records the result of one verification tier (static, unit, integration, system, manual) of a claimed task''s work: p_executor says what ran it (e.g. coord verify, ci:github), p_status pass or fail, p_output_digest the sha256 (hex) of its output, p_details a JSON object (at most 16 KiB); p_claim (required) the claim whose work was verified, which must still be the live claim (get_task shows it: read it before the run). The record belongs to that claim; the latest record per tier under the completing claim decides whether complete_task may complete (otherwise unverified). Who may record: automated tiers the claimant (or its device or owner), an operator or a trust-4 agent; manual an operator or a trust-4 agent, never the claimant''s side (verifier_not_allowed). Returns recorded with verification_id and missing (required tiers still without a pass), stale_claim when the task is not claimed (or by another claim), or denied. Errors: CO422 tier, CO423 status, executor, digest or details, CO410 unknown task, CO413 claim missing, CO404 details over 16 KiB, CO213.';
revoke all on function api.record_verification(bigint, text, text, text, text, jsonb, bigint) from public;
grant execute on function api.record_verification(bigint, text, text, text, text, jsonb, bigint) to coord_agent, coord_operator;
