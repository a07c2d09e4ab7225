-- The guardrail decision for one operation of a tenant at a trust level (reads only):
-- every enabled rule of the tenant whose applies_to is the unit's kind and whose pattern
-- matches a canonical unit is a match. A match is overridden when the trust reaches the rule's
-- override_trust (never for critical rules). Then:
--   blocked         some match that is not overridden has mode block;
--   needs_approval  otherwise, some match that is not overridden needs approval;
--   allowed         otherwise (overridden = true when a match was overridden).
-- A normalizer error (nesting too deep) is a critical block of its own.
-- Returns {code, reason, normalized, matches: [{rule_id, name, category, severity, mode,
--          override_trust, overridden, unit}], overridden, trust}.
create or replace function coord.guard_evaluate(p_tenant_id uuid, p_kind text, p_text text, p_trust smallint)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_units text[];
  v_kinds text[];
  v_matches jsonb;
  v_code text;
  v_overridden boolean;
  v_reason text;
  v_deciding text;
begin
  select coalesce(array_agg(u.unit order by u.ord), '{}'), coalesce(array_agg(u.kind order by u.ord), '{}')
  into v_units, v_kinds
  from coord.guard_units(p_kind, p_text) with ordinality as u (kind, unit, ord);

  select coalesce(jsonb_agg(m.match order by m.rank, m.name), '[]')
  into v_matches
  from (
    select g.name,
           case g.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end as rank,
           jsonb_build_object('rule_id', g.id, 'name', g.name, 'category', g.category, 'severity', g.severity,
                              'mode', g.mode, 'override_trust', g.override_trust,
                              'overridden', coalesce(p_trust >= g.override_trust, false),
                              'unit', (select x.unit from unnest(v_units, v_kinds) with ordinality as x (unit, kind, o)
                                       where x.kind = g.applies_to
                                         and case when g.heads is null or x.unit ^@ any (g.heads) then x.unit ~ g.pattern
                                                  else false end
                                       order by x.o limit 1)) as match
    from authz.guardrails as g
    where g.tenant_id = p_tenant_id and g.enabled
      and exists (select from unnest(v_units, v_kinds) as x (unit, kind)
                  where x.kind = g.applies_to
                    -- the prefilter first (CASE fixes the order): a regex is compiled only when it may match
                    and case when g.heads is null or x.unit ^@ any (g.heads) then x.unit ~ g.pattern else false end)
    union all
    select 'normalizer', 0,
           jsonb_build_object('rule_id', null, 'name', 'normalizer', 'category', 'process', 'severity', 'critical',
                              'mode', 'block', 'override_trust', null, 'overridden', false, 'unit', x.unit)
    from unnest(v_units, v_kinds) as x (unit, kind) where x.kind = 'error'
  ) as m;

  select case when bool_or(not (e ->> 'overridden')::boolean and e ->> 'mode' = 'block') then 'blocked'
              when bool_or(not (e ->> 'overridden')::boolean) then 'needs_approval'
              else 'allowed' end,
         coalesce(bool_or((e ->> 'overridden')::boolean), false)
  into v_code, v_overridden
  from jsonb_array_elements(v_matches) as e;
  v_code := coalesce(v_code, 'allowed');

  select string_agg(format('%s (%s %s%s)', e ->> 'name', e ->> 'severity', e ->> 'category',
                           case when e ->> 'override_trust' is null then ', no override'
                                else ', trust ' || (e ->> 'override_trust') || ' may override' end), ', ')
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
  return jsonb_build_object('code', v_code, 'reason', v_reason,
                            'normalized', array_to_string(array(select x.unit from unnest(v_units, v_kinds) with ordinality as x (unit, kind, o)
                                                                where x.kind <> 'error' order by x.o), E'\n'),
                            'matches', v_matches, 'overridden', v_overridden, 'trust', p_trust);
end;
$$;

comment on function coord.guard_evaluate(uuid, text, text, smallint) is 'Guardrail decision (blocked, needs_approval, allowed; overridden when trust overrode a match) for one operation against the enabled rules of a tenant. Reads only. Errors: CO471, CO472.';
revoke all on function coord.guard_evaluate(uuid, text, text, smallint) from public;
