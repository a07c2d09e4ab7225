create or replace function api.remove_network_rule(p_rule_id bigint)
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
  v_rule record;
begin
  select r.principal_id, r.profile_id into v_rule
  from authz.network_rules as r where r.tenant_id = v_me.tenant_id and r.id = p_rule_id;
  -- Never a rule that applies to the calling agent: its own, its profile's, or a tenant-wide one.
  v_decision := authz.gate('network.rule', 'network_rule', p_rule_id::text, jsonb_build_object(
    'changes_profile', v_rule.profile_id,
    'changes_principal', case when found and v_rule.principal_id is null and v_rule.profile_id is null
                              then v_me.principal_id else v_rule.principal_id end),
    p_event => 'network.rule_remove');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  delete from authz.network_rules as r
  where r.tenant_id = v_me.tenant_id and r.id = p_rule_id
  returning r.pattern, r.action, r.priority into v_rule;
  if not found then
    perform coord.fail('CO453', format('no network rule %s in this tenant', coalesce(p_rule_id::text, 'null')));
  end if;
  perform audit.record('network.rule_remove', 'removed', 'network_rule', p_rule_id::text, null,
    jsonb_build_object('pattern', v_rule.pattern, 'action', v_rule.action, 'priority', v_rule.priority), v_decision);
  return coord.result('removed', p_details => jsonb_build_object('rule_id', p_rule_id));
end;
$$;

comment on function api.remove_network_rule(bigint) is 'Operators and trust-4 agents (never rules that apply to themselves: their own, their profile''s, or tenant-wide ones): removes a network rule of your tenant (code removed); denied when the policy refuses (details.rule). Errors: CO453 unknown rule.';
revoke all on function api.remove_network_rule(bigint) from public;
grant execute on function api.remove_network_rule(bigint) to coord_agent, coord_operator;
