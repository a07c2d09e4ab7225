-- Guardrail normalizer for commands: shell text -> (kind, unit, effects, detail) rows:
--   ('command', canonical simple command, its effects, its parsed operation)  for every command that would run,
--                wherever it sits: in a chain, a pipeline, a substitution, a sh -c string,
--                behind sudo/env/xargs/..., in an interpreter one-liner's shell calls;
--   ('command', 'a | b | c', [])         for every pipeline of two or more commands;
--   ('command', 'NAME=value', effects)   for assignments that matter (HISTFILE, LD_PRELOAD, ...);
--   ('sql', statement, effects)          for SQL handed to psql -c, mysql -e, sqlite3, ...;
--   ('error', reason, [])                when nesting goes deeper than 8 levels (blocked).
-- Effects come from coord.guard_effects, fed with what flows into each command: the role of
-- the command before it in a pipeline (coord.guard_output_role: a download, decoded text,
-- secrets, an interactive shell, ...), here-documents as text, and the files downloaded earlier
-- in the same text (p_ctx.downloads), so curl ... | sh, curl -o f ...; sh f and sh -i | nc are
-- seen for what they are.
-- Arguments of a command are data: only what runs is a command. So echo "rm -rf /",
-- grep "git push --force" and git commit -m "drop rm -rf" check echo, grep and git commit,
-- while echo "rm -rf /" | sh, sh -c "...", eval and "$(...)" check what they run.
-- NAME=value assignments (also export/local/declare/readonly) and alias NAME=... are remembered
-- and expanded in later commands of the same text ($NAME, ${NAME}); name() defines a function,
-- and calls of it appear as name().
create or replace function coord.guard_shell_units(p_text text, p_depth integer default 0, p_vars jsonb default '{}',
                                                   p_subs boolean default true, p_ctx jsonb default '{}')
returns table (kind text, unit text, effects jsonb, detail jsonb)
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
  v_downloads jsonb := coalesce(p_ctx -> 'downloads', '[]');
  v_words text[];
  v_redirects text[];
  v_w text[];
  v_stdin text;
  v_prev text[];
  v_prev_in text;
  v_prev_role text;
  v_prev_paths jsonb;
  v_in text;
  v_role text;
  v_items jsonb;
  v_item jsonb;
  v_op jsonb;
  v_effects jsonb;
  v_code text[];
  v_final text[];
  v_final_op jsonb;
  v_x text;
  v_key text;
  v_all boolean;
  v_ctx jsonb;
