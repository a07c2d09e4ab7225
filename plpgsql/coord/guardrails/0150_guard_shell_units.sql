-- Guardrail normalizer for commands: shell text -> (kind, unit, effects, detail) rows:
--   ('command', canonical simple command, its effects, its parsed operation)  for every
--                command that would run, wherever it sits: in a chain, a pipeline, a
--                substitution, a sh -c string, behind sudo/env/xargs/npx/..., in an
--                interpreter one-liner's shell calls;
--   ('command', 'a | b | c', [], null)  for every pipeline of two or more commands;
--   ('command', 'NAME=value', effects, ...) for assignments that matter (HISTFILE, LD_PRELOAD, ...);
--   ('command', 'powershell', effects, null) for what a PowerShell text does as a whole
--                (sockets wired to Invoke-Expression, downloads run, decoded code run);
--   ('sql', statement, effects, null)   for SQL handed to psql -c, mysql -e, sqlite3, ...;
--   ('error', reason, [], null)         when nesting goes deeper than 8 levels (blocked).
-- A program word with a glob or an unresolved expansion is also checked as each dangerous
-- program it could be (coord.guard_dynamic_program).
-- Effects come from coord.guard_effects, fed with what each command is given:
--  * what flows in: the role of the command before it in a pipeline (coord.guard_output_role:
--    a download, decoded text, secrets, an interactive shell, file names, process ids, ...),
--    and here-documents and here-strings as text;
--  * the files downloaded earlier in the same text, so curl -o f ...; sh f is seen;
--  * the working directory set by cd/pushd/popd (or env -C for one command) earlier in the same
--    text, so cd / && rm -rf * is; a cd in ( ... ), a pipeline or a background job stays there,
--    one after || leaves it unknown ($(cd)), and one that may not run otherwise (after &&, in an
--    if, loop or case, cd x || true) or may go elsewhere (CDPATH, eval cd, a trap run later) leaves
--    every reading, each read as the working directory is (cwd_alts, coord.guard_cd_readings);
--  * the values of variables assigned earlier (NAME=value, export, for NAME in LIST).
-- A pipeline's commands are reported together when it ends: printing the environment into a
-- counter or a names-only filter (env | grep -c X, printenv | wc -l) prints no secret.
-- Arguments of a command are data: only what runs is a command. So echo "rm -rf /",
-- grep "git push --force" and git commit -m "drop rm -rf" check echo, grep and git commit,
-- while echo "rm -rf /" | sh, sh -c "...", eval and "$(...)" check what they run.
-- name() defines a function, and calls of it appear as name().
create or replace function coord.guard_shell_units(p_text text, p_depth integer default 0, p_vars jsonb default '{}',
                                                   p_subs boolean default true, p_ctx jsonb default '{}')
