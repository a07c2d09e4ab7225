create or replace function api.forget(p_memory_id bigint)
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
  v_team uuid := coord.memory_team(v_me);
  v_memory coord.memories;
  v_decision authz.decision;
begin
  -- A memory the caller may not see does not exist for it (operators: every memory of the tenant).
  select m.* into v_memory from coord.memories as m
  where m.tenant_id = v_me.tenant_id and m.id = p_memory_id
    and (v_me.role = 'operator' or m.visibility = 'tenant' or m.author_id = v_me.principal_id
         or m.visibility = 'team' and m.team_id = v_team);
  if not found then
    perform coord.fail('CO448', format('no memory %s', coalesce(p_memory_id::text, 'null')));
  end if;

  v_decision := authz.gate('memory.forget', 'memory', p_memory_id::text, jsonb_build_object('tier', v_memory.tier));
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  if v_me.role = 'agent' and v_memory.author_id <> v_me.principal_id then
    perform audit.record('memory.forget', 'not_author', 'memory', p_memory_id::text, 'agents forget only their own memories',
      jsonb_build_object('tier', v_memory.tier, 'visibility', v_memory.visibility), v_decision);
    return coord.result('not_author', 'agents forget only their own memories; an operator may forget any');
  end if;

  delete from coord.memories as m where m.id = v_memory.id;
  perform audit.record('memory.forget', 'forgotten', 'memory', p_memory_id::text, null,
    jsonb_build_object('tier', v_memory.tier, 'visibility', v_memory.visibility, 'repository', v_memory.repository,
                       'author_id', v_memory.author_id), v_decision);
  return coord.result('forgotten', p_details => jsonb_build_object('memory_id', v_memory.id));
end;
$$;

comment on function api.forget(bigint) is
'Forgets (deletes) a memory: agents their own, operators any memory of the tenant. Code forgotten; not_author when an agent names a memory it can see but did not write; denied when the policy refuses (details.rule). Errors: CO448 no such memory (or none you can see).';
revoke all on function api.forget(bigint) from public;
grant execute on function api.forget(bigint) to coord_agent, coord_operator;
