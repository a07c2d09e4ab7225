-- Guardrail normalizer: one git command line as git reads it (called by coord.guard_unwrap once
-- the wrappers are off). Returns what to check, as coord.guard_unwrap does: {"sh": text} for each
-- command git runs besides itself (with "args" where git hands it arguments, as sh -c TEXT NAME
-- ARGS), then {"w": words}, the git command in git's own terms:
--  * an alias given by -c alias.NAME=VALUE is VALUE (git's own commands win over an alias, as in
--    git; names are case-insensitive; an alias of an alias is followed, 8 deep; git's options in
--    VALUE count; --config-env=KEY=VAR gives KEY the value $VAR). VALUE starting with ! is a shell
--    command git runs from the top of the work tree with the arguments after the alias (the words
--    stay as written: git-unsafe sees the alias);
--  * a prefix of a long option that the subcommand's parse-options accepts is spelled out, and a
--    value git takes from the next word is joined to it (git reset --ha is --hard, git rebase
--    --exe CMD is --exec=CMD; coord.guard_git_options);
--  * -c clean.requireForce=false makes clean without -n or -i clean -f; -c core.worktree=W is
--    --work-tree=W where no work tree is named.
-- The commands git runs: rebase --exec/-x and difftool -x/--extcmd (from the top of the work tree;
-- difftool hands it the two files), bisect run (its words are the command), submodule foreach (in
-- each submodule: a directory only the run knows), filter-branch --*-filter, grep -O /
-- --open-files-in-pager, send-email --to-cmd and the like, --upload-pack / --receive-pack /
-- --exec (run here for a repository on this machine) and an ext:: URL's command, the hooks of a
-- clone's or init's --template (or init.templateDir), and what git's configuration given by -c,
-- or kept by git config KEY VALUE for later runs, runs (core.pager, pager.CMD, core.editor,
-- sequence.editor, core.sshCommand, diff.external, a diff or merge driver, a filter, a credential
-- helper with ! or a path, a core.fsmonitor hook, core.askPass, gpg.program, an alias with !,
-- ...). Each is checked as the same text written plainly.
create or replace function coord.guard_git_command(p_words text[])
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  -- git's own commands (git --list-cmds=main, 2.39, and common add-ons): an alias never shadows them
  v_commands constant text[] := array[
    'add', 'am', 'annotate', 'apply', 'archive', 'bisect', 'blame', 'branch', 'bugreport', 'bundle', 'cat-file',
    'check-attr', 'check-ignore', 'check-mailmap', 'check-ref-format', 'checkout', 'checkout-index', 'cherry',
    'cherry-pick', 'clean', 'clone', 'column', 'commit', 'commit-graph', 'commit-tree', 'config', 'count-objects',
    'credential', 'credential-cache', 'credential-store', 'daemon', 'describe', 'diagnose', 'diff', 'diff-files',
    'diff-index', 'diff-tree', 'difftool', 'fast-export', 'fast-import', 'fetch', 'fetch-pack', 'filter-branch',
    'fmt-merge-msg', 'for-each-ref', 'for-each-repo', 'format-patch', 'fsck', 'fsck-objects', 'gc',
    'get-tar-commit-id', 'grep', 'help', 'hook', 'http-backend', 'http-fetch', 'http-push', 'imap-send', 'index-pack',
    'init', 'init-db', 'instaweb', 'interpret-trailers', 'log', 'ls-files', 'ls-remote', 'ls-tree', 'mailinfo',
    'mailsplit', 'maintenance', 'merge', 'merge-base', 'merge-file', 'merge-index', 'merge-octopus', 'merge-one-file',
    'merge-ours', 'merge-recursive', 'merge-resolve', 'merge-subtree', 'merge-tree', 'mergetool', 'mktag', 'mktree',
    'multi-pack-index', 'mv', 'name-rev', 'notes', 'pack-objects', 'pack-redundant', 'pack-refs', 'patch-id', 'prune',
    'prune-packed', 'pull', 'push', 'quiltimport', 'range-diff', 'read-tree', 'rebase', 'receive-pack', 'reflog',
    'remote', 'repack', 'replace', 'request-pull', 'rerere', 'reset', 'restore', 'rev-list', 'rev-parse', 'revert',
    'rm', 'send-email', 'send-pack', 'shell', 'shortlog', 'show', 'show-branch', 'show-index', 'show-ref',
    'sparse-checkout', 'stage', 'stash', 'status', 'stripspace', 'submodule', 'subtree', 'switch', 'symbolic-ref',
    'tag', 'unpack-file', 'unpack-objects', 'update-index', 'update-ref', 'update-server-info', 'upload-archive',
    'upload-pack', 'var', 'verify-commit', 'verify-pack', 'verify-tag', 'version', 'whatchanged', 'worktree',
    'write-tree', 'lfs', 'svn', 'p4', 'filter-repo', 'gui', 'citool', 'cvsimport', 'cvsserver', 'archimport'];
  -- git's options before the subcommand that take the next word as their value
  v_valued constant text[] := array['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env'];
  w text[] := p_words;
  v_n integer;
  v_i integer := 2;        -- the word looked at
  v_j integer;
  v_sub integer;           -- where the subcommand is
  v_cfg jsonb := '{}';     -- -c KEY=VALUE, keys in lower case
  v_aliases integer := 0;
  v_shell jsonb;           -- a ! alias: its command
  v_cdir text := '.';      -- the directory git -C chose
  v_worktree text;
  v_gitdir boolean := false;
  v_top text;              -- where git runs what it runs: the top of the work tree
  v_opts jsonb;            -- the subcommand's long options (coord.guard_git_options)
  v_runs text[] := '{}';   -- commands git runs from the top of the tree
  v_key text;
  v_value text;
  v_x text;
  v_name text;
  v_full text;
  v_c integer;
  v_items jsonb := '[]';
