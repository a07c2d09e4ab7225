create or replace function api.add_guardrail(
  p_name text,
  p_category text,
  p_applies_to text,
  p_severity text,
  p_pattern text default null,
  p_mode text default 'block',
  p_description text default null,
  p_override_trust smallint default null,
  p_actions text[] default null,
  p_targets text[] default null
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
  v_override smallint;
  v_id bigint;
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO474', format('name %s', coalesce(pg_catalog.quote_literal(left(p_name, 80)), 'null')));
  end if;
  if p_category is null or p_category not in ('filesystem', 'git', 'database', 'deployment', 'credentials', 'process',
                                              'network', 'persistence', 'privilege', 'security', 'supply-chain',
                                              'infrastructure') then
    perform coord.fail('CO474', format('category %s', coalesce(pg_catalog.quote_literal(left(p_category, 50)), 'null')));
  end if;
  if p_applies_to is null or p_applies_to not in ('command', 'sql', 'path', 'any')
     or (p_applies_to = 'any') <> (p_actions is not null) then
    perform coord.fail('CO474', format('applies_to %s', coalesce(pg_catalog.quote_literal(left(p_applies_to, 50)), 'null')));
  end if;
  if p_severity is null or p_severity not in ('low', 'medium', 'high', 'critical') then
    perform coord.fail('CO474', format('severity %s', coalesce(pg_catalog.quote_literal(left(p_severity, 50)), 'null')));
  end if;
  if p_mode is null or p_mode not in ('block', 'needs_approval') then
    perform coord.fail('CO474', format('mode %s', coalesce(pg_catalog.quote_literal(left(p_mode, 50)), 'null')));
  end if;
  if char_length(p_description) > 1000 or btrim(p_description) = '' then
    perform coord.fail('CO474', 'the description must have 1-1000 characters');
  end if;
  -- SPEC 5.5: trust 3 may override low and medium rules, trust 4 high ones, nobody critical ones.
  v_override := coalesce(p_override_trust, case p_severity when 'critical' then null when 'high' then 4 else 3 end);
  if p_severity = 'critical' and p_override_trust is not null
     or p_severity = 'high' and v_override <> 4
     or p_severity in ('low', 'medium') and v_override not between 3 and 4 then
    perform coord.fail('CO474', format('override_trust %s for a %s rule', p_override_trust, p_severity));
  end if;
  perform coord.check_list(p_actions, 'actions');
  perform coord.check_list(p_targets, 'targets');
  -- an operation rule (actions on targets) or a pattern rule, never both
  if p_actions is not null then
    if p_pattern is not null or cardinality(p_actions) not between 1 and 20
       or coalesce(cardinality(p_targets), 1) not between 1 and 40
       or exists (select from unnest(p_actions) as a
                  where a is null or not exists (select from authz.guard_vocabulary as v where v.kind = 'action' and v.name = a))
       or exists (select from unnest(p_targets) as t
                  where t is null or not exists (select from authz.guard_vocabulary as v where v.kind = 'target' and v.name = t)) then
      perform coord.fail('CO474', format('actions %s and targets %s (a rule has a pattern or 1-20 known actions with up to 40 known targets; see coord guard vocabulary)',
                                         left(p_actions::text, 200), coalesce(left(p_targets::text, 200), 'null')));
    end if;
  else
    if p_targets is not null then
      perform coord.fail('CO474', 'targets need actions');
    end if;
    perform coord.check_guard_pattern(p_pattern);
  end if;
  if exists (select from authz.guardrails as g where g.tenant_id = v_me.tenant_id and g.name = p_name) then
    perform coord.fail('CO476', format('rule %s exists in this tenant', p_name));
  end if;
  v_decision := authz.gate('guardrail.admin', 'guardrail', p_name, jsonb_build_object('severity', p_severity),
    p_event => 'guardrail.add');
  if not v_decision.allowed then
    return coord.result(p_refusal => v_decision);
  end if;
  insert into authz.guardrails (tenant_id, name, category, applies_to, actions, targets, pattern, severity, override_trust,
                                mode, description, heads, needles, created_by, created_at, updated_at)
  values (v_me.tenant_id, p_name, p_category, p_applies_to, p_actions, p_targets, p_pattern, p_severity, v_override, p_mode,
          coalesce(p_description, p_name), coord.guard_pattern_heads(p_pattern), coord.guard_pattern_needles(p_pattern),
          v_me.principal_id, coord.now(), coord.now())
  returning id into v_id;
  perform audit.record('guardrail.add', 'added', 'guardrail', p_name, p_description,
    jsonb_build_object('rule_id', v_id, 'category', p_category, 'applies_to', p_applies_to, 'pattern', p_pattern,
                       'actions', p_actions, 'targets', p_targets,
                       'severity', p_severity, 'mode', p_mode, 'override_trust', v_override), v_decision);
  return coord.result('added', p_details => jsonb_build_object('rule_id', v_id, 'name', p_name, 'override_trust', v_override));
end;
$$;

comment on function api.add_guardrail(text, text, text, text, text, text, text, smallint, text[], text[]) is
'Operators: adds a guardrail rule to your tenant: an operation rule (p_applies_to any, p_actions: the effects it is about, p_targets: the target classes, null for any; words from authz.guard_vocabulary, coord guard vocabulary) or a pattern rule (p_pattern: a PostgreSQL ARE, \y is a word boundary, matched against the canonical units of p_applies_to command, sql or path; see docs/architecture.md, Guardrails); p_category filesystem, git, database, deployment, credentials, process, network, persistence, privilege, security, supply-chain or infrastructure; p_severity low, medium, high or critical; p_mode block or needs_approval; p_override_trust defaults to 3 for low/medium and 4 for high (critical: nobody). Code added with details.rule_id; denied when the policy refuses (details.rule). Errors: CO474 invalid field, CO473 bad regex, CO476 name exists.';
revoke all on function api.add_guardrail(text, text, text, text, text, text, text, smallint, text[], text[]) from public;
grant execute on function api.add_guardrail(text, text, text, text, text, text, text, smallint, text[], text[]) to coord_operator;
