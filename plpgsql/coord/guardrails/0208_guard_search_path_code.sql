-- What a module search path set for a program loads that this text wrote: PYTHONPATH=lib after
-- echo '...' > lib/sitecustomize.py (python imports it at start-up; any module there shadows the
-- one the program imports), PERL5LIB, RUBYLIB, NODE_PATH alike. p_written is what
-- coord.guard_shell_units knows of the files written earlier ({path: {"text": ...}}); each such
-- file below an entry of the path, in the language the variable serves, is checked as code
-- (coord.guard_code: its effects, and those of the shell commands it runs).
create or replace function coord.guard_search_path_code(p_name text, p_value text, p_written jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_language text := case upper(p_name) when 'PYTHONPATH' then 'python' when 'PERL5LIB' then 'perl' when 'PERLLIB' then 'perl'
                                        when 'RUBYLIB' then 'ruby' when 'NODE_PATH' then 'js' end;
  v_suffix text := case upper(p_name) when 'PYTHONPATH' then '\.(py|pth)$' when 'PERL5LIB' then '\.(pm|pl)$'
                                      when 'PERLLIB' then '\.(pm|pl)$' when 'RUBYLIB' then '\.rb$' when 'NODE_PATH' then '\.(js|cjs|mjs)$' end;
  v_code jsonb;
  v_out jsonb := '[]';
  v_text text;
  v_command text;
begin
  if v_language is null or p_written is null or p_written = '{}' or coalesce(p_value, '') = '' then
    return '[]';
  end if;
  for v_text in
    select distinct f.value ->> 'text'
    from jsonb_each(p_written) as f, regexp_split_to_table(p_value, ':') as e
    where f.value ? 'text' and f.key ~ v_suffix and btrim(e) <> ''
      and left(regexp_replace(f.key, '^\./', ''), char_length(rtrim(regexp_replace(btrim(e), '^\./', ''), '/')) + 1)
          = rtrim(regexp_replace(btrim(e), '^\./', ''), '/') || '/'
  loop
    v_code := coord.guard_code(v_language, v_text);
    v_out := v_out || coalesce(v_code -> 'effects', '[]');
    for v_command in select jsonb_array_elements_text(v_code -> 'commands') loop
      v_out := v_out || coalesce((select jsonb_agg(e) from coord.guard_shell_units(v_command, 1) as u,
                                                        jsonb_array_elements(u.effects) as e), '[]');
    end loop;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_search_path_code(text, text, jsonb) is 'Guardrail effects of the code files this text wrote below a module search path (PYTHONPATH, PERL5LIB, PERLLIB, RUBYLIB, NODE_PATH) set for a program.';
revoke all on function coord.guard_search_path_code(text, text, jsonb) from public;
