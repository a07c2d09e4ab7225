-- Every unit a guardrail pattern is matched against for one operation, in order, without
-- duplicates: commands (coord.guard_shell_units), SQL statements (coord.guard_sql_units) or one
-- path (coord.guard_path). The marker characters chr(30)/chr(31) the normalizer uses internally
-- are replaced in the input, so nobody can forge a substitution.
create or replace function coord.guard_units(p_kind text, p_text text)
returns table (kind text, unit text)
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
    select u.kind, u.unit
    from (select s.kind, s.unit, min(s.ord) as ord
          from (select r.kind, r.unit, row_number() over () as ord
                from (select * from coord.guard_shell_units(v_text, 0, '{}') where p_kind = 'command'
                      union all
                      select * from coord.guard_sql_units(v_text, 0) where p_kind = 'sql'
                      union all
                      select 'path', coord.guard_path(btrim(v_text)) where p_kind = 'path') as r) as s
          group by s.kind, s.unit) as u
    order by u.ord;
end;
$$;

comment on function coord.guard_units(text, text) is 'Guardrail normalizer entry point: the canonical units of an operation of kind command, sql or path, in order and deduplicated. Errors: CO471, CO472.';
revoke all on function coord.guard_units(text, text) from public;
