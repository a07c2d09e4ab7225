-- Guardrail normalizer for commands: shell text -> the units guardrail patterns are matched
-- against, each (kind, unit):
--   ('command', canonical simple command)  for every command that would run, wherever it sits:
--                                          in a chain, a pipeline, a substitution, a sh -c
--                                          string, behind sudo/env/xargs/...;
--   ('command', 'a | b | c')               for every pipeline of two or more commands;
--   ('sql', statement)                     for SQL handed to psql -c, mysql -e, sqlite3, ...;
--   ('error', reason)                      when nesting goes deeper than 8 levels (blocked).
-- Arguments of a command are data: only what runs is a command. So echo "rm -rf /",
-- grep "git push --force" and git commit -m "drop rm -rf" check echo, grep and git commit,
-- while echo "rm -rf /" | sh, sh -c "...", eval and "$(...)" check what they run.
-- NAME=value assignments (also export/local/declare/readonly) and alias NAME=... are remembered
-- and expanded in later commands of the same text ($NAME, ${NAME}); name() defines a function,
-- and calls of it appear as name().
create or replace function coord.guard_shell_units(p_text text, p_depth integer default 0, p_vars jsonb default '{}',
                                                   p_subs boolean default true)
returns table (kind text, unit text)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_lex jsonb;
  v_cmd jsonb;
  v_vars jsonb := coalesce(p_vars, '{}');
  v_aliases jsonb := '{}';
  v_fns text[] := '{}';
  v_pipe text[] := '{}';
  v_words text[];
  v_redirects text[];
  v_w text[];
  v_stdin text;
  v_prev text[];
  v_prev_in text;
  v_items jsonb;
  v_item jsonb;
  v_canon text;
  v_final text[];
  v_x text;
  v_key text;
  v_i integer;
  v_all boolean;
begin
  if p_depth > 8 then
    return query select 'error'::text, 'commands nested deeper than 8 levels'::text;
    return;
  end if;
  v_lex := coord.guard_lex(p_text);
  -- substitutions run, so they are commands too (p_subs is false when this text is the inner
  -- text of a substitution whose output runs: its substitutions were checked already)
  for v_x in select jsonb_array_elements_text(v_lex -> 'subs') where p_subs loop
    return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars);
  end loop;

  for v_cmd in select jsonb_array_elements(v_lex -> 'cmds') loop
    if v_cmd ? 'fn' then
      v_fns := v_fns || (v_cmd ->> 'fn');
      continue;
    end if;
    v_words := array(select jsonb_array_elements_text(v_cmd -> 'w'));
    v_redirects := array(select jsonb_array_elements_text(v_cmd -> 'r'));
    -- expand the variables assigned earlier
    if v_vars <> '{}' then
      v_w := '{}';
      foreach v_x in array v_words loop
        v_key := substring(v_x from '^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$');
        if v_key is not null and v_vars ? v_key then
          v_w := v_w || array(select s from regexp_split_to_table(btrim(v_vars ->> v_key), '\s+') as s where s <> '');
        else
          for v_key in select jsonb_object_keys(v_vars) loop
            v_x := regexp_replace(v_x, '\$(\{' || v_key || '\}|' || v_key || '(?![A-Za-z0-9_]))',
                                  replace(replace(v_vars ->> v_key, '\', '\\'), '&', '\&'), 'g');
          end loop;
          v_w := v_w || v_x;
        end if;
      end loop;
      v_words := v_w;
    end if;
    -- assignments and aliases are remembered, not run
    if cardinality(v_words) > 0 and v_words[1] in ('export', 'local', 'declare', 'typeset', 'readonly', 'alias')
       and cardinality(v_words) > 1
       and not exists (select from unnest(v_words[2:]) as a where a !~ '^[A-Za-z_][A-Za-z0-9_]*=' and a !~ '^-[a-zA-Z]+$') then
      foreach v_x in array v_words[2:] loop
        if v_x ~ '^[A-Za-z_][A-Za-z0-9_]*=' then
          if v_words[1] = 'alias' then
            v_aliases := v_aliases || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
          else
            v_vars := v_vars || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
          end if;
        end if;
      end loop;
      continue;
    end if;
    v_all := cardinality(v_words) > 0
             and not exists (select from unnest(v_words) as a where a !~ '^[A-Za-z_][A-Za-z0-9_]*=');
    if v_all then
      foreach v_x in array v_words loop
        v_vars := v_vars || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
      end loop;
      continue;
    end if;
    if cardinality(v_words) > 0 and v_aliases ? v_words[1] then
      return query select * from coord.guard_shell_units(
        (v_aliases ->> v_words[1]) || ' '
          || array_to_string(array(select coord.guard_quote(a) from unnest(v_words[2:]) with ordinality as x (a, o)
                                   order by x.o), ' '),
        p_depth + 1, v_vars);
      continue;
    end if;
    -- what flows in on stdin: a here-document, or the words of an echo/printf piped in
    v_stdin := v_cmd ->> 'in';
    if v_stdin is null and v_prev is not null then
      if v_prev[1] in ('echo', 'printf') then
        v_stdin := array_to_string(array(select a from unnest(v_prev[2:]) with ordinality as x (a, o)
                                         where not (x.o = 1 and a ~ '^-[neE]+$') order by x.o), ' ');
      elsif v_prev_in is not null then
        v_stdin := v_prev_in;
      end if;
    end if;
    v_items := coord.guard_unwrap(v_words, v_stdin);
    v_final := null;
    for v_item in select jsonb_array_elements(v_items) loop
      if v_item ? 'w' then
        v_w := array(select jsonb_array_elements_text(v_item -> 'w'));
        if v_w[1] = any (v_fns) then
          v_w[1] := v_w[1] || '()';
        end if;
        v_canon := coord.guard_canonical(v_w, v_redirects);
        if v_canon <> '' then
          return query select 'command'::text, v_canon;
        end if;
        if v_final is null then
          v_final := v_w;
          v_pipe := v_pipe || v_canon;
        end if;
      elsif v_item ? 'sh' then
        return query select * from coord.guard_shell_units(v_item ->> 'sh', p_depth + 1, v_vars);
      elsif v_item ? 'sql' then
        return query select * from coord.guard_sql_units(v_item ->> 'sql', p_depth + 1);
      elsif v_item ? 'exec' then
        return query select * from coord.guard_shell_units((v_item ->> 'exec') || ' | sh', p_depth + 1, v_vars, false);
      end if;
    end loop;
    if v_final is null then
      v_pipe := v_pipe || coord.guard_canonical(v_words, v_redirects);
    end if;
    if v_cmd ->> 'op' = '|' then
      v_prev := coalesce(v_final, v_words);
      v_prev_in := v_cmd ->> 'in';
    else
      if cardinality(v_pipe) >= 2 then
        return query select 'command'::text, array_to_string(v_pipe, ' | ');
      end if;
      v_pipe := '{}';
      v_prev := null;
      v_prev_in := null;
    end if;
  end loop;
end;
$$;

comment on function coord.guard_shell_units(text, integer, jsonb, boolean) is 'Guardrail normalizer: shell text -> (kind, unit) rows: every command that would run in canonical form, every pipeline, embedded SQL; arguments are data.';
revoke all on function coord.guard_shell_units(text, integer, jsonb, boolean) from public;