begin
  if p_depth > 8 then
    return query select 'error'::text, 'commands nested deeper than 8 levels'::text, '[]'::jsonb, null::jsonb;
    return;
  end if;
  v_lex := coord.guard_lex(p_text);
  -- substitutions run, so they are commands too (p_subs is false when this text is the inner
  -- text of a substitution whose output runs: its substitutions were checked already)
  for v_x in select jsonb_array_elements_text(v_lex -> 'subs') where p_subs loop
    return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true, jsonb_build_object('downloads', v_downloads));
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
    -- assignments and aliases are remembered, not run; some of them change what runs later
    if cardinality(v_words) > 0 and v_words[1] in ('export', 'local', 'declare', 'typeset', 'readonly', 'alias', 'set', 'setenv')
       and cardinality(v_words) > 1
       and not exists (select from unnest(v_words[2:]) as a where a !~ '^[A-Za-z_][A-Za-z0-9_]*=' and a !~ '^-[a-zA-Z]+$')
       and v_words[1] not in ('set', 'setenv') then
      foreach v_x in array v_words[2:] loop
        if v_x ~ '^[A-Za-z_][A-Za-z0-9_]*=' then
          if v_words[1] = 'alias' then
            v_aliases := v_aliases || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
          else
            v_vars := v_vars || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
            v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
            if v_effects <> '[]' then
              return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
            end if;
          end if;
        end if;
      end loop;
      continue;
    end if;
    -- NAME=value before a command applies to it; alone it is an assignment
    for v_x in select a from unnest(v_words) with ordinality as x (a, o)
               where x.o <= coalesce((select min(y.o) - 1 from unnest(v_words) with ordinality as y (a, o)
                                      where y.a !~ '^[A-Za-z_][A-Za-z0-9_]*='), cardinality(v_words))
    loop
      v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
      if v_effects <> '[]' then
        return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
      end if;
    end loop;
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
        p_depth + 1, v_vars, true, jsonb_build_object('downloads', v_downloads));
      continue;
    end if;
    -- what flows in on stdin: the command before in a pipeline, a here-document, or the
    -- words of an echo/printf piped in (text a shell would run)
    v_stdin := v_cmd ->> 'in';
    if v_stdin is null and v_prev is not null then
      if v_prev[1] in ('echo', 'printf') then
        v_stdin := array_to_string(array(select a from unnest(v_prev[2:]) with ordinality as x (a, o)
                                         where not (x.o = 1 and a ~ '^-[neE]+$') order by x.o), ' ');
      elsif v_prev_in is not null then
        v_stdin := v_prev_in;
      end if;
    end if;
    v_in := case when v_prev is not null then v_prev_role
                 when v_cmd ->> 'in' is not null then 'text'
                 when p_depth > 0 and p_ctx ? 'in' and v_pipe = '{}' then p_ctx ->> 'in' end;
    v_ctx := jsonb_build_object('in', v_in, 'downloads', v_downloads, 'paths', v_prev_paths, 'depth', p_depth);
    v_items := coord.guard_unwrap(v_words, v_stdin);
    v_final := null;
    v_final_op := null;
    for v_item in select jsonb_array_elements(v_items) loop
      if v_item ? 'w' then
        v_w := array(select jsonb_array_elements_text(v_item -> 'w'));
        if v_w[1] = any (v_fns) then
          v_w[1] := v_w[1] || '()';
        end if;
        v_op := coord.guard_parse(v_w, v_redirects);
        continue when v_op is null;
        v_effects := coord.guard_effects(v_op, v_ctx);
        if v_op ->> 'canon' <> '' then
          return query select 'command'::text, v_op ->> 'canon', v_effects, v_op - 'canon' - 'words' - 'raw';
        end if;
        v_downloads := v_downloads || to_jsonb(coord.guard_downloads(v_op));
        -- shell commands inside an interpreter one-liner run too
        v_code := coord.guard_interpreter_code(v_op);
        if v_code is not null then
          for v_x in select jsonb_array_elements_text(coord.guard_code(v_code[1], v_code[2]) -> 'commands') loop
            return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true, jsonb_build_object('downloads', v_downloads));
          end loop;
        end if;
        if v_final is null then
          v_final := v_w;
          v_final_op := v_op;
          v_pipe := v_pipe || (v_op ->> 'canon');
          v_role := coord.guard_output_role(v_op, v_effects, v_in);
        end if;
      elsif v_item ? 'sh' then
        return query select * from coord.guard_shell_units(v_item ->> 'sh', p_depth + 1, v_vars, true,
                                                           jsonb_build_object('downloads', v_downloads, 'in', v_in));
      elsif v_item ? 'sql' then
        return query select * from coord.guard_sql_units(v_item ->> 'sql', p_depth + 1);
      elsif v_item ? 'exec' then
        return query select * from coord.guard_shell_units((v_item ->> 'exec') || ' | sh', p_depth + 1, v_vars, false,
                                                           jsonb_build_object('downloads', v_downloads));
      end if;
    end loop;
    if v_final is null then
      v_op := coord.guard_parse(v_words, v_redirects);
      v_pipe := v_pipe || coalesce(v_op ->> 'canon', '');
      v_role := case when v_items = '[]' then null else 'other' end;
    end if;
    if v_cmd ->> 'op' = '|' then
      v_prev := coalesce(v_final, v_words);
      v_prev_in := v_cmd ->> 'in';
      v_prev_role := v_role;
      v_prev_paths := case when v_role = 'paths' then v_final_op -> 'args' end;
    else
      if cardinality(v_pipe) >= 2 then
        return query select 'command'::text, array_to_string(v_pipe, ' | '), '[]'::jsonb, null::jsonb;
      end if;
      v_pipe := '{}';
      v_prev := null;
      v_prev_in := null;
      v_prev_role := null;
      v_prev_paths := null;
    end if;
  end loop;
end;
$$;

comment on function coord.guard_shell_units(text, integer, jsonb, boolean, jsonb) is 'Guardrail normalizer: shell text -> (kind, unit, effects, detail) rows: every command that would run in canonical form with what it does, every pipeline, embedded SQL; arguments are data.';
revoke all on function coord.guard_shell_units(text, integer, jsonb, boolean, jsonb) from public;