begin
  -- git's own options, an alias in place of the subcommand (its own options read in turn)
  loop
    v_n := coalesce(cardinality(w), 0);
    while v_i <= v_n and left(w[v_i], 1) = '-' and w[v_i] <> '-' loop
      v_x := w[v_i + 1];
      if w[v_i] = any (v_valued) and v_x is not null then
        if w[v_i] = '-C' then
          v_cdir := case when v_x = '' then v_cdir when v_x ~ '^[/~$]' then v_x else coord.guard_path(v_cdir || '/' || v_x) end;
        elsif w[v_i] = '-c' then
          v_cfg := v_cfg || jsonb_build_object(lower(split_part(v_x, '=', 1)),
                                               case when strpos(v_x, '=') > 0 then substr(v_x, strpos(v_x, '=') + 1) else 'true' end);
        elsif w[v_i] = '--config-env' and strpos(v_x, '=') > 0 then
          -- (the value is the environment variable's, which only the run knows)
          v_cfg := v_cfg || jsonb_build_object(lower(split_part(v_x, '=', 1)), '$' || substr(v_x, strpos(v_x, '=') + 1));
        elsif w[v_i] = '--work-tree' then
          v_worktree := v_x;
        elsif w[v_i] = '--git-dir' then
          v_gitdir := true;
        end if;
        v_i := v_i + 2;
      else
        if w[v_i] like '--config-env=%=%' then
          v_x := substr(w[v_i], 14);
          v_cfg := v_cfg || jsonb_build_object(lower(split_part(v_x, '=', 1)), '$' || substr(v_x, strpos(v_x, '=') + 1));
        elsif w[v_i] like '--work-tree=%' then
          v_worktree := substr(w[v_i], 13);
        elsif w[v_i] like '--git-dir=%' then
          v_gitdir := true;
        end if;
        v_i := v_i + 1;
      end if;
    end loop;
    exit when v_i > v_n or w[v_i] = any (v_commands) or v_aliases >= 8;
    v_value := v_cfg ->> ('alias.' || lower(w[v_i]));
    exit when v_value is null or btrim(v_value) = '';
    v_aliases := v_aliases + 1;
    if left(btrim(v_value), 1) = '!' then
      -- git runs it as sh -c 'VALUE "$@"' VALUE ARGS, from the top of the work tree
      v_x := substr(btrim(v_value), 2);
      v_shell := jsonb_build_object('sh', v_x || case when v_i < v_n then ' "$@"' else '' end)
                 || case when v_i < v_n then jsonb_build_object('args', to_jsonb(array[v_x] || w[v_i + 1:])) else '{}' end;
      exit;
    end if;
    -- (split as git splits it: quotes and backslashes, no operators)
    w := w[:v_i - 1]
         || array(select jsonb_array_elements_text(coord.guard_lex(replace(replace(replace(v_value, ';', '\;'), '|', '\|'), '&', '\&'), false)
                                                   -> 'cmds' -> 0 -> 'w'))
         || w[v_i + 1:];
  end loop;
  v_sub := v_i;
  v_top := case when v_worktree is not null then case when v_worktree ~ '^[/~$]' then v_worktree
                                                      else coord.guard_path(v_cdir || '/' || v_worktree) end
                when v_gitdir then v_cdir
                when v_cdir = '.' then ':/'
                else rtrim(v_cdir, '/') || '/:/' end;
  if v_shell is not null then
    return jsonb_build_array(jsonb_set(v_shell, '{sh}', to_jsonb('cd ' || coord.guard_quote(v_top) || ' && ' || (v_shell ->> 'sh'))),
                             jsonb_build_object('w', to_jsonb(p_words)));
  end if;

  if v_sub <= v_n then
    -- long-option prefixes, and values from the next word, as parse-options reads them
    v_opts := coord.guard_git_options() -> (w[v_sub] || case
      when w[v_sub] = 'stash' and (w[v_sub + 1] is null or left(w[v_sub + 1], 1) = '-') then ' push'
      when w[v_sub] in ('stash', 'worktree', 'reflog', 'sparse-checkout') then ' ' || coalesce(w[v_sub + 1], '')
      else '' end);
    v_j := v_sub + 1;
    while v_opts is not null and v_j <= v_n and w[v_j] <> '--' loop
      if w[v_j] like '--_%' then
        v_name := split_part(substr(w[v_j], 3), '=', 1);
        v_full := null;
        if v_opts ? ('--' || v_name) then
          v_full := '--' || v_name;
        elsif left('no-', char_length(v_name)) <> v_name then
          select min(c), count(distinct c) into v_full, v_c
          from (select k as c from jsonb_object_keys(v_opts) as k where left(k, char_length(v_name) + 2) = '--' || v_name
                union all
                -- --no-X of an option X, and X of an option --no-X
                select '--no-' || substr(k, 3) from jsonb_object_keys(v_opts) as k
                where v_name like 'no-%' and k not like '--no-%' and left(k, char_length(v_name) - 1) = '--' || substr(v_name, 4)
                union all
                select '--' || substr(k, 6) from jsonb_object_keys(v_opts) as k
                where k like '--no-%' and left('--' || substr(k, 6), char_length(v_name) + 2) = '--' || v_name) as m;
          v_full := case when v_c = 1 then v_full end;
        end if;
        if v_full is not null then
          if strpos(w[v_j], '=') > 0 then
            w[v_j] := v_full || substr(w[v_j], strpos(w[v_j], '='));
          elsif coalesce((v_opts ->> v_full)::boolean, false) and v_j < v_n then
            w := w[:v_j - 1] || (v_full || '=' || w[v_j + 1]) || w[v_j + 2:];
            v_n := v_n - 1;
          else
            w[v_j] := v_full;
          end if;
        end if;
      end if;
      v_j := v_j + 1;
    end loop;

    -- what the subcommand runs
    for v_j in v_sub + 1 .. v_n loop
      exit when w[v_j] = '--' and w[v_sub] not in ('bisect', 'submodule');
      v_x := w[v_j];
      if w[v_sub] = 'rebase' then
        if v_x like '--exec=%' then
          v_runs := v_runs || substr(v_x, 8);
        elsif v_x ~ '^-[A-Za-z]*x' and v_x !~ '^-[A-Za-z]*[sXCS][A-Za-z]*x' then  -- -x CMD, -ix CMD, -xCMD (-s, -X take a value)
          v_runs := v_runs || coalesce(nullif(substr(v_x, strpos(v_x, 'x') + 1), ''), w[v_j + 1]);
        end if;
      elsif w[v_sub] = 'difftool' then
        if v_x in ('-x', '--extcmd') or v_x ~ '^-x.' or v_x like '--extcmd=%' then
          v_runs := v_runs || (coalesce(case when v_x like '--extcmd=%' then substr(v_x, 10) when v_x ~ '^-x.' then substr(v_x, 3) else w[v_j + 1] end, '')
                               || ' "$LOCAL" "$REMOTE"');
        end if;
      elsif w[v_sub] = 'filter-branch' then
        if v_x ~ '^--(tree|index|env|msg|commit|parent|tag-name)-filter$' or v_x = '--setup' then
          v_runs := v_runs || w[v_j + 1];
        elsif v_x ~ '^--(tree|index|env|msg|commit|parent|tag-name)-filter=' then
          v_runs := v_runs || substr(v_x, strpos(v_x, '=') + 1);
        end if;
      elsif w[v_sub] = 'grep' then
        if v_x like '--open-files-in-pager=_%' or v_x ~ '^-[A-Za-z]*O.' and v_x !~ '^-[A-Za-z]*[efABCm][A-Za-z]*O' then
          v_runs := v_runs || substr(v_x, case when v_x like '--%' then 23 else strpos(v_x, 'O') + 1 end);
        end if;
      elsif w[v_sub] = 'send-email' then
        if v_x ~ '^--(to-cmd|cc-cmd|header-cmd|sendmail-cmd|smtp-server)$' then
          v_runs := v_runs || w[v_j + 1];
        elsif v_x ~ '^--(to-cmd|cc-cmd|header-cmd|sendmail-cmd|smtp-server)=' then
          v_runs := v_runs || substr(v_x, strpos(v_x, '=') + 1);
        end if;
      elsif w[v_sub] in ('clone', 'init') and v_x like '--template=_%' then
        -- the template's hooks run in the new repository (post-checkout after a clone)
        v_runs := v_runs || (rtrim(substr(v_x, 12), '/') || '/hooks/post-checkout');
      elsif w[v_sub] in ('fetch', 'pull', 'clone', 'ls-remote', 'push', 'archive', 'send-pack', 'fetch-pack') then
        -- a command for the other side: run here when the repository is on this machine
        if v_x ~ '^--(upload-pack|receive-pack|exec)=' then
          v_runs := v_runs || substr(v_x, strpos(v_x, '=') + 1);
        elsif v_x like 'ext::%' then
          -- the ext transport runs its command: words split at blanks, '% ' a blank in a word, %% a %
          v_runs := v_runs || array_to_string(array(
            select coord.guard_quote(replace(replace(a, chr(2), ' '), chr(1), '%'))
            from unnest(string_to_array(replace(replace(substr(v_x, 6), '%%', chr(1)), '% ', chr(2)), ' ')) with ordinality as x (a, o)
            where a <> '' order by x.o), ' ');
        elsif v_x in ('--upload-pack', '--receive-pack', '--exec') or w[v_sub] = 'clone' and v_x = '-u' then
          v_runs := v_runs || w[v_j + 1];
        end if;
      elsif w[v_sub] = 'bisect' and v_j = v_sub + 1 and v_x = 'run' and v_j < v_n then
        -- (git runs these words as a command, each a word of its own)
        v_runs := v_runs || array_to_string(array(select coord.guard_quote(a) from unnest(w[v_j + 1:]) with ordinality as x (a, o)
                                                  order by x.o), ' ');
        exit;
      elsif w[v_sub] = 'submodule' and v_x = 'foreach' then
        v_j := v_j + 1;
        while v_j <= v_n and w[v_j] in ('--recursive', '-q', '--quiet') loop
          v_j := v_j + 1;
        end loop;
        if v_j <= v_n then
          -- in each submodule; one word is shell text, several are a command and its arguments
          v_items := v_items || jsonb_build_array(jsonb_build_object('sh', 'cd "$sm_path" && ' || w[v_j]
            || coalesce(' ' || nullif(array_to_string(array(select coord.guard_quote(a) from unnest(w[v_j + 1:]) with ordinality as x (a, o)
                                                             order by x.o), ' '), ''), '')));
        end if;
        exit;
      end if;
    end loop;

    -- git config KEY VALUE keeps a command git runs later (core.pager, an alias with !, ...): that
    -- command, as -c gives one for this run
    if w[v_sub] = 'config' then
      v_name := null;
      v_full := null;
      v_c := 0;
      v_j := v_sub + 1;
      while v_j <= v_n loop
        if w[v_j] in ('-f', '--file', '--blob', '--type', '--default', '--comment', '--value') then
          v_j := v_j + 1;
        elsif w[v_j] ~ '^--?(get|list|l$|unset|remove-section|rename-section|edit|e$)' then
          exit;  -- (reads, or changes no command)
        elsif left(w[v_j], 1) <> '-' and not (v_c = 0 and w[v_j] = 'set') then
          v_c := v_c + 1;
          if v_c = 1 then
            v_name := lower(w[v_j]);
          elsif v_c = 2 then
            v_full := w[v_j];
          end if;
        end if;
        v_j := v_j + 1;
      end loop;
      if v_full is not null and v_name not in ('get', 'list', 'unset', 'remove-section', 'rename-section', 'edit') then
        if v_name like 'alias.%' and v_full ~ '^\s*!' then
          v_runs := v_runs || regexp_replace(v_full, '^\s*!', '');
        elsif not v_cfg ? v_name then
          v_cfg := v_cfg || jsonb_build_object(v_name, v_full);
        end if;
      end if;
    end if;

    -- clean.requireForce=false: clean removes without -f
    if w[v_sub] = 'clean' and lower(coalesce(v_cfg ->> 'clean.requireforce', 'true')) in ('false', 'no', 'off', '0', '')
       and not exists (select from unnest(w[v_sub + 1:]) as a
                       where a ~ '^-[A-Za-z]*[nif]' and a !~ '^-[A-Za-z]*e' or a in ('--dry-run', '--interactive', '--force')) then
      w := w[:v_sub] || '-f'::text || w[v_sub + 1:];
    end if;
  end if;

  -- what git's configuration given by -c runs
  for v_key, v_value in select key, value from jsonb_each_text(v_cfg) loop
    if v_key ~ '^(core\.(pager|editor|sshcommand|askpass|gitproxy|alternaterefscommand|hookspath)|sequence\.editor|pager\..+|diff\.external'
               '|diff\..+\.(textconv|command)|merge\..+\.driver|filter\..+\.(clean|smudge|process)|gpg\.(.+\.)?program'
               '|uploadpack\.packobjectshook|interactive\.difffilter|(difftool|mergetool|man|browser)\..+\.cmd'
               '|remote\..+\.(uploadpack|receivepack)|sendemail\.(tocmd|cccmd|sendmailcmd))$'
       or v_key = 'core.fsmonitor' and lower(v_value) not in ('true', 'false', 'yes', 'no', 'on', 'off', '1', '0', '')
       or v_key ~ '^credential\.(.+\.)?helper$' and v_value ~ '^\s*[!/]' then
      v_runs := v_runs || regexp_replace(v_value, '^\s*!', '');
    elsif v_key = 'init.templatedir' and w[v_sub] in ('clone', 'init') then
      v_runs := v_runs || (rtrim(v_value, '/') || '/hooks/post-checkout');
    end if;
  end loop;
  v_items := v_items || coalesce((select jsonb_agg(jsonb_build_object('sh', 'cd ' || coord.guard_quote(v_top) || ' && ' || r))
                                  from unnest(v_runs) as r where btrim(coalesce(r, '')) <> ''), '[]');

  -- -c core.worktree=W: the work tree unless one is named (--work-tree, GIT_WORK_TREE)
  if v_cfg ? 'core.worktree' and v_worktree is null and w[v_sub] is distinct from 'config' then
    w := w[:1] || ('--work-tree=' || (v_cfg ->> 'core.worktree')) || w[2:];
  end if;
  return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
end;
$$;

comment on function coord.guard_git_command(text[]) is 'Guardrail normalizer: one git command line as git reads it: the commands it runs besides itself (rebase --exec, bisect run, submodule foreach, filter-branch filters, difftool -x, a ! alias, what configuration given by -c or kept by git config runs, ...) as shell text to check, and the git command with -c aliases resolved, long-option prefixes spelled out, clean.requireForce and core.worktree applied.';
revoke all on function coord.guard_git_command(text[]) from public;
