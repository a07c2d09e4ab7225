create or replace function api.write_handoff(
  p_summary text,
  p_completed text[] default '{}',
  p_in_progress text[] default '{}',
  p_decisions text[] default '{}',
  p_next_steps text[] default '{}',
  p_relevant_files text[] default '{}',
  p_task_id bigint default null,
  p_to_agent text default null
)
returns api.result
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
  v_to uuid;
  v_files text[];
  v_id bigint;
begin
  perform coord.check_list(p_completed, 'completed');
  perform coord.check_list(p_in_progress, 'in_progress');
  perform coord.check_list(p_decisions, 'decisions');
  perform coord.check_list(p_next_steps, 'next_steps');
  perform coord.check_list(p_relevant_files, 'relevant_files');
  if p_summary is null or char_length(p_summary) not between 1 and 20000 then
    perform coord.fail('CO441', format('summary of %s characters', coalesce(char_length(p_summary), 0)));
  end if;
  if greatest(cardinality(p_completed), cardinality(p_in_progress), cardinality(p_decisions),
              cardinality(p_next_steps)) > 200 or cardinality(p_relevant_files) > 1000 then
    perform coord.fail('CO441', 'too many list items');
  end if;
  select coalesce(array_agg(distinct coord.normalize_path(f)), '{}') into v_files from unnest(p_relevant_files) as f;
  if p_task_id is not null
     and not exists (select from coord.tasks as t where t.tenant_id = v_me.tenant_id and t.id = p_task_id) then
    perform coord.fail('CO410', format('no task %s in this tenant', p_task_id));
  end if;
  if p_to_agent is not null then
    select p.id into v_to from coord.principals as p where p.tenant_id = v_me.tenant_id and p.name = p_to_agent;
    if v_to is null then
      perform coord.fail('CO302', format('no principal named %s', pg_catalog.quote_literal(left(p_to_agent, 100))));
    end if;
  end if;
  v_decision := authz.gate('handoff.write', 'handoff', null, jsonb_build_object('task_id', p_task_id));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;

  insert into coord.handoffs (tenant_id, author_id, session_id, task_id, to_agent_id, summary, completed,
                              in_progress, decisions, next_steps, relevant_files, repository, created_at)
  values (v_me.tenant_id, v_me.principal_id, v_me.session_id, p_task_id, v_to, p_summary,
          coalesce(p_completed, '{}'), coalesce(p_in_progress, '{}'), coalesce(p_decisions, '{}'),
          coalesce(p_next_steps, '{}'), v_files, v_me.repository, coord.now())
  returning id into v_id;
  perform audit.record('handoff.write', 'written', 'handoff', v_id::text, null,
    jsonb_strip_nulls(jsonb_build_object('task_id', p_task_id, 'to_agent', p_to_agent, 'repository', v_me.repository,
      'relevant_files', cardinality(v_files))), v_decision);
  return coord.result('written', p_details => jsonb_build_object('handoff_id', v_id));
end;
$$;

comment on function api.write_handoff(text, text[], text[], text[], text[], text[], bigint, text) is
'Leaves a handoff document for whoever continues the work: summary (1-20000 characters), completed, in progress, decisions, next steps (up to 200 items each), relevant files (canonical paths in your repository, which the handoff records; up to 1000), optionally about a task and addressed to an agent. Code written, details.handoff_id; denied when the policy refuses (details.rule). Errors: CO441, CO241 a list not flat, CO410 unknown task, CO302 unknown agent, CO201-CO206 paths.';
revoke all on function api.write_handoff(text, text[], text[], text[], text[], text[], bigint, text) from public;
grant execute on function api.write_handoff(text, text[], text[], text[], text[], text[], bigint, text) to coord_agent, coord_operator;
