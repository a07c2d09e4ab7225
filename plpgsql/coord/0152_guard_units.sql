-- Every unit of one operation, in order, without duplicates, with what it does: commands
-- (coord.guard_shell_units), SQL statements (coord.guard_sql_units) or one path
-- (coord.guard_path: a file the agent will write or delete, so both are its effects). The
-- marker characters chr(30)/chr(31) the normalizer uses internally are replaced in the input,
-- so nobody can forge a substitution.
create or replace function coord.guard_units(p_kind text, p_text text)
returns table (kind text, unit text, effects jsonb, detail jsonb)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_text text;
begin
  perform coord.check_operation_input(p_kind, p_text);
  v_text := translate(p_text, chr(30) || chr(31), '  ');
  return query
    select u.kind, u.unit, u.effects, u.detail
    from (select s.kind, s.unit, min(s.ord) as ord, (array_agg(s.detail order by s.ord))[1] as detail,
                 coalesce((select jsonb_agg(distinct e) from unnest(array_agg(s.effects)) as x (eff),
                                  jsonb_array_elements(x.eff) as e), '[]'::jsonb) as effects
          from (select r.kind, r.unit, r.effects, r.detail, row_number() over () as ord
                from (select * from coord.guard_shell_units(v_text, 0, '{}') where p_kind = 'command'
                      union all
                      select * from coord.guard_sql_units(v_text, 0) where p_kind = 'sql'
                      union all
                      select 'path', p.p, coord.guard_effect('write', array[p.p]) || coord.guard_effect('delete', array[p.p]), null
                      from (select coord.guard_path(btrim(v_text)) as p) as p where p_kind = 'path') as r) as s
          group by s.kind, s.unit) as u
    order by u.ord;
end;
$$;

comment on function coord.guard_units(text, text) is 'Guardrail normalizer entry point: the canonical units of an operation of kind command, sql or path, in order and deduplicated, each with its effects [{a, t, c}] and, for commands, the parsed operation. Errors: CO471, CO472.';
revoke all on function coord.guard_units(text, text) from public;
