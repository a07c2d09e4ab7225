create or replace function api.remove_approval_policy(p_name text)
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
  v_id bigint;
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO468', format('name %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  v_decision := authz.gate('approval.policy', 'approval_policy', p_name);
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  delete from coord.approval_policies as p where p.tenant_id = v_me.tenant_id and p.name = p_name returning p.id into v_id;
  if v_id is null then
    perform coord.fail('CO469', format('approval policy %s', p_name));
  end if;
  perform audit.record('approval.policy.remove', 'removed', 'approval_policy', p_name, null,
    jsonb_build_object('policy_id', v_id), v_decision, 'notice');
  return coord.result('removed', format('approval policy %s removed', p_name), jsonb_build_object('policy_id', v_id));
end;
$$;

comment on function api.remove_approval_policy(text) is
'Operators: removes the auto-approval policy p_name; requests it approved keep their history (get_approval names no policy then). Code removed; denied when the policy gate refuses (details.rule). Errors: CO468 name, CO469 unknown policy.';
revoke all on function api.remove_approval_policy(text) from public;
grant execute on function api.remove_approval_policy(text) to coord_operator;
