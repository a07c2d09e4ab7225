-- The guardrail decision for one operation of a tenant at a trust level (reads only). A rule
-- matches when one of the operation's effects is one of its actions on one of its target
-- classes (any target when it names none), or, for a pattern rule, when its regex matches a
-- canonical unit of its kind. A match is overridden when the trust reaches the rule's
-- override_trust (never for critical rules). Then:
--   blocked         some match that is not overridden has mode block;
--   needs_approval  otherwise, some match that is not overridden needs approval;
--   allowed         otherwise (overridden = true when a match was overridden).
-- A normalizer error (nesting too deep) is a critical block of its own.
-- Generic plans, as in coord.guard_units: the matching query is not re-planned per call.
-- Returns {code, reason, normalized, units: [{kind, unit, effects, operation}], matches: [{rule_id, name, category, severity, mode,
--          override_trust, overridden, unit, action, target, classes}], overridden, trust, writes, unleased}; units only when
-- p_explain (explain_operation): a check has no use for the parsed operations, and building them costs;
-- writes and unleased (for a command): the files it changes that a lease can name, and those only
-- the run can tell (coord.guard_lease_targets).
create or replace function coord.guard_evaluate(p_tenant_id uuid, p_kind text, p_text text, p_trust smallint,
                                                p_explain boolean default false)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_units text[];
  v_kinds text[];
  v_effects jsonb;
  v_unit_effects jsonb;
  v_explained jsonb;
  v_matches jsonb;
  v_code text;
  v_overridden boolean;
  v_reason text;
  v_deciding text;
  v_lease jsonb;
