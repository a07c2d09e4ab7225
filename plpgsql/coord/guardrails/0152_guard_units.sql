-- Every unit of one operation, in order, without duplicates, with what it does: commands
-- (coord.guard_shell_units), SQL statements (coord.guard_sql_units) or one path
-- (coord.guard_path: a file the agent will write or delete, so both are its effects). A command or path holding U+2400 (a NUL the client
-- saw) gets an error unit. The
-- marker characters chr(30)/chr(31) the normalizer uses internally are replaced in the input,
-- so nobody can forge a substitution. Text that looks like PowerShell or cmd.exe is also read
-- as POSIX shell text, and the units of both readings count.
-- Generic plans for the whole normalizer (plan_cache_mode, inherited by every function it
-- calls): its statements run over arrays and jsonb values whose sizes a custom plan estimates
-- anew, so the plan cache kept choosing custom plans and re-planned on every call (guard_parse's
-- result alone cost ~70 us of planning a call) for no better plan.
create or replace function coord.guard_units(p_kind text, p_text text)
returns table (kind text, unit text, effects jsonb, detail jsonb)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  v_text text;
  v_row record;
  v_keys jsonb := '{}';
  v_kinds text[] := '{}';
  v_units text[] := '{}';
  v_effects jsonb[] := '{}';
  v_details jsonb[] := '{}';
  v_at integer;
  i integer;
begin
  perform coord.check_operation_input(p_kind, left(p_text, 10000));
  -- Longer than the normalizer reads (only api.check_operation gets here with one: every other
  -- caller refuses it as CO472 first): what lies past the limit cannot be checked.
  if char_length(p_text) > 10000 then
    kind := 'error';
    unit := format('%s characters: longer than the 10000 a guardrail reads, so it cannot be checked',
                   char_length(p_text));
    effects := '[]';
    detail := null;
    return next;
    return;
  end if;
  v_text := translate(p_text, chr(30) || chr(31), '  ');
  -- a loop rather than a grouping query: most operations are a few units, and a plpgsql loop
  -- over them costs less than sorting and aggregating
  for v_row in select * from coord.guard_shell_units(v_text, 0, '{}') where p_kind = 'command'
               union all
               -- text that looks like PowerShell or cmd.exe is read as a POSIX shell reads it too:
               -- the first word decides the lexer, and get-x; r\m -rf ~ is rm -rf ~ to bash (which
               -- is what runs it when an agent's shell tool is bash: Claude Code's Bash, Git Bash)
               select * from coord.guard_shell_units(v_text, 0, '{}', true, '{"windows": false}')
               where p_kind = 'command' and coord.guard_windows_text(v_text)
               union all
               select * from coord.guard_sql_units(v_text, 0) where p_kind = 'sql'
               union all
               select 'path', p.p, coord.guard_effect('write', array[p.p]) || coord.guard_effect('delete', array[p.p]), null
               from (select coord.guard_path(btrim(v_text)) as p) as p where p_kind = 'path' loop
    v_at := (v_keys ->> (v_row.kind || ' ' || v_row.unit))::integer;
    if v_at is null then
      v_kinds := v_kinds || v_row.kind;
      v_units := v_units || v_row.unit;
      v_effects := v_effects || v_row.effects;
      v_details := v_details || v_row.detail;
      v_keys := v_keys || jsonb_build_object(v_row.kind || ' ' || v_row.unit, cardinality(v_units));
    else
      -- the same unit again: its effects once each, its first operation
      v_effects[v_at] := (select coalesce(jsonb_agg(distinct e), '[]') from jsonb_array_elements(v_effects[v_at] || v_row.effects) as e);
      v_details[v_at] := coalesce(v_details[v_at], v_row.detail);
    end if;
  end loop;
  for i in 1 .. cardinality(v_units) loop
    kind := v_kinds[i];
    unit := v_units[i];
    effects := v_effects[i];
    detail := v_details[i];
    return next;
  end loop;
  -- U+2400 stands for a NUL the client saw (text cannot hold U+0000): no shell runs such a
  -- command and no file system takes such a path, and what follows the NUL was never read by
  -- the lexer as the program would read it, so it cannot be checked (a critical block).
  if p_kind in ('command', 'path') and strpos(p_text, chr(9216)) > 0 then
    kind := 'error';
    unit := 'NUL character (sent as U+2400): no program runs it and no guardrail can check it';
    effects := '[]';
    detail := null;
    return next;
  end if;
end;
$$;

comment on function coord.guard_units(text, text) is 'Guardrail normalizer entry point: the canonical units of an operation of kind command, sql or path, in order and deduplicated, each with its effects [{a, t, c}] and, for commands, the parsed operation. Errors: CO471, CO472.';
revoke all on function coord.guard_units(text, text) from public;
