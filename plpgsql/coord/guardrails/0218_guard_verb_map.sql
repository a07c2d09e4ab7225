-- authz.guard_verbs as one object {program: [{args, flags_any, flags_none, action, target}]}:
-- immutable and without arguments, so a cached plan holds it as a constant and looking up a
-- program is a key search rather than a scan of the table.
create or replace function coord.guard_verb_map()
returns jsonb
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_object_agg(p.program, p.verbs)
  from (select v.program, jsonb_agg(jsonb_build_object('args', v.args, 'flags_any', v.flags_any, 'flags_none', v.flags_none,
                                                       'action', v.action, 'target', v.target)) as verbs
        from authz.guard_verbs as v group by v.program) as p;
$$;

comment on function coord.guard_verb_map() is 'Guardrail knowledge: authz.guard_verbs keyed by program.';
revoke all on function coord.guard_verb_map() from public;