begin
  select coalesce(array_agg(u.unit order by u.ord), '{}'), coalesce(array_agg(u.kind order by u.ord), '{}'),
         coalesce(jsonb_agg(u.effects order by u.ord), '[]'),
         coalesce(jsonb_agg(jsonb_build_object('kind', u.kind, 'unit', u.unit, 'effects', u.effects, 'operation', u.detail)
                            order by u.ord) filter (where p_explain), case when p_explain then '[]'::jsonb end)
  into v_units, v_kinds, v_unit_effects, v_explained
  from coord.guard_units(p_kind, p_text) with ordinality as u (kind, unit, effects, detail, ord);
  select coalesce(jsonb_agg(e || jsonb_build_object('u', v_units[x.o]) order by x.o), '[]')
  into v_effects
  from jsonb_array_elements(v_unit_effects) with ordinality as x (eff, o), jsonb_array_elements(x.eff) as e;

  -- one join of effects with the rules that name their action (rather than a subquery per rule),
  -- then the pattern rules over the canonical units; a rule matches once, by its first hit.
  -- The effects are taken apart once (materialized), not once per rule they are joined with.
  with effect as materialized (
    select e ->> 'u' as unit, e ->> 'a' as action, e ->> 't' as target, e -> 'c' as classes, x.o
    from jsonb_array_elements(v_effects) with ordinality as x (e, o)),
  rule as (
    select g.id, g.name, g.category, g.severity, g.mode, g.override_trust, g.actions, g.targets, g.applies_to, g.pattern,
           g.heads, g.needles
    from authz.guardrails as g where g.tenant_id = p_tenant_id and g.enabled),
  hit as (
    select distinct on (g.id) g.id, g.name, g.category, g.severity, g.mode, g.override_trust,
           h.unit, h.action, h.target, h.classes
    from rule as g
    join effect as h on g.actions is not null and h.action = any (g.actions) and (g.targets is null or h.classes ?| g.targets)
    order by g.id, h.o),
  pattern_hit as (
    select g.id, g.name, g.category, g.severity, g.mode, g.override_trust, p.unit, null::text as action,
           null::text as target, null::jsonb as classes
    from rule as g
    cross join lateral (
      select x.unit from unnest(v_units, v_kinds) as x (unit, kind)
      where x.kind = g.applies_to
        -- the prefilters first (CASE fixes the order): a regex is compiled only when it may match
        and case when (g.heads is null or x.unit ^@ any (g.heads))
                      and (g.needles is null or exists (select from unnest(g.needles) as n where strpos(x.unit, n) > 0))
                 then x.unit ~ g.pattern else false end
      limit 1) as p
    where g.pattern is not null and not exists (select from hit where hit.id = g.id))
  select coalesce(jsonb_agg(m.match order by m.rank, m.name), '[]')
  into v_matches
  from (
    select r.name,
           case r.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end as rank,
           jsonb_build_object('rule_id', r.id, 'name', r.name, 'category', r.category, 'severity', r.severity,
                              'mode', r.mode, 'override_trust', r.override_trust,
                              'overridden', coalesce(p_trust >= r.override_trust, false),
                              'unit', r.unit, 'action', r.action, 'target', r.target, 'classes', r.classes) as match
    from (select * from hit union all select * from pattern_hit) as r
    union all
    select 'normalizer', 0,
           jsonb_build_object('rule_id', null, 'name', 'normalizer', 'category', 'process', 'severity', 'critical',
                              'mode', 'block', 'override_trust', null, 'overridden', false, 'unit', x.unit,
                              'action', null, 'target', null, 'classes', null)
    from unnest(v_units, v_kinds) as x (unit, kind) where x.kind = 'error'
  ) as m;

  select case when bool_or(not (e ->> 'overridden')::boolean and e ->> 'mode' = 'block') then 'blocked'
              when bool_or(not (e ->> 'overridden')::boolean) then 'needs_approval'
              else 'allowed' end,
         coalesce(bool_or((e ->> 'overridden')::boolean), false)
  into v_code, v_overridden
  from jsonb_array_elements(v_matches) as e;
  v_code := coalesce(v_code, 'allowed');

  -- (a normalizer match says what could not be read: its unit is the reason, not a command)
  select string_agg(format('%s (%s %s%s)', e ->> 'name', e ->> 'severity', e ->> 'category',
                           case when e ->> 'override_trust' is null then ', no override'
                                else ', trust ' || (e ->> 'override_trust') || ' may override' end)
                    || case when e ->> 'rule_id' is null then ': ' || (e ->> 'unit') else '' end, ', ')
  into v_deciding
  from jsonb_array_elements(v_matches) as e
  where case v_code when 'blocked' then not (e ->> 'overridden')::boolean and e ->> 'mode' = 'block'
                    when 'needs_approval' then not (e ->> 'overridden')::boolean
                    else (e ->> 'overridden')::boolean end;
  v_reason := case v_code
    when 'blocked' then 'blocked by ' || v_deciding
    when 'needs_approval' then 'needs approval: ' || v_deciding
    else case when v_overridden then format('allowed by trust %s overriding ', p_trust) || v_deciding
              else 'no guardrail matches' end end;
  v_lease := case when p_kind = 'command' then coord.guard_lease_targets(v_effects) end;
  return jsonb_build_object('code', v_code, 'reason', v_reason,
                            'normalized', array_to_string(array(select x.unit from unnest(v_units, v_kinds) with ordinality as x (unit, kind, o)
                                                                where x.kind <> 'error' order by x.o), E'\n'),
                            'units', v_explained, 'matches', v_matches, 'overridden', v_overridden, 'trust', p_trust,
                            'writes', v_lease -> 'writes', 'unleased', v_lease -> 'unleased');
end;
$$;

comment on function coord.guard_evaluate(uuid, text, text, smallint, boolean) is 'Guardrail decision (blocked, needs_approval, allowed; overridden when trust overrode a match) for one operation against the enabled rules of a tenant: rules match effects (action x target class) or, for pattern rules, canonical units. Reads only. Errors: CO471, CO472.';
revoke all on function coord.guard_evaluate(uuid, text, text, smallint, boolean) from public;
