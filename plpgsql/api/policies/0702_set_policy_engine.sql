create or replace function api.set_policy_engine(p_engine text, p_reason text)
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
  v_previous text;
begin
  if p_engine is null or p_engine not in ('native', 'cedar', 'both')
     or p_reason is null or char_length(btrim(p_reason)) not between 1 and 1000 then
    perform coord.fail('CO564', format('engine %s', coalesce(pg_catalog.quote_literal(left(p_engine, 100)), 'null')));
  end if;
  v_decision := authz.gate('policy.admin', 'policy_engine', p_engine,
    p_details => jsonb_build_object('reason', p_reason), p_event => 'policy.engine');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  if p_engine <> 'native' and not authz.cedar_available() then
    perform coord.fail('CO561', format('engine %s needs Cedar in the database', p_engine));
  end if;
  select coalesce((select e.engine from authz.tenant_engines as e where e.tenant_id = v_me.tenant_id), 'native')
  into v_previous;
  insert into authz.tenant_engines as e (tenant_id, engine, reason, changed_by, changed_at)
  values (v_me.tenant_id, p_engine, p_reason, v_me.principal_id, coord.now())
  on conflict (tenant_id) do update
    set engine = excluded.engine, reason = excluded.reason, changed_by = excluded.changed_by,
        changed_at = excluded.changed_at;
  perform audit.record('policy.engine', 'changed', 'policy_engine', p_engine, p_reason,
    jsonb_build_object('engine', p_engine, 'previous', v_previous), v_decision, 'notice');
  return coord.result('engine_set', p_details => jsonb_build_object('engine', p_engine, 'previous', v_previous));
end;
$$;

comment on function api.set_policy_engine(text, text) is 'Operators: the tenant decides with p_engine from the next call: native (the default), cedar (its newest Cedar policy, the shipped baseline until it stores one; calls_per_hour still counts) or both (both must allow; a disagreement is denied and audited as policy.disagreement), with p_reason (code engine_set, details.engine, details.previous); denied when the policy refuses (details.rule). Errors: CO561 cedar or both on a server without PL/Python and cedarpy, CO564 unknown engine or no reason.';
revoke all on function api.set_policy_engine(text, text) from public;
grant execute on function api.set_policy_engine(text, text) to coord_operator;
