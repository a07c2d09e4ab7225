create or replace function api.add_network_rule(
  p_pattern text,
  p_action text,
  p_priority integer default 0,
  p_for_agent text default null,
  p_reason text default null,
  p_for_profile text default null
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
  v_rule record := coord.network_pattern(p_pattern);
  v_pattern text := v_rule.pattern;
  v_decision authz.decision;
  v_agent uuid;
  v_profile uuid;
  v_id bigint;
begin
  if p_action is null or p_action not in ('allow', 'deny') then
    perform coord.fail('CO452', format('action %s', coalesce(pg_catalog.quote_literal(left(p_action, 50)), 'null')));
  end if;
  if p_priority is null or p_priority not between -1000 and 1000 then
    perform coord.fail('CO403', format('priority %s', coalesce(p_priority::text, 'null')));
  end if;
  if char_length(p_reason) > 1000 then
    perform coord.fail('CO215', format('reason has %s characters', char_length(p_reason)));
  end if;
  if p_for_agent is not null then
    select p.id into v_agent from coord.principals as p where p.tenant_id = v_me.tenant_id and p.name = p_for_agent;
    if v_agent is null then
      perform coord.fail('CO302', format('no principal named %s', pg_catalog.quote_literal(left(p_for_agent, 100))));
    end if;
  end if;
  if p_for_profile is not null then
    if p_for_agent is not null then
      perform coord.fail('CO452', 'a rule is for one agent or one profile, not both');
    end if;
    v_profile := coord.profile_id(v_me.tenant_id, p_for_profile);
  end if;
  -- Agents (trust 4) manage policy, but never rules that would apply to themselves: a rule
  -- for no agent and no profile is tenant-wide, so it applies to the caller too.
  v_decision := authz.gate('network.rule', 'domain', v_pattern, jsonb_build_object('action', p_action,
    'changes_profile', v_profile,
    'changes_principal', case when v_agent is null and v_profile is null then v_me.principal_id else v_agent end),
    p_event => 'network.rule_add');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  insert into authz.network_rules (tenant_id, principal_id, profile_id, pattern, network, action, priority, reason,
                                   created_by, created_at)
  values (v_me.tenant_id, v_agent, v_profile, v_pattern, v_rule.network, p_action, p_priority, p_reason,
          v_me.principal_id, coord.now())
  returning id into v_id;
  perform audit.record('network.rule_add', 'added', 'network_rule', v_id::text, p_reason,
    jsonb_strip_nulls(jsonb_build_object('pattern', v_pattern, 'action', p_action, 'priority', p_priority,
                                         'agent', p_for_agent, 'profile', p_for_profile)), v_decision);
  return coord.result('added', p_details => jsonb_build_object('rule_id', v_id, 'pattern', v_pattern));
end;
$$;

comment on function api.add_network_rule(text, text, integer, text, text, text) is
'Operators, and trust-4 agents for other agents and profiles only (never for themselves, their own profile or the whole tenant, which includes them): adds an allow or deny rule for a host name (exact), *.name (its subdomains), an IP address (any spelling check_network accepts; stored canonical, IPv4 embedded in IPv6 as IPv4) or a range address/prefix-length (10.0.0.0/8, 169.254.0.0/16, fd00::/8; no bits set past the prefix), for the whole tenant, for one agent (p_for_agent) or for the agents of one profile (p_for_profile; the caller is always the verified operator or trust-4 agent), with a priority -1000..1000. Code added, details.rule_id and the canonical pattern; denied when the policy refuses (details.rule). Errors: CO451 pattern, CO454 range, CO452 action, CO403 priority, CO215 reason, CO302 unknown agent, CO462 unknown profile; CO452 also when both p_for_agent and p_for_profile are given.';
revoke all on function api.add_network_rule(text, text, integer, text, text, text) from public;
grant execute on function api.add_network_rule(text, text, integer, text, text, text) to coord_agent, coord_operator;