returns table (kind text, unit text, effects jsonb, detail jsonb)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_windows boolean := coalesce((p_ctx ->> 'windows')::boolean, coord.guard_windows_text(p_text));
  v_lex jsonb;
  v_cmd jsonb;
  v_vars jsonb := coalesce(p_vars, '{}');
  v_aliases jsonb := '{}';
  -- functions defined in this text (or handed down: p_ctx fns), each with its body for its calls
  v_fn_text jsonb := coalesce(p_ctx -> 'fns', '{}');
  v_fns text[] := array(select jsonb_object_keys(coalesce(p_ctx -> 'fns', '{}')));
  v_fn_cmds jsonb;
  v_fn_depth integer;
  v_inlined integer := 0;
  v_cond boolean;
  v_alts jsonb := '{}';  -- earlier values a variable assigned on some runs only may still hold  -- this command runs on some runs only (after && or ||)
  v_last_op text;
  v_pipe text[] := '{}';
  v_buf jsonb := '[]';
  v_downloads jsonb := coalesce(p_ctx -> 'downloads', '[]');
  v_cwd text := p_ctx ->> 'cwd';
  v_cwds jsonb := '[]';  -- the working directory at each open ( (a subshell's cd ends at its ))
  v_close integer := 0;
  v_dirs jsonb := '[]';  -- pushd's stack
  v_cwd_kept text;  -- the working directory around one env -C DIR command
  -- the other directories the shell may be in (a cd that may not run, or may go elsewhere: null is
  -- where the command starts), each read as the working directory is (coord.guard_effects); those
  -- a cd that may not run leaves, until its and-or list or its if/loop/case ends
  v_cwd_alts jsonb := case when jsonb_typeof(p_ctx -> 'cwd_alts') = 'array' then p_ctx -> 'cwd_alts' else '[]' end;
  v_alts_stack jsonb := '[]';
  v_alts_kept jsonb;
  v_pend_list jsonb := '[]';
  v_pend_flow jsonb := '[]';  -- [[depth, reading], ...]
  v_flow_depth integer := 0;  -- if, while, until, for, select, case open
  v_cd_words text[];
  v_cd_prog text;
  v_cd_cond boolean;
  v_cd_new jsonb;
  v_idx integer;
  v_traps text[] := '{}';  -- what trap runs later (EXIT, ERR, ...), where the shell is then
  v_cd_op jsonb;
  v_old jsonb;
  v_la integer;
  v_la_first text;
  v_fails boolean;
  v_cwd_of_one boolean := false;
  v_or boolean := false;
  v_i integer;
  v_words text[];
  v_redirects text[];
  v_w text[];
  v_stdin text;
  v_prev text[];
  v_prev_in text;
  v_prev_role text;
  v_prev_paths jsonb;
  v_prev_words jsonb;
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
  v_row jsonb;
  v_count_only boolean := false;
  v_fn_body text;
  v_fn_calls integer;
  v_fn_bg boolean;
  v_loop_endless boolean := false;
  v_loop_fg boolean;
  v_loop_bg boolean;
  v_written jsonb := coalesce(p_ctx -> 'written', '{}');
  v_file jsonb;
  v_git_aliases jsonb := '{}';
  v_test_env boolean;
  -- variables the text sets in ways not followed (read, printf -v, ...); '*' every variable, after
  -- it sources a file or evals text it does not tell (handed down as p_ctx sourced)
  v_unknown text[] := case when (p_ctx ->> 'sourced')::boolean then array['*'] else '{}' end;
  v_env jsonb;  -- the variables a git command sees (for GIT_CONFIG_*)
  v_joined text;  -- one command's words, joined (for cheap tests before a query)
  v_set_by_run text[];  -- those of one command set to what only the run knows (read, printf -v, mapfile)
  v_in_fn boolean;  -- this command is in the body of a function being defined (its $@ are a call's)
  -- the values the positional parameters may hold here (set --, shift): each a list of words, or
  -- null when only the run knows it (as at the start); the first is read in place, the others rechecked
  v_pos jsonb := coalesce(p_ctx -> 'pos', '[null]');
  v_pos_old jsonb;
  v_pos_new jsonb;
  v_pos_item jsonb;
  v_pos_cond boolean;
  v_pos_depth integer := 0;  -- compound commands open (if, while, for, case, { ... })
  v_pos_seen boolean := p_ctx ? 'pos' or strpos(p_text, 'set') > 0 or strpos(p_text, 'shift') > 0;  -- (a text that may set them)
begin
  if p_depth > 8 then
    return query select 'error'::text, 'commands nested deeper than 8 levels'::text, '[]'::jsonb, null::jsonb;
    return;
  end if;
  v_lex := coord.guard_lex(p_text, v_windows);
  -- PowerShell as a whole: sockets, downloads and decoding wired to Invoke-Expression
  if v_windows then
    v_effects := coord.guard_code('powershell', p_text) -> 'effects';
    if v_effects <> '[]' then
      return query select 'command'::text, 'powershell'::text, v_effects, null::jsonb;
    end if;
  end if;
  -- substitutions run, so they are commands too (p_subs is false when this text is the inner
  -- text of a substitution whose output runs: its substitutions were checked already)
  for v_x in select jsonb_array_elements_text(v_lex -> 'subs') where p_subs loop
    return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true,
      jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows));
  end loop;

  for v_cmd, v_idx in select c, o from jsonb_array_elements(v_lex -> 'cmds') with ordinality as t (c, o) loop
    if v_cmd ? 'fn' then
      v_fns := v_fns || (v_cmd ->> 'fn');
      v_fn_body := v_cmd ->> 'fn';
      v_fn_calls := 0;
      v_fn_bg := false;
      v_fn_cmds := '[]';
      v_fn_depth := 0;
      continue;
    end if;
    v_words := array(select jsonb_array_elements_text(v_cmd -> 'w'));
    v_redirects := array(select jsonb_array_elements_text(v_cmd -> 'r'));
    -- [[ a > b ]] and (( a > b )) compare: no redirection there
    if v_words[1] = '[[' or (v_cmd ->> 'arith')::boolean then
      v_redirects := '{}';
    end if;
    -- the working directory: the one before a command's own env -C comes back; a subshell
    -- ( ... ) keeps its cd to itself (the directory at each ( is kept until its ))
    v_cwd := case when v_cwd_of_one then v_cwd_kept else v_cwd end;
    v_cwd_alts := case when v_cwd_of_one then v_alts_kept else v_cwd_alts end;
    v_cwd_of_one := false;
    for v_i in 1 .. v_close loop
      if jsonb_array_length(v_cwds) > 0 then
        v_cwd := v_cwds ->> -1;
        v_cwds := v_cwds - (-1);
        v_cwd_alts := v_alts_stack -> -1;
        v_alts_stack := v_alts_stack - (-1);
        v_pend_list := '[]';
      end if;
    end loop;
    v_close := coalesce((v_cmd ->> 'close')::integer, 0);
    for v_i in 1 .. coalesce((v_cmd ->> 'open')::integer, 0) loop
      v_cwds := v_cwds || jsonb_build_array(v_cwd);
      v_alts_stack := v_alts_stack || jsonb_build_array(v_cwd_alts);
    end loop;
    -- if, while, until, for, select and case open; a cd in them may not run: where the shell was
    -- stays a reading after their end
    if v_words[1] in ('if', 'while', 'until', 'for', 'select', 'case', 'then', 'do', 'else', 'elif', '{', '!', 'fi', 'done', 'esac') then
      v_flow_depth := greatest(v_flow_depth + (select count(*) from unnest(v_words) as a
                                                where a in ('if', 'while', 'until', 'for', 'select', 'case'))::integer
                                            - case when v_words[1] in ('fi', 'done', 'esac') then 1 else 0 end, 0);
      if v_pend_flow <> '[]' and exists (select from jsonb_array_elements(v_pend_flow) as f where (f ->> 0)::integer > v_flow_depth) then
        v_cwd_alts := v_cwd_alts || coalesce((select jsonb_agg(f -> 1) from jsonb_array_elements(v_pend_flow) as f
                                              where (f ->> 0)::integer > v_flow_depth), '[]');
        v_pend_flow := coalesce((select jsonb_agg(f) from jsonb_array_elements(v_pend_flow) as f
                                 where (f ->> 0)::integer <= v_flow_depth), '[]');
      end if;
    end if;
    v_x := (select case when a like '--chdir=%' then substr(a, 9) else v_words[x.o + 1] end
            from unnest(v_words) with ordinality as x (a, o)
            where v_words[1] = 'env' and (a in ('-C', '--chdir') or a like '--chdir=%')
               or v_words[1] = 'sudo' and (a in ('-D', '--chdir') or a like '--chdir=%')
            limit 1);
    if v_x is not null then
      v_cwd_kept := v_cwd;
      v_alts_kept := v_cwd_alts;
      v_cwd_of_one := true;
      v_cwd := case when v_cwd is null or left(v_x, 1) in ('/', '~', '$') then v_x else coord.guard_path(v_cwd || '/' || v_x) end;
      v_cwd_alts := coord.guard_cd_readings(v_cwd_alts, v_x);
    end if;
    v_or := coalesce(v_last_op = '||', false);
    v_cond := coalesce(v_last_op in ('&&', '||'), false);
    v_last_op := v_cmd ->> 'op';
    -- fork bombs of any name: a function that starts itself twice, one of them in the
    -- background or into a pipe; an endless loop whose body only starts background processes
    -- fish: function NAME ... end defines NAME
    -- (bash: function NAME { BODY; }, function NAME() { BODY; }: the body starts after the name)
    if v_words[1] = 'function' and cardinality(v_words) >= 2 and v_words[2] ~ '^[A-Za-z_][A-Za-z0-9_.:-]*$' then
      v_fns := v_fns || v_words[2];
      v_fn_body := v_words[2];
      v_fn_calls := 0;
      v_fn_bg := false;
      v_fn_cmds := '[]';
      v_fn_depth := 0;
      v_words := v_words[3:];
      continue when cardinality(v_words) = 0;
    elsif v_words[1] = 'function' and v_fn_body is not null and v_fn_cmds = '[]' then
      v_words := v_words[2:];
    end if;
    v_in_fn := v_fn_body is not null;
    if v_fn_body is not null then
      -- the body's commands as written, for its calls: nested { } counted; a ( ) body ends at )
      v_fn_depth := v_fn_depth + case when v_words[1] = '{' then 1 when v_words[1] in ('}', 'end') then -1 else 0 end;
      if v_fn_depth <= 0 and (v_words[1] in ('}', 'end') or v_cmd ->> 'op' = ')') then
        if v_words[1] not in ('}', 'end') then
          v_fn_cmds := v_fn_cmds || jsonb_build_array(jsonb_build_object('w', to_jsonb(v_words), 'r', v_cmd -> 'r', 'op', ';'));
        end if;
        if v_fn_calls >= 2 and v_fn_bg then
          return query select 'command'::text, v_fn_body || '() calls itself in the background', coord.guard_effect('fork-bomb'), null::jsonb;
        end if;
        v_fn_text := v_fn_text || jsonb_build_object(v_fn_body, v_fn_cmds);
        v_fn_body := null;
      else
        if v_words[case when v_words[1] = '{' then 2 else 1 end] = v_fn_body then
          v_fn_calls := v_fn_calls + 1;
          v_fn_bg := v_fn_bg or v_cmd ->> 'op' in ('&', '|');
        end if;
        v_fn_cmds := v_fn_cmds || jsonb_build_array(jsonb_build_object(
          'w', to_jsonb(case when v_words[1] = '{' and v_fn_cmds = '[]' then v_words[2:] else v_words end),
          'r', v_cmd -> 'r', 'op', v_cmd ->> 'op'));
      end if;
    end if;
    if v_words[1] in ('while', 'until') then
      v_loop_endless := v_words[1] = 'while' and v_words[2] in (':', 'true') or v_words[1] = 'until' and v_words[2] = 'false';
      v_loop_fg := false;
      v_loop_bg := false;
    elsif v_loop_endless and v_words[1] = 'done' then
      if v_loop_bg and not v_loop_fg then
        return query select 'command'::text, 'endless loop starting background processes'::text, coord.guard_effect('fork-bomb'), null::jsonb;
      elsif (p_ctx ->> 'detached')::boolean then
        -- an endless loop left running in a detached terminal or under nohup outlives the session
        return query select 'command'::text, 'endless loop left running detached'::text, coord.guard_effect('persist', array['detached loop']), null::jsonb;
      end if;
      v_loop_endless := false;
    elsif v_loop_endless then
      v_loop_bg := v_loop_bg or v_cmd ->> 'op' = '&';
      v_loop_fg := v_loop_fg or coalesce(v_cmd ->> 'op', '') <> '&';
    end if;
    -- a variable assigned on some runs only may hold one of its earlier values too: the command is
    -- also checked with each of them
    if v_alts <> '{}' and strpos(array_to_string(v_words, ' '), '$') > 0 then
      for v_key, v_x in select k, a from jsonb_each(v_alts) as e (k, v), jsonb_array_elements_text(e.v) as a (a)
                        where exists (select from unnest(v_words) as w where w ~ ('\$(\{' || k || '\}|' || k || '(?![A-Za-z0-9_]))'))
                        limit 8 loop
        return query select * from coord.guard_shell_units(
          array_to_string(array(select case when w in ('$' || v_key, '${' || v_key || '}') then v_x
                                            else coord.guard_quote(w) end
                                from unnest(v_words) with ordinality as x (w, o) order by x.o), ' '),
          p_depth + 1, v_vars - v_key, true,
          jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows,
                                               'pos', case when v_in_fn then null else v_pos end)));
      end loop;
    end if;
    -- an argument that is exactly $NAME whose value holds a blank is one word when quoted
    -- ("$NAME"), several when not, and the lexer keeps no quotes: the command is also checked
    -- with each such value as one word (x='rm -rf ~'; git rebase --exec "$x", tar --to-command
    -- "$x"). Not the command word: a quoted program name with a blank runs nothing.
    if v_vars <> '{}' and strpos(array_to_string(v_words[2:], ' '), '$') > 0
       and exists (select from unnest(v_words[2:]) as w
                   where w ~ '^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$'
                     and v_vars ->> substring(w from '^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$') ~ '\s') then
      return query select * from coord.guard_shell_units(
        array_to_string(array(select case when x.o > 1 and v_vars ->> substring(w from '^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$') ~ '\s'
                                          then coord.guard_quote(v_vars ->> substring(w from '^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$'))
                                          else coord.guard_quote(w) end
                              from unnest(v_words) with ordinality as x (w, o) order by x.o), ' '),
        p_depth + 1, v_vars, true,
        jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows,
                                             'pos', case when v_in_fn then null else v_pos end)));
    end if;
    -- expand the variables assigned earlier
    if v_vars <> '{}' then
      v_w := '{}';
      foreach v_x in array v_words loop
        if strpos(v_x, '$') = 0 then
          v_w := v_w || v_x;
          continue;
        end if;
        v_key := substring(v_x from '^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$');
        if v_key is not null and v_vars ? v_key then
          -- unquoted, the value splits at blanks and at the characters of an IFS set here
          v_w := v_w || array(select s from regexp_split_to_table(btrim(translate(v_vars ->> v_key, coalesce(v_vars ->> 'IFS', ''),
                                                                                  repeat(' ', char_length(coalesce(v_vars ->> 'IFS', ''))))),
                                                                  '\s+') as s where s <> '');
        else
          for v_key in select jsonb_object_keys(v_vars) loop
            -- ${NAME:-word}, ${NAME=word}, ${NAME:+word} of a NAME assigned here: what the shell picks
            if strpos(v_x, '${' || v_key) > 0 then
              v_x := case when v_vars ->> v_key = ''
                          then regexp_replace(regexp_replace(regexp_replace(v_x, '\$\{' || v_key || ':[-=]([^}]*)\}', '\1', 'g'),
                                                             '\$\{' || v_key || '[-=][^}]*\}', '', 'g'),
                                              '\$\{' || v_key || ':?\+[^}]*\}', '', 'g')
                          else regexp_replace(regexp_replace(v_x, '\$\{' || v_key || ':?[-=][^}]*\}',
                                                             replace(replace(v_vars ->> v_key, '\', '\\'), '&', '\&'), 'g'),
                                              '\$\{' || v_key || ':?\+([^}]*)\}', '\1', 'g') end;
            end if;
            v_x := regexp_replace(v_x, '\$(\{' || v_key || '\}|' || v_key || '(?![A-Za-z0-9_]))',
                                  replace(replace(v_vars ->> v_key, '\', '\\'), '&', '\&'), 'g');
          end loop;
          v_w := v_w || v_x;
        end if;
      end loop;
      v_words := v_w;
      -- and in redirection targets: for f in /var/log/*; do > "$f"; done
      for v_key in select jsonb_object_keys(v_vars) loop
        v_redirects := array(select regexp_replace(r, '\$(\{' || v_key || '\}|' || v_key || '(?![A-Za-z0-9_]))',
                                                   replace(replace(v_vars ->> v_key, '\', '\\'), '&', '\&'), 'g')
                             from unnest(v_redirects) with ordinality as x (r, o) order by x.o);
      end loop;
    end if;
    -- the positional parameters the text sets: set [--] WORDS and shift change them, every value
    -- they may hold followed (a set or shift that may not run, in a condition, loop, { } group,
    -- subshell or pipeline or after && or ||, keeps the value before possible; a command that may
    -- change them unseen, eval, . or source, a wrapped set, an alias, adds "not known"). "$@", $1, ...
    -- read as the first value here and are rechecked with each other one. A value only the run
    -- knows (set -- $(cmd), set -- *, set -- "${a[@]}") is not known: the words stay as written, as
    -- at the start. In the body of a function being defined they are a call's (guard_function_call).
    if not v_in_fn then
      v_pos_old := v_pos;
      v_pos_cond := v_cond or v_pos_depth > 0 or jsonb_array_length(v_cwds) > 0 or v_prev is not null
                    or coalesce(v_cmd ->> 'op', '') in ('|', '&', '|&');
      -- (the command word after the keywords in front; queries only when there are such keywords:
      -- this runs for every command)
      if v_words[1] in ('{', 'then', 'else', 'elif', 'do', 'if', 'while', 'until', '!') then
        v_i := (select x.o from unnest(v_words) with ordinality as x (a, o)
                where a not in ('{', 'then', 'else', 'elif', 'do', 'if', 'while', 'until', '!') order by x.o limit 1);
        v_pos_depth := v_pos_depth + (select count(*) from unnest(v_words[:coalesce(v_i, cardinality(v_words))]) as a
                                      where a in ('if', 'while', 'until', 'for', 'select', 'case', '{'))::integer;
      else
        v_i := 1;
        v_pos_depth := v_pos_depth + case when v_words[1] in ('for', 'select', 'case') then 1
                                          when v_words[1] in ('fi', 'done', 'esac', '}') and v_pos_depth > 0 then -1 else 0 end;
      end if;
      v_pos_cond := v_pos_cond or v_pos_depth > 0;
      if v_words[v_i] in ('set', 'shift') then
        v_pos_new := '[]';
        for v_pos_item in select e from jsonb_array_elements(v_pos) as e loop
          v_w := case when jsonb_typeof(v_pos_item) = 'array'
                      then coord.guard_positional(v_words[v_i:], array(select jsonb_array_elements_text(v_pos_item)))
                      else v_words[v_i:] end;
          if v_w[1] = 'set' then
            v_w := coord.guard_set_positional(v_w);
            v_pos_new := v_pos_new || case when v_w is null then jsonb_build_array(v_pos_item)
                                           when exists (select from unnest(v_w) as a
                                                        where a ~ ('[$*?[' || chr(30) || chr(31) || ']|\{.*(,|\.\.).*\}'))
                                           then jsonb_build_array(null, v_pos_item)
                                           -- an IFS set here splits an unquoted $1 where the lexer cannot see it:
                                           -- not known in place, the value rechecked (split too, below)
                                           when v_vars ? 'IFS' then jsonb_build_array(null, to_jsonb(v_w))
                                           else jsonb_build_array(to_jsonb(v_w)) end;
          else
            -- (shift N beyond the count fails and leaves them)
            v_pos_new := v_pos_new || case when jsonb_typeof(v_pos_item) <> 'array' then jsonb_build_array(v_pos_item)
                                           when cardinality(v_w) = 1 then jsonb_build_array(v_pos_item - 0)
                                           when cardinality(v_w) = 2 and v_w[2] ~ '^[0-9]{1,3}$' then
                                             jsonb_build_array(case when v_w[2]::integer > jsonb_array_length(v_pos_item) then v_pos_item
                                                                    else coalesce((select jsonb_agg(e order by o)
                                                                                   from jsonb_array_elements(v_pos_item) with ordinality as t (e, o)
                                                                                   where o > v_w[2]::integer), '[]') end)
                                           else jsonb_build_array(null, v_pos_item) end;
          end if;
        end loop;
        v_pos := v_pos_new || case when v_pos_cond then v_pos else '[]' end;
      elsif v_pos <> '[null]'
            and (v_words[v_i] = '.' or v_words && array['set', 'shift', 'eval', 'source'] or v_aliases ? coalesce(v_words[v_i], '')
                 or (strpos(array_to_string(v_words, ' '), 'set') > 0 or strpos(array_to_string(v_words, ' '), 'shift') > 0)
                    and exists (select from unnest(v_words) as a where a ~ '(^|[\s;&|(`{])(set|shift)\s')) then
        v_pos := '[null]' || v_pos;
      end if;
      -- (each value once, and at most 16 of them: beyond, one more is "not known")
      if v_pos <> v_pos_old and v_pos <> '[null]' then
        v_pos := (select jsonb_agg(e order by o) from (select e, min(o) as o from jsonb_array_elements(v_pos) with ordinality as t (e, o)
                                                       group by e) as d);
        if jsonb_array_length(v_pos) > 16 then
          v_pos := '[null]' || (select jsonb_agg(e order by o) from jsonb_array_elements(v_pos) with ordinality as t (e, o) where o <= 15);
        end if;
      end if;
      -- a variable assigned from them (x=$1, export x=$1, for x in "$@") holds what they hold only
      -- when that is one value the text tells; else it is a variable only the run knows, as after
      -- read (x=$1; set -- ls; $x is not ls)
      -- (sh -c TEXT NAME ARGS as written: its positional parameters are checked with them put in)
      if v_pos_seen and (jsonb_array_length(v_pos_old) > 1 or jsonb_typeof(v_pos_old -> 0) <> 'array')
         and not (v_pos_old = '[null]' and coalesce((p_ctx ->> 'positional')::boolean, false))
         and strpos(array_to_string(v_words, ' '), '$') > 0 then
        v_unknown := v_unknown || array(select substring(a from '^[A-Za-z_][A-Za-z0-9_]*') from unnest(v_words) as a
                                        where a ~ '^[A-Za-z_][A-Za-z0-9_]*\+?=.*\$([0-9@*#]|\{([0-9]+|[@*#])[}:])');
        v_words := array(select case when a ~ '^[A-Za-z_][A-Za-z0-9_]*\+?=.*\$([0-9@*#]|\{([0-9]+|[@*#])[}:])'
                                     then regexp_replace(a, '^([A-Za-z_][A-Za-z0-9_]*)(\+?)=.*$', '\1\2=$\1') else a end
                         from unnest(v_words) with ordinality as x (a, o) order by x.o);
        if v_words[1] in ('for', 'select') and v_words[3] = 'in'
           and exists (select from unnest(v_words[4:]) as a where a ~ '\$([0-9@*#]|\{([0-9]+|[@*#])[}:])') then
          v_unknown := v_unknown || v_words[2];
          v_words := v_words[:3] || ('$' || v_words[2]);
        end if;
      end if;
      if v_pos_old <> '[null]' and exists (select from unnest(v_words || v_redirects) as a where a ~ '\$([0-9@*#]|\{([0-9]+|[@*#])[}:])') then
        for v_pos_item in select e from jsonb_array_elements(v_pos_old) with ordinality as t (e, o) where o > 1 loop
          return query select * from coord.guard_shell_units(
            coord.guard_function_call(jsonb_build_array(jsonb_build_object('w', to_jsonb(v_words), 'r', to_jsonb(v_redirects), 'op', ';')), null),
            p_depth + 1, v_vars, true,
            jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows,
                                                 'pos', jsonb_build_array(v_pos_item))));
        end loop;
        -- a word that may be single-quoted script text another program runs (sh -c '"$@"' _ rm,
        -- awk '{print $1}': the lexer keeps no quotes) has positional parameters of its own: the
        -- command is also checked as written, as a function's body is
        if exists (select from unnest(v_words) with ordinality as x (a, o)
                   where x.o > 1 and a ~ '\$([0-9@*#]|\{([0-9]+|[@*#])[}:])'
                     and (a ~ '[\s"''`;|&()<>\\]' or v_words[x.o - 1] ~ '^-[A-Za-z]*[ce]$')) then
          return query select * from coord.guard_shell_units(
            coord.guard_function_call(jsonb_build_array(jsonb_build_object('w', to_jsonb(v_words), 'r', to_jsonb(v_redirects), 'op', ';')), null),
            p_depth + 1, v_vars, true,
            jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows,
                                                 'pos', '[null]'::jsonb, 'positional', true)));
        end if;
        -- an IFS set here splits an unquoted $1 at its characters (IFS=,; set -- -rf,/; rm $1 is rm
        -- -rf /): each value that holds one is also checked split so
        if coalesce(v_vars ->> 'IFS', '') <> '' then
          for v_pos_item in select e from jsonb_array_elements(v_pos_old) as e
                            where jsonb_typeof(e) = 'array' and exists (select from jsonb_array_elements_text(e) as a
                                                                        where translate(a, v_vars ->> 'IFS', '') <> a) loop
            v_w := array(select jsonb_array_elements_text(v_pos_item));
            return query select * from coord.guard_shell_units(
              array_to_string(array(select coord.guard_quote(p.p)
                                    from unnest(v_words) with ordinality as x (a, o)
                                    cross join lateral unnest(case when strpos(x.a, '$') = 0 then array[x.a]
                                                                   else array(select q from unnest(coord.guard_positional(array[x.a], v_w)) as s (s),
                                                                              regexp_split_to_table(translate(s.s, v_vars ->> 'IFS', repeat(' ', char_length(v_vars ->> 'IFS'))), '\s+') as q
                                                                              where q <> '') end) with ordinality as p (p, n)
                                    order by x.o, p.n), ' '),
              p_depth + 1, v_vars - 'IFS', true,
              jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'),
                                                   'windows', v_windows, 'pos', '[null]'::jsonb)));
          end loop;
        end if;
        if jsonb_typeof(v_pos_old -> 0) = 'array' then
          v_w := array(select jsonb_array_elements_text(v_pos_old -> 0));
          v_words := coord.guard_positional(v_words, v_w);
          v_redirects := array(select substring(r from '^[0-9]*[<>&|]*')
                                      || array_to_string(coord.guard_positional(array[regexp_replace(r, '^[0-9]*[<>&|]*', '')], v_w), ' ')
                               from unnest(v_redirects) with ordinality as x (r, o) order by x.o);
        end if;
      end if;
    end if;
    -- read NAME, printf -v NAME, mapfile NAME, getopts SPEC NAME: set to what only the run knows
    -- (also behind NAME=value prefixes: IFS=: read A B; and glued: printf -vA). Each query only
    -- when the words can hold what it looks for: this runs for every command.
    if v_words[1] in ('read', 'mapfile', 'readarray', 'getopts', 'printf') or strpos(v_words[1], '=') > 1 then
      v_x := (select a from unnest(v_words) as a where a !~ '^[A-Za-z_][A-Za-z0-9_]*\+?=' limit 1);
      v_set_by_run := case when v_x in ('read', 'mapfile', 'readarray', 'getopts')
                           then array(select a from unnest(v_words[2:]) as a where a ~ '^[A-Za-z_][A-Za-z0-9_]*$')
                           when v_x = 'printf'
                           then array(select coalesce(substring(a from '^-v([A-Za-z_][A-Za-z0-9_]*)'), v_words[o + 1])
                                      from unnest(v_words) with ordinality as x (a, o) where a ~ '^-v([A-Za-z_]|$)')
                           else '{}' end;
      v_unknown := v_unknown || v_set_by_run;
      -- A variable that carries a command a program runs (GIT_SSH_COMMAND, PAGER, ...) or code
      -- it loads (LD_PRELOAD) set to what only the run knows cannot be checked: a critical block,
      -- as any text that cannot be read. Such a variable is one whose assignment of a dangerous
      -- command has effects.
      for v_x in select distinct u from unnest(v_set_by_run) as u
                 where coord.guard_assignment_effects(u, 'rm -rf /') <> '[]' loop
        return query select 'error'::text,
          format('%s, a command a program runs, is set to a value only the run knows', v_x), '[]'::jsonb, null::jsonb;
      end loop;
    end if;
    v_joined := array_to_string(v_words, ' ');
    -- : ${NAME:=value} and ${NAME=value} assign NAME when it is unset (by the environment's
    -- choice); NAME+=value appends to it: a value the text does not tell
    if strpos(v_joined, '${') > 0 and strpos(v_joined, '=') > 0 then
      v_unknown := v_unknown || array(select m[1] from unnest(v_words) as a,
                                      regexp_matches(a, '\$\{([A-Za-z_][A-Za-z0-9_]*):?=', 'g') as m);
      -- (the value it may take does what an assignment of it does: : ${GIT_SSH_COMMAND:=rm -rf /})
      for v_x in select m[1] || '=' || m[2] from unnest(v_words) as a,
                        regexp_matches(a, '\$\{([A-Za-z_][A-Za-z0-9_]*):?=([^}]*)\}', 'g') as m loop
        v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
        if v_effects <> '[]' then
          return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
        end if;
      end loop;
    end if;
    if strpos(v_joined, '+=') > 0 then
      for v_x in select a from unnest(v_words) as a where a ~ '^[A-Za-z_][A-Za-z0-9_]*\+=' loop
        v_key := split_part(v_x, '+=', 1);
        if v_vars ? v_key then
          v_vars := v_vars - v_key;
        end if;
        v_unknown := v_unknown || v_key;
        -- what is appended runs as part of it: PAGER+='; rm -rf /'
        v_effects := coord.guard_assignment_effects(v_key, substr(v_x, strpos(v_x, '+=') + 2));
        if v_effects <> '[]' then
          return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
        end if;
      end loop;
    end if;
    -- for NAME in LIST: NAME takes the list's words
    if cardinality(v_words) >= 3 and v_words[1] in ('for', 'select') and v_words[3] = 'in' then
      -- for f in $(find DIR ...): f is something below DIR
      v_x := case when cardinality(v_words) = 4 and left(v_words[4], 1) = chr(30)
                  then substring(v_words[4] from '^' || chr(30) || '\s*(?:find|ls|fd|ls -[a-zA-Z]+)\s+([^\s' || chr(31) || ']+)') end;
      v_vars := v_vars || jsonb_build_object(v_words[2], coalesce(rtrim(v_x, '/') || '/*', array_to_string(v_words[4:], ' ')));
      continue;
    end if;
    -- assignments and aliases are remembered, not run; some of them change what runs later
    if cardinality(v_words) > 1 and v_words[1] in ('export', 'local', 'declare', 'typeset', 'readonly', 'alias')
       and exists (select from unnest(v_words[2:]) as a where strpos(a, '=') > 1)
       and not exists (select from unnest(v_words[2:]) as a
                       where not (strpos(a, '=') > 1 and split_part(a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$')
                         and not (left(a, 1) = '-' and char_length(a) > 1)) then
      foreach v_x in array v_words[2:] loop
        if strpos(v_x, '=') > 1 then
          if v_words[1] = 'alias' then
            v_aliases := v_aliases || jsonb_build_object(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
          else
            -- declare -n ref=HOME makes $ref mean $HOME
            v_vars := v_vars || jsonb_build_object(split_part(v_x, '=', 1),
                                                   case when v_words && array['-n'] then '$' else '' end || substr(v_x, strpos(v_x, '=') + 1));
            v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1))
                         || case when v_written <> '{}' then coord.guard_search_path_code(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1), v_written)
                                 else '[]' end;
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
                                      where not (strpos(y.a, '=') > 1 and split_part(y.a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$')),
                                     cardinality(v_words))
    loop
      v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1))
                   -- (a module search path onto files written above: what they hold is loaded)
                   || case when v_written <> '{}' then coord.guard_search_path_code(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1), v_written)
                           else '[]' end;
      if v_effects <> '[]' then
        return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
      end if;
    end loop;
    -- git --config-env KEY=VAR (or =KEY=VAR) takes KEY's value from VAR: as -c KEY=value when
    -- the text sets VAR (X='rm -rf /' git --config-env=core.pager=X log)
    if strpos(v_joined, '--config-env') > 0 and v_words && array['git'] then
      v_w := '{}';
      for j in 1 .. cardinality(v_words) loop
        continue when j > 1 and v_words[j - 1] = '--config-env';
        v_x := case when v_words[j] like '--config-env=%' then substr(v_words[j], 14)
                    when v_words[j] = '--config-env' then v_words[j + 1] end;
        v_key := substring(v_x from '^[^=]+=([A-Za-z_][A-Za-z0-9_]*)$');
        v_x := split_part(v_x, '=', 1) || '=' || coalesce((select substr(a, char_length(v_key) + 2) from unnest(v_words) as a
                                                          where a like v_key || '=%' limit 1), v_vars ->> v_key);
        -- (a VAR the text does not set is the environment's, as $EDITOR is)
        v_w := v_w || case when v_x is not null then array['-c', v_x]
                           when v_words[j] = '--config-env' then array[v_words[j], v_words[j + 1]]
                           else array[v_words[j]] end;
      end loop;
      v_words := v_w;
    end if;
    -- GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> pairs and GIT_CONFIG_PARAMETERS ('key'='value' ...)
    -- set before git or earlier in the text are git -c key=value (core.pager, core.sshCommand, ...)
    if v_words && array['git'] and (strpos(v_joined, 'GIT_CONFIG_') > 0
                                    or strpos(v_vars::text, 'GIT_CONFIG_') > 0
                                       and exists (select from jsonb_object_keys(v_vars) as k where k like 'GIT\_CONFIG\_%')) then
      v_env := v_vars || coalesce((select jsonb_object_agg(split_part(a, '=', 1), substr(a, strpos(a, '=') + 1))
                                   from unnest(v_words) as a where a like 'GIT\_CONFIG\_%=%'), '{}');
      v_w := array(select u.x
                   from generate_series(0, 9) as i
                   cross join lateral unnest(array['-c', (v_env ->> ('GIT_CONFIG_KEY_' || i)) || '='
                                                         || (v_env ->> ('GIT_CONFIG_VALUE_' || i))]) with ordinality as u (x, o)
                   where v_env ? ('GIT_CONFIG_KEY_' || i) and v_env ? ('GIT_CONFIG_VALUE_' || i)
                   order by i, u.o)
             || array(select u.x
                      from regexp_matches(coalesce(v_env ->> 'GIT_CONFIG_PARAMETERS', ''),
                                          '''([^'']*)''=''((?:[^'']|''\\'''')*)''', 'g') with ordinality as m (p, n)
                      cross join lateral unnest(array['-c', m.p[1] || '=' || replace(m.p[2], '''\''''', '''')])
                                         with ordinality as u (x, o)
                      order by m.n, u.o);
      if cardinality(v_w) > 0 then
        v_words := v_words[:array_position(v_words, 'git')] || v_w || v_words[array_position(v_words, 'git') + 1:];
      end if;
    end if;
    -- GIT_WORK_TREE=W and GIT_DIR=G before git are git --work-tree=W --git-dir=G (the working tree
    -- it writes). One assigned earlier in the text may not be exported: git then writes its own
    -- tree, the reading that leases more.
    if strpos(v_joined, 'GIT_') > 0 and v_words && array['git']
       and exists (select from unnest(v_words[:array_position(v_words, 'git') - 1]) as a
                   where a like 'GIT\_WORK\_TREE=%' or a like 'GIT\_DIR=%') then
      v_words := v_words[:array_position(v_words, 'git')]
                 || array(select case when a like 'GIT\_DIR=%' then '--git-dir=' else '--work-tree=' end || substr(a, strpos(a, '=') + 1)
                          from unnest(v_words[:array_position(v_words, 'git') - 1]) with ordinality as x (a, o)
                          where a like 'GIT\_WORK\_TREE=%' or a like 'GIT\_DIR=%' order by x.o)
                 || v_words[array_position(v_words, 'git') + 1:];
    end if;
    -- a git alias defined (git config alias.X V, git -c alias.X=V) runs V whenever X is used, in
    -- this text or in a later command: V is checked as the git command it stands for (V with a
    -- leading ! is a shell command: git-unsafe)
    if v_words[1] = 'git' then
      for v_x in select case when a like 'alias.%=%' and v_words[o - 1] = '-c' then substr(a, strpos(a, '=') + 1)
                             when a like 'alias.%' and strpos(a, '=') = 0 and 'config' = any (v_words) then v_words[o + 1] end
                 from unnest(v_words) with ordinality as x (a, o) loop
        if v_x is not null and left(btrim(v_x), 1) <> '!' and btrim(v_x) <> '' then
          return query select * from coord.guard_shell_units('git ' || v_x, p_depth + 1, v_vars, true,
            jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', false));
        end if;
      end loop;
    end if;
    -- git aliases defined in the same text: git config alias.fp 'push --force' && git fp
    if v_words[1] = 'git' and 'config' = any (v_words) then
      v_x := (select a from unnest(v_words) as a where a like 'alias.%' limit 1);
      if v_x is not null and array_position(v_words, v_x) < cardinality(v_words) then
        v_git_aliases := v_git_aliases || jsonb_build_object(substr(v_x, 7), v_words[array_position(v_words, v_x) + 1]);
      end if;
    elsif v_words[1] = 'git' and v_git_aliases <> '{}' then
      -- (given to git as -c alias.X=V: coord.guard_git_command reads it where git would, a ! alias too)
      v_words := array['git']
                 || array(select x from jsonb_each_text(v_git_aliases) as a (k, v), unnest(array['-c', 'alias.' || a.k || '=' || a.v]) with ordinality as u (x, o)
                          where lower(a.k) in (select lower(w) from unnest(v_words[2:]) as w) order by a.k, u.o)
                 || v_words[2:];
    end if;
    -- RAILS_ENV=test, MIX_ENV=test ...: a test database
    v_test_env := exists (select from unnest(v_words) as a
                          where (a like '%=test' or a like '%=testing')
                            and a ~* '^(RAILS_ENV|RACK_ENV|MIX_ENV|NODE_ENV|APP_ENV|FLASK_ENV|DJANGO_ENV|ASPNETCORE_ENVIRONMENT|ENVIRONMENT|ENV)=(test|testing)$');
    -- EDITOR='sed -i ...' crontab -e: a scripted editor changes what the command opens
    v_x := (select a from unnest(v_words) as a where a like 'EDITOR=%' or a like 'VISUAL=%' or a like 'SUDO_EDITOR=%' limit 1);
    if v_x is not null and substr(v_x, strpos(v_x, '=') + 1) ~ '(sed|awk|tee|echo|printf|cat|cp|perl|python|sh|bash)\M'
       and substr(v_x, strpos(v_x, '=') + 1) !~ '^\s*(vim?|nvim|nano|emacs(client)?|code|subl|micro|hx|kak|joe|mg|pico)(\s|$)' then
      v_key := (select a from unnest(v_words) as a where not (strpos(a, '=') > 1 and split_part(a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$')
                                                        and a not in ('sudo', 'env', 'command') limit 1);
      if v_key = 'crontab' and v_words && array['-e'] then
        return query select 'command'::text, coord.guard_quote(v_x) || ' crontab -e', coord.guard_effect('persist', array['crontab']), null::jsonb;
      elsif v_key in ('visudo', 'vipw', 'vigr', 'sudoedit') then
        return query select 'command'::text, coord.guard_quote(v_x) || ' ' || v_key, coord.guard_effect('privesc', array[v_key]), null::jsonb;
      end if;
    end if;
    v_all := cardinality(v_words) > 0
             and not exists (select from unnest(v_words) as a
                             where not (strpos(a, '=') > 1 and split_part(a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$'));
    if v_all and cardinality(v_redirects) = 0 then
      foreach v_x in array v_words loop
        -- (after && or ||, the assignment happens on some runs only: the value before stays possible)
        v_key := split_part(v_x, '=', 1);
        v_alts := case when v_cond and v_vars ? v_key
                       then v_alts || jsonb_build_object(v_key, coalesce(v_alts -> v_key, '[]') || to_jsonb(v_vars ->> v_key))
                       when v_cond then v_alts else v_alts - v_key end;
        v_vars := v_vars || jsonb_build_object(v_key, substr(v_x, strpos(v_x, '=') + 1));
      end loop;
      continue;
    end if;
    -- { A=x; } sets A as A=x does; then, else, elif and do A=x set it on some runs only: the
    -- value before stays possible (if c; then A=rm; else A=ls; fi; $A -rf / is checked with both)
    if v_words[1] in ('{', 'then', 'else', 'elif', 'do') and cardinality(v_words) > 1 and cardinality(v_redirects) = 0
       and not exists (select from unnest(v_words[2:]) as a
                       where not (strpos(a, '=') > 1 and split_part(a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$')) then
      foreach v_x in array v_words[2:] loop
        v_key := split_part(v_x, '=', 1);
        v_alts := case when (v_cond or v_words[1] <> '{') and v_vars ? v_key
                       then v_alts || jsonb_build_object(v_key, coalesce(v_alts -> v_key, '[]') || to_jsonb(v_vars ->> v_key))
                       when v_cond or v_words[1] <> '{' then v_alts else v_alts - v_key end;
        v_vars := v_vars || jsonb_build_object(v_key, substr(v_x, strpos(v_x, '=') + 1));
        v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
        if v_effects <> '[]' then
          return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
        end if;
      end loop;
      continue;
    end if;
    if cardinality(v_words) > 0 and v_aliases ? v_words[1] then
      return query select * from coord.guard_shell_units(
        (v_aliases ->> v_words[1]) || ' '
          || array_to_string(array(select coord.guard_quote(a) from unnest(v_words[2:]) with ordinality as x (a, o)
                                   order by x.o), ' '),
        p_depth + 1, v_vars, true, jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', v_windows,
                                                                        'pos', case when v_in_fn then null else v_pos end)));
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
    -- cmd < <(curl ...): stdin is what the process substitution prints
    if v_in is null then
      v_x := (select substr(r, 2) from unnest(v_redirects) as r where left(r, 2) = '<' || chr(30) limit 1);
      if v_x is not null then
        v_in := case when v_x ~ '^\s*(curl|wget|fetch|iwr|irm|http|https|xh|nc|ncat|socat|aria2c)\s' then 'download'
                     when v_x ~ '(base64|base32)\s+(-d|--decode|-D)|xxd\s+-r|openssl\s+.*-d' then 'decode'
                     else 'other' end;
      end if;
    end if;
    v_ctx := jsonb_strip_nulls(jsonb_build_object('in', v_in, 'downloads', v_downloads, 'paths', v_prev_paths,
                                                  'depth', p_depth, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'stdin', left(v_stdin, 2000),
                                                  'prev_words', v_prev_words,
                                                  'root', case when (p_ctx ->> 'root')::boolean then true end,
                                                  'test_env', case when v_test_env or (p_ctx ->> 'test_env')::boolean then true end,
                                                  'remote', p_ctx ->> 'remote',
                                                  'elsewhere', case when (p_ctx ->> 'elsewhere')::boolean then true end));
    -- ${NAME:-word} in command position runs word when NAME is unset (coord.guard_unwrap), but
    -- NAME may hold any program when a sourced file or eval may have set it
    if v_unknown <> '{}' and strpos(v_joined, '${') > 0 then
      v_x := (select a from unnest(v_words) as a where not (strpos(a, '=') > 1 and split_part(a, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$')
              limit 1);
      if v_x ~ '^\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=+?]' and coord.guard_unknown_program(v_x, v_unknown) is not null then
        return query select 'command'::text, v_joined, coord.guard_effect('exec-unknown', array[v_x]), null::jsonb;
      end if;
    end if;
    v_items := coord.guard_unwrap(v_words, v_stdin, v_windows);
    v_final := null;
    v_final_op := null;
    v_cd_words := null;
    if v_words[1] = 'trap' and cardinality(v_words) >= 3 and v_words[2] not in ('-p', '-l', '--') then
      v_traps := v_traps || v_words[2];
    end if;
    for v_item in select jsonb_array_elements(v_items) loop
      if v_item ? 'assign' then
        v_x := v_item ->> 'assign';
        v_effects := coord.guard_assignment_effects(split_part(v_x, '=', 1), substr(v_x, strpos(v_x, '=') + 1));
        if v_effects <> '[]' then
          return query select 'command'::text, coord.guard_quote(v_x), v_effects, jsonb_build_object('assign', v_x);
        end if;
        continue;
      end if;
      if v_item ? 'w' then
        v_w := array(select jsonb_array_elements_text(v_item -> 'w'));
        if v_w[1] = any (v_fns) then
          -- a call of a function defined here runs its body with these arguments: checked as
          -- that (f(){ "$@"; }; f rm -rf /), the functions it may call handed down but itself
          -- not (recursion), to two levels and 16 calls a text (the body was checked as written)
          if v_fn_text ? v_w[1] and v_inlined >= 16 then
            -- (a call beyond those followed runs what nobody checked)
            return query select 'command'::text, v_w[1] || '() called more often than followed',
                                coord.guard_effect('exec-unknown', array[v_w[1]]), null::jsonb;
          elsif v_fn_text ? v_w[1] then
            v_inlined := v_inlined + 1;
            return query select * from coord.guard_shell_units(coord.guard_function_call(v_fn_text -> v_w[1], v_w[2:]),
              p_depth + 1, v_vars, true,
              jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', false, 'in', v_in,
                                                   'written', nullif(v_written, '{}'),
                                                   'fns', case when p_depth < 2 then nullif(v_fn_text - v_w[1], '{}') end,
                                                   'sourced', case when '*' = any (v_unknown) then true end,
                                                   'root', case when (v_item ->> 'root')::boolean then true end)));
          end if;
          v_w[1] := v_w[1] || '()';
        end if;
        -- . FILE and source FILE run a file in this shell: afterwards any variable may hold anything
        if v_w[1] in ('.', 'source') and cardinality(v_w) >= 2 then
          v_unknown := v_unknown || '*'::text;
        end if;
        -- a program word that is only an expansion the text cannot tell (a variable a sourced file
        -- or eval may have set, the positional parameters): the program is not known, which is
        -- what it asks about (exec-unknown). What some program would do to a system path, a home
        -- directory, a device or a secret given these arguments (rm -rf /) stays: whichever
        -- program it is, such arguments are handed to it. Inside a function body the positional
        -- parameters are a call's arguments: each call is checked with them put in.
        v_key := case when strpos(v_w[1], '$') = 1 then coord.guard_unknown_program(v_w[1], v_unknown) end;
        if v_key = 'positional' and (v_in_fn or (p_ctx ->> 'positional')::boolean) then
          v_key := 'skip';
        elsif v_key is not null then
          v_effects := coord.guard_effect('exec-unknown', array[v_w[1]]);
          for v_x in select unnest(coord.guard_dynamic_program(v_w[1], array['*'])) loop
            v_effects := v_effects || coalesce((
              select jsonb_agg(e)
              from coord.guard_shell_units(v_x || ' ' || array_to_string(array(select coord.guard_quote(a) from unnest(v_w[2:]) with ordinality as x (a, o)
                                                                               order by x.o), ' '),
                                           p_depth + 1, '{}', false,
                                           jsonb_strip_nulls(jsonb_build_object('in', v_in, 'downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', false))) as u,
                   jsonb_array_elements(u.effects) as e
              where e -> 'c' ?| array['root', 'system', 'home', 'device', 'credential', 'privilege', 'security']), '[]');
          end loop;
          return query select 'command'::text, array_to_string(array(select coord.guard_quote(a) from unnest(v_w) with ordinality as x (a, o)
                                                                     order by x.o), ' '),
                              v_effects, null::jsonb;
        end if;
        -- a program word the shell decides (a glob, an unresolved expansion): checked as each
        -- dangerous program it could be, with the same arguments and input
        for v_x in select unnest(coord.guard_dynamic_program(v_w[1], v_unknown || case when v_vars ? 'IFS' then array['IFS'] end))
                   where v_key is null loop
          return query select * from coord.guard_shell_units(
            v_x || ' ' || array_to_string(array(select coord.guard_quote(a) from unnest(v_w[2:]) with ordinality as x (a, o)
                                                order by x.o), ' '),
            p_depth + 1, '{}', false,
            jsonb_strip_nulls(jsonb_build_object('in', v_in, 'downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'), 'windows', false)));
        end loop;
        v_op := coord.guard_parse(v_w, v_redirects);
        continue when v_op is null;
        v_effects := coord.guard_effects(v_op, v_ctx || case when (v_item ->> 'root')::boolean then '{"root": true}'::jsonb else '{}' end
                                               || case when v_item ? 'stdin' then jsonb_build_object('stdin', v_item ->> 'stdin') else '{}' end)
                     -- (the metadata services in any spelling of their address)
                     || coord.guard_host_effects(v_op);
        -- a file written earlier in the same text and run now: what it holds runs
        if v_written <> '{}' then
          v_x := case when v_op ->> 'prog' in ('sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'nu', 'source', '.', 'python', 'node',
                                                'ruby', 'perl', 'php', 'deno', 'bun', 'pwsh', 'powershell', 'tsx', 'ts-node')
                      then v_op -> 'args' ->> 0 else v_op ->> 'cmd' end;
          v_file := coalesce(v_written -> v_x, v_written -> regexp_replace(coalesce(v_x, ''), '^.*/', ''));
          if v_file is not null then
            if v_file ? 'text' and (v_op ->> 'prog' in ('python', 'node', 'ruby', 'perl', 'php', 'deno', 'bun', 'tsx', 'ts-node')
                                    or v_x ~ '\.(py|js|mjs|cjs|ts|rb|pl|php)$') then
              v_code := array[case when v_op ->> 'prog' = 'python' or v_x ~ '\.py$' then 'python'
                                   when v_op ->> 'prog' in ('ruby') or v_x ~ '\.rb$' then 'ruby'
                                   when v_op ->> 'prog' in ('perl') or v_x ~ '\.pl$' then 'perl'
                                   when v_op ->> 'prog' in ('php') or v_x ~ '\.php$' then 'php' else 'js' end, v_file ->> 'text'];
              v_effects := v_effects || coalesce(coord.guard_code(v_code[1], v_code[2]) -> 'effects', '[]');
              for v_x in select jsonb_array_elements_text(coord.guard_code(v_code[1], v_code[2]) -> 'commands') loop
                return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true,
                  jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]')));
              end loop;
            elsif v_file ? 'text' then
              return query select * from coord.guard_shell_units(v_file ->> 'text', p_depth + 1, v_vars, true,
                jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'),
                                                     'root', case when (v_item ->> 'root')::boolean then true end)));
            elsif v_file ->> 'role' = 'download' then
              v_effects := v_effects || coord.guard_effect('exec-remote', array[v_x]);
            elsif v_file ->> 'role' = 'decode' then
              v_effects := v_effects || coord.guard_effect('exec-decoded', array[v_x]);
            end if;
          end if;
        end if;
        v_count_only := v_count_only or v_prev is not null and coord.guard_counts_only(v_op);
        if v_op ->> 'canon' <> '' then
          v_buf := v_buf || jsonb_build_array(jsonb_build_object('unit', v_op ->> 'canon', 'effects', v_effects,
                                                                 'detail', v_op - 'canon' - 'words' - 'raw'));
        end if;
        v_downloads := v_downloads || to_jsonb(coord.guard_downloads(v_op));
        -- shell commands inside an interpreter one-liner run too
        v_code := coord.guard_interpreter_code(v_op);
        if v_code is not null then
          for v_x in select jsonb_array_elements_text(coord.guard_code(v_code[1], v_code[2]) -> 'commands') loop
            return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true,
              jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]')));
          end loop;
        end if;
        if v_final is null then
          v_final := v_w;
          v_final_op := v_op;
          v_pipe := v_pipe || (v_op ->> 'canon');
          v_role := coord.guard_output_role(v_op, v_effects, v_in);
        end if;
      elsif v_item ? 'sh' then
        -- eval cd DIR moves this shell; eval of other text with a cd in it, somewhere only the run tells
        if 'eval' = any (v_words) and not v_item ? 'args' and (v_item ->> 'sh') ~ '(^|[\s;&|(])(cd|pushd|popd|chdir)(\s|;|$)' then
          v_cd_words := case when (v_item ->> 'sh') ~ ('^\s*(cd|pushd|popd|chdir)(\s+[^\s;&|`$()<>' || chr(30) || ']+)*\s*$')
                             then regexp_split_to_array(btrim(v_item ->> 'sh'), '\s+') else array['cd', '$(cd)'] end;
        end if;
        -- eval of text only the run knows sets what it likes in this shell
        if 'eval' = any (v_words) and (strpos(v_item ->> 'sh', '$') > 0 or strpos(v_item ->> 'sh', chr(30)) > 0) then
          v_unknown := v_unknown || '*'::text;
        end if;
        -- sh -c TEXT NAME ARGS: TEXT runs with $0 NAME and $1... ARGS, checked with them put in
        -- as a function's call is (and as written, its positional parameters known)
        if v_item ? 'args' then
          return query select * from coord.guard_shell_units(
            coord.guard_function_call(
              (select jsonb_agg(case when c ? 'w'
                                     then jsonb_set(c, '{w}', (select jsonb_agg(case when x in ('$0', '${0}') then v_item -> 'args' -> 0 else to_jsonb(x) end
                                                                                order by t.o)
                                                               from jsonb_array_elements_text(c -> 'w') with ordinality as t (x, o)))
                                     else c end order by l.o)
               from jsonb_array_elements(coord.guard_lex(v_item ->> 'sh', false) -> 'cmds') with ordinality as l (c, o)),
              (array(select jsonb_array_elements_text(v_item -> 'args')))[2:]),
            p_depth + 1, v_vars, true,
            jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'in', v_in, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'),
                                                 'root', case when (v_item ->> 'root')::boolean or (p_ctx ->> 'root')::boolean then true end)));
        end if;
        return query select * from coord.guard_shell_units(v_item ->> 'sh', p_depth + 1, v_vars, true,
          jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'in', v_in, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'),
                                               'positional', case when v_item ? 'args' then true end,
                                               'sourced', case when '*' = any (v_unknown) then true end,
                                               'fns', case when p_depth < 2 then nullif(v_fn_text, '{}') end,
                                               'windows', (v_item ->> 'win')::boolean,
                                               'root', case when (v_item ->> 'root')::boolean or (p_ctx ->> 'root')::boolean then true end,
                                               'detached', case when (v_item ->> 'detached')::boolean or (p_ctx ->> 'detached')::boolean then true end,
                                               'remote', coalesce(v_item ->> 'remote', p_ctx ->> 'remote'),
                                               'elsewhere', case when (v_item ->> 'elsewhere')::boolean or (p_ctx ->> 'elsewhere')::boolean then true end)));
      elsif v_item ? 'sql' then
        return query select * from coord.guard_sql_units(v_item ->> 'sql', p_depth + 1);
      elsif v_item ? 'exec' then
        if v_words[1] in ('.', 'source') or v_words && array['eval'] then
          v_unknown := v_unknown || '*'::text;
        end if;
        return query select * from coord.guard_shell_units((v_item ->> 'exec') || ' | sh', p_depth + 1, v_vars, false,
          jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]')));
      end if;
    end loop;
    if v_final is null then
      -- nothing to run but the words themselves (a bare redirection, exec 3<>/dev/tcp/...)
      v_op := coord.guard_parse(coalesce(nullif(v_words, '{}'), array[':']), v_redirects);
      v_effects := coord.guard_effects(v_op, v_ctx);
      if v_effects <> '[]' then
        v_buf := v_buf || jsonb_build_array(jsonb_build_object('unit', v_op ->> 'canon', 'effects', v_effects,
                                                               'detail', v_op - 'canon' - 'words' - 'raw'));
      end if;
      v_pipe := v_pipe || coalesce(v_op ->> 'canon', '');
      v_role := case when v_items = '[]' then null else 'other' end;
    end if;
    -- files this command writes whose contents are known (echo/printf text, a here-document) or
    -- come from the network or a decoder: running one later in the text runs that
    if v_final_op is not null then
      v_x := case when v_final_op ->> 'prog' in ('echo', 'printf')
                  then array_to_string(array(select jsonb_array_elements_text(v_final_op -> 'args')), ' ')
                  when v_final_op ->> 'prog' in ('cat', 'tee', 'save') and v_cmd ->> 'in' is not null then v_cmd ->> 'in'
                  when v_final_op ->> 'prog' in ('tee', 'save') and v_prev is not null and v_prev[1] in ('echo', 'printf')
                  then v_stdin end;
      if v_final_op ->> 'prog' = 'printf' or v_final_op ->> 'prog' = 'echo' and v_final_op -> 'flags' ? '-e' or v_final_op ->> 'prog' in ('tee', 'save') then
        v_x := replace(replace(v_x, '\n', E'\n'), '\t', E'\t');
      end if;
      v_file := case when v_x is not null then jsonb_build_object('text', v_x)
                     when v_role in ('download', 'decode') then jsonb_build_object('role', v_role)
                     when v_in in ('download', 'decode') then jsonb_build_object('role', v_in) end;
      if v_file is not null then
        for v_key in select r ->> 1 from jsonb_array_elements(v_final_op -> 'redir') as r where r ->> 0 ~ '^[0-9]*>>?\|?$'
                     union all select a from jsonb_array_elements_text(v_final_op -> 'args') as a
                     where v_final_op ->> 'prog' in ('tee', 'save') and left(a, 1) <> '-' loop
          v_written := v_written || jsonb_build_object(v_key, v_file, regexp_replace(v_key, '^.*/', ''), v_file);
        end loop;
      end if;
      -- git clone URL [DIR], an archive downloaded earlier unpacked: what is in that directory came
      -- from the network
      if v_final_op ->> 'prog' = 'git' and v_final_op -> 'args' ->> 0 = 'clone' and jsonb_array_length(v_final_op -> 'args') >= 2 then
        v_downloads := v_downloads || to_jsonb(rtrim(coalesce(v_final_op -> 'args' ->> 2,
                                                            regexp_replace(regexp_replace(v_final_op -> 'args' ->> 1, '\.git/?$', ''), '^.*[/:]', '')), '/') || '/');
      elsif v_final_op ->> 'prog' in ('tar', 'unzip', '7z', 'bsdtar') then
        v_x := (select a from jsonb_array_elements_text(coalesce(v_final_op -> 'vals' -> '-f', '[]') || (v_final_op -> 'args')) as a
                where regexp_replace(a, '^.*/', '') in (select jsonb_array_elements_text(v_downloads)) limit 1);
        if v_x is not null then
          v_downloads := v_downloads || to_jsonb(regexp_replace(regexp_replace(v_x, '^.*/', ''), '\.(tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2|tar\.zst|tar|zip|7z)$', '') || '/');
        end if;
      end if;
    end if;
    -- the working directory of the commands after this one: not after a cd in a pipeline or in
    -- the background (a subshell of its own); unknown after one that may not run (a || cd b), and
    -- after popd with no pushd before it
    v_cd_op := case when v_final_op ->> 'prog' in ('cd', 'pushd', 'chdir', 'set-location', 'sl', 'popd') then v_final_op
                    when v_cd_words is not null then coord.guard_parse(v_cd_words, '{}'::text[]) end;
    if v_cd_op is not null and v_prev is null and coalesce(v_cmd ->> 'op', '') not in ('|', '&', '|&') then
      v_cd_prog := v_cd_op ->> 'prog';
      v_old := jsonb_build_array(to_jsonb(v_cwd)) || v_cwd_alts;
      v_x := coalesce(v_cd_op -> 'args' ->> 0, '~');
      if v_cd_prog in ('pushd', 'popd') and (v_cd_op -> 'words' ? '-n' or v_x ~ '^[+-][1-9][0-9]*$' and v_cd_prog = 'popd') then
        -- pushd -n DIR, popd -n, popd +N: the stack changes, the directory stays
        v_dirs := case when v_cd_prog = 'pushd' then v_dirs || jsonb_build_array(v_cwd) else v_dirs - (-1) end;
      elsif v_cd_prog = 'pushd' and (v_cd_op -> 'args' ->> 0 is null or v_x ~ '^[+-][0-9]+$') then
        -- pushd swaps the top two directories; pushd +N / -N rotates the stack
        v_cwd := case when v_x !~ '^[+-][0-9]+$' and jsonb_array_length(v_dirs) > 0 then v_dirs ->> -1 else '$(cd)' end;
        v_dirs := case when jsonb_array_length(v_dirs) > 0 then (v_dirs - (-1)) || jsonb_build_array(v_old -> 0) else v_dirs end;
        v_cwd_alts := '[]';
      else
        if v_cd_prog = 'pushd' then
          v_dirs := v_dirs || jsonb_build_array(v_cwd);
        end if;
        v_cd_new := case when v_cd_prog = 'popd' then jsonb_build_array(case when jsonb_array_length(v_dirs) > 0 then v_dirs -> -1
                                                                            else '"$OLDPWD"' end)
                         when v_x = '-' then '["$OLDPWD"]'
                         -- (bash: too many arguments; zsh replaces the first in the directory's name)
                         when v_cd_prog = 'cd' and jsonb_array_length(v_cd_op -> 'args') > 1 then v_old || '["$(cd)"]'
                         -- (CDPATH is not searched for ./DIR or ../DIR, which the parse reads as DIR)
                         else coord.guard_cd_readings(v_old, v_x,
                                case when not exists (select from jsonb_array_elements_text(coalesce(v_cd_op -> 'raw', v_cd_op -> 'words')) as a
                                                      where a ~ '^\.\.?(/|$)')
                                     then coalesce((select substr(a, 8) from unnest(v_words) as a where a like 'CDPATH=%' limit 1),
                                                   v_vars ->> 'CDPATH') end) end;
        if v_or then
          -- after ||: it runs when what came before failed, wherever that left the shell
          v_cd_new := '["$(cd)"]';
        end if;
        v_cwd := v_cd_new ->> 0;
        v_cwd_alts := v_cd_new - 0;
        if v_cd_prog = 'popd' then
          v_dirs := v_dirs - (-1);
        end if;
        -- a cd that may not run (after && or ||, in an if, loop or case) or whose failure the text
        -- goes on from (cd x || true): where the shell was stays a reading, once its and-or list
        -- (or its if, loop or case) is over
        v_fails := false;
        v_la := v_idx;
        while v_cmd ->> 'op' in ('&&', '||') and (v_lex -> 'cmds' -> (v_la - 1) ->> 'op') in ('&&', '||') loop
          if v_lex -> 'cmds' -> (v_la - 1) ->> 'op' = '||' then
            v_la_first := v_lex -> 'cmds' -> v_la -> 'w' ->> case when v_lex -> 'cmds' -> v_la -> 'w' ->> 0 in ('{', '!') then 1 else 0 end;
            v_fails := v_la_first is not null and v_la_first not in ('exit', 'return')
                       and not (v_lex -> 'cmds' -> v_la -> 'w' ->> 0 = '{' and exists (
                                  select from jsonb_array_elements(v_lex -> 'cmds') with ordinality as c (c, o)
                                  where c.o > v_la and c.o <= coalesce((select min(d.o) from jsonb_array_elements(v_lex -> 'cmds') with ordinality as d (c, o)
                                                                        where d.o > v_la and d.c -> 'w' ->> 0 = '}'), c.o)
                                    and c.c -> 'w' ->> case when c.c -> 'w' ->> 0 in ('{', '!') then 1 else 0 end in ('exit', 'return')));
            exit;
          end if;
          v_la := v_la + 1;
        end loop;
        -- (a ( or { after && is what may not run: a subshell's cd ends at its ), a group's does not)
        if v_cd_prog <> 'popd' and v_x <> '-' and not v_or
           and (v_cond and coalesce((v_cmd ->> 'open')::integer, 0) = 0 or v_fails) then
          v_pend_list := v_pend_list || v_old;
        elsif v_cd_prog <> 'popd' and v_x <> '-' and v_flow_depth > 0 and not v_in_fn then
          v_pend_flow := v_pend_flow || coalesce((select jsonb_agg(jsonb_build_array(v_flow_depth, r)) from jsonb_array_elements(v_old) as r), '[]');
        end if;
      end if;
    end if;
    if coalesce(v_cmd ->> 'op', '') <> '&&' and v_pend_list <> '[]' then
      v_cwd_alts := v_cwd_alts || v_pend_list;
      v_pend_list := '[]';
    end if;
    if v_cwd_alts <> '[]' then
      -- (each once, not the working directory itself, at most 8)
      v_cwd_alts := coalesce((select jsonb_agg(r order by o) from (
                                select r, min(o) as o from jsonb_array_elements(v_cwd_alts) with ordinality as t (r, o)
                                where r <> coalesce(to_jsonb(v_cwd), 'null'::jsonb) group by r) as d where o <= 64), '[]');
      v_cwd_alts := case when jsonb_array_length(v_cwd_alts) > 8 then jsonb_path_query_array(v_cwd_alts, '$[0 to 7]') else v_cwd_alts end;
    end if;
    if v_cmd ->> 'op' = '|' then
      v_prev := coalesce(v_final, v_words);
      v_prev_in := v_cmd ->> 'in';
      v_prev_role := v_role;
      v_prev_paths := case when v_role in ('paths', 'pids') then v_final_op -> 'args' end;
      v_prev_words := coalesce(v_prev_words, '[]') || coalesce(v_final_op -> 'words', '[]');
    else
      -- the pipeline is complete: printing the environment into a counter prints no secret
      for v_row in select jsonb_array_elements(v_buf) loop
        return query select 'command'::text, v_row ->> 'unit',
                            case when v_count_only
                                 then coalesce((select jsonb_agg(e) from jsonb_array_elements(v_row -> 'effects') as e
                                                where e ->> 'a' not in ('env-dump', 'read', 'secret-dump')), '[]'::jsonb)
                                 else v_row -> 'effects' end,
                            v_row -> 'detail';
      end loop;
      v_buf := '[]';
      v_count_only := false;
      if cardinality(v_pipe) >= 2 then
        return query select 'command'::text, array_to_string(v_pipe, ' | '), '[]'::jsonb, null::jsonb;
      end if;
      v_pipe := '{}';
      v_prev := null;
      v_prev_in := null;
      v_prev_role := null;
      v_prev_paths := null;
      v_prev_words := null;
    end if;
  end loop;
  -- what a trap runs (on EXIT, ERR, a signal) runs later, where the shell is then
  if v_traps <> '{}' and (v_cwd is distinct from p_ctx ->> 'cwd' or v_cwd_alts <> '[]') then
    foreach v_x in array v_traps[:4] loop
      return query select * from coord.guard_shell_units(v_x, p_depth + 1, v_vars, true,
        jsonb_strip_nulls(jsonb_build_object('downloads', v_downloads, 'cwd', v_cwd, 'cwd_alts', nullif(v_cwd_alts, '[]'),
                                             'windows', v_windows)));
    end loop;
  end if;
end;
$$;

comment on function coord.guard_shell_units(text, integer, jsonb, boolean, jsonb) is 'Guardrail normalizer: shell or PowerShell text -> (kind, unit, effects, detail) rows: every command that would run in canonical form with what it does (given what flows into it, the working directory and earlier downloads), every pipeline, embedded SQL; arguments are data.';
revoke all on function coord.guard_shell_units(text, integer, jsonb, boolean, jsonb) from public;
