-- What manifest p_new allows that p_old does not: every entry of p_new no entry of p_old
-- covers, as a JSON array of single-entry manifests ({"network": ...}, {"files": {...}},
-- {"env": ...}). Coverage is asked of coord.skill_decision with the new entry as the target (a
-- * in it then stands for itself, which only a * of the old entry or a wider one matches), so
-- a version can never allow more than the decision says it does. Empty: no widening.
create or replace function coord.skill_widening(p_old jsonb, p_new jsonb)
returns jsonb
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(jsonb_agg(w.entry order by w.ord, w.entry), '[]')
  from (
    select 1 as ord, jsonb_build_object('network', n) as entry
    from jsonb_array_elements_text(p_new -> 'network') as n
    where not (coord.skill_decision(p_old, 'network', n) ->> 'allowed')::boolean
    union all
    select 2, jsonb_build_object('files', f)
    from jsonb_array_elements(p_new -> 'files') as f
    where not (coord.skill_decision(p_old, 'lock',
                 case when right(f ->> 'path', 3) = '/**' then left(f ->> 'path', -2) else f ->> 'path' end,
                 case when f ->> 'access' = 'read' then 'shared' else 'exclusive' end) ->> 'allowed')::boolean
    union all
    select 3, jsonb_build_object('env', e)
    from jsonb_array_elements_text(p_new -> 'env') as e
    where not (coord.skill_decision(p_old, 'env', e) ->> 'allowed')::boolean
  ) as w;
$$;

comment on function coord.skill_widening(jsonb, jsonb) is 'The entries of canonical manifest p_new that canonical manifest p_old does not cover (new domains, paths, write access, variables), as a JSON array of {"network"|"files"|"env": entry}; empty when p_new is no wider.';
revoke all on function coord.skill_widening(jsonb, jsonb) from public;
