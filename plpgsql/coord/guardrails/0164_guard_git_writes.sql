-- The working-tree files one git command writes, as write effects for the leases a shell command
-- takes (coord.guard_lease_targets); the guardrail side of git is coord.guard_git_effects.
--  * named paths: git checkout [REV] -- PATH, git checkout REV PATH, git restore PATH (not
--    --staged alone), git stash [push] -- PATH, git clean -f PATH, git mv A B, git worktree add/remove
--    PATH, git submodule update/add PATH, git subtree add/pull --prefix DIR, git merge-file FILE,
--    git archive -o / bundle create FILE, diff/log/show --output=FILE, format-patch -o DIR (without
--    -o or --stdout its NNNN-subject.patch files where it runs: .), config --file FILE that sets a
--    key, checkout-index --prefix=P (P followed by each path), clone URL [DIR] (DIR, else the URL's
--    last name);
--  * the whole working tree, where git rewrites it: a branch switch (checkout REV, switch REV,
--    checkout -b NEW START, switch --orphan), pull, merge, rebase, cherry-pick, revert, am (and
--    their --continue/--skip/--abort), stash / stash push without a path, stash save, pop/apply/branch,
--    reset --hard/--merge/--keep, checkout -f, checkout/restore -p without a path, read-tree -u,
--    checkout-index -a, sparse-checkout, bisect, submodule update/deinit without a path,
--    filter-branch/filter-repo, lfs pull/checkout, svn/p4 rebase.
-- git works on the whole tree of its repository whatever directory it starts in, so the whole
-- tree is the repository top, not the start directory: git's pathspec magic for the top, :/
-- (a top-relative path is :/PATH). Where git runs in another directory DIR (git -C DIR, cd DIR)
-- it is DIR/:/, the top of DIR's repository, which only the client can tell: the repository it
-- leases (from any of its subdirectories), a checkout nested in it (vendor/lib), or one outside
-- it; DIR known only at run time ($X/:/) is unleased. A work tree named elsewhere (--work-tree W,
-- GIT_WORK_TREE=W) is W as a whole; --git-dir alone makes the directory git runs in the work tree
-- (git's default).
-- git checkout X without -- is a branch or a path, which only git can tell: the whole tree is
-- read, which covers both (an operand that cannot be a branch, such as ., dir/ or *.py, is a
-- path); with several operands the first may be a revision or a path, so it is leased too unless
-- it can only be a revision (HEAD~2, v1^, a hash).
-- The command is read as git reads it (coord.guard_git_command: -c aliases, option prefixes,
-- clean.requireForce, core.worktree); a subcommand only the run knows (git $SUB, git $(cat f)) and
-- checkout-index --stdin are unleased.
-- Named paths are read from the directory git -C chose and left to coord.guard_effects for cd;
-- the top (:/...) is read from both here and left alone there. Pathspec magic: :/ and :(top) are
-- the top, :!x, :^x and :(exclude) write nothing, :(icase) and :(attr) only the run tells.
create or replace function coord.guard_git_writes(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_args text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'args', '[]')));
  v_flags text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'flags', '[]')));
  v_words text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'words', '[]')));
  v_raw text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words', '[]')));
  v_sub text := v_args[1];
  v_rest text[] := coalesce(v_args[2:], '{}');
  v_dash integer;
  v_after text[] := '{}';  -- the operands after --
  v_before text[];         -- the operands before it
  v_opts text[];           -- the subcommand's own words (git -c and -C come before it)
  v_ropts text[];          -- the same as the shell gave them
  v_tree boolean := false;
  v_paths text[] := '{}';
  v_deletes text[] := '{}';
  v_cdir text := '.';      -- where git -C runs it, from the start directory
  v_dir text;              -- the same after the command's own cd
  v_top text;              -- the whole tree
  v_top_classes jsonb;
  v_worktree text := p_op -> 'vals' -> '--work-tree' ->> -1;
  -- a whole tree keeps only the classes the leases read: writing a work tree as a whole was never
  -- a guardrail's business (git -C /srv/app pull and a deploy hook's GIT_WORK_TREE=/srv/www
  -- checkout -f decide as before); git-discard and the rules on named paths still see them
  v_lease_classes constant text[] := array['workspace', 'outside', 'tmp', 'cache', 'dynamic'];
  v_out jsonb := '[]';
  v_p text;
  v_x text;
  i integer;
begin
  if p_op ->> 'prog' <> 'git' or v_sub is null then
    return '[]';
  end if;
  -- a subcommand only the run knows (git $SUB main, git $(cat f) main) may write anything: unleased
  -- (the positional parameters excepted: a function's calls are checked with them put in, and the
  -- shell an agent's command runs in is given none)
  if (strpos(v_sub, '$') > 0 or strpos(v_sub, '`') > 0 or strpos(v_sub, chr(30)) > 0) and v_sub !~ '^\$\{?[@*#0-9]' then
    return coord.guard_effect('write', array['$(files git ' || v_sub || ' writes)']);
  end if;
  i := coalesce(array_position(v_words, v_sub), 0);
  v_opts := coalesce(v_words[i + 1:], '{}');
  v_ropts := coalesce(v_raw[i + 1:], '{}');
  -- git -C DIR (each relative to the one before), given before the subcommand (switch -C is not it)
  for i in 1 .. coalesce(array_position(v_words, v_sub), 1) - 1 loop
    if v_words[i] = '-C' and v_words[i + 1] is not null then
      v_cdir := case when v_words[i + 1] ~ '^[/~$]' then v_words[i + 1] else coord.guard_path(v_cdir || '/' || v_words[i + 1]) end;
    end if;
  end loop;
  v_dash := array_position(v_words, '--');
  if v_dash is not null then
    v_after := coalesce(v_words[v_dash + 1:], '{}');
  end if;
  v_before := coalesce(v_rest[1:cardinality(v_rest) - cardinality(v_after)], '{}');
  if v_sub in ('checkout', 'co', 'switch', 'restore') then
    -- the operands as these subcommands read them (the parser's value flags are git's in general:
    -- switch -m TOPIC merges, it takes no value; --orphan NEW does)
    v_before := array(select w from unnest(v_opts) with ordinality as x (w, o)
                      where x.o < coalesce(array_position(v_opts, '--'), cardinality(v_opts) + 1)
                        and w !~ '^-.' and not coalesce(v_opts[x.o - 1] in ('-b', '-B', '-c', '-C', '--orphan', '--create',
                                                                          '--force-create', '-s', '--source', '--conflict'), false)
                      order by x.o);
  end if;
  -- paths read from a file (or stdin) only the run tells
  if exists (select from unnest(v_opts) as w where w like '--pathspec-from-file%') then
    return coord.guard_effect('write', array['$(files the pathspec file names)']);
  end if;

  if v_sub in ('checkout', 'co') then
    if v_flags && array['-p', '--patch'] then
      v_paths := case when cardinality(v_after) > 0 then v_after else coalesce(v_before[2:], '{}') end;
      v_tree := cardinality(v_paths) = 0;
    elsif cardinality(v_after) > 0 then
      v_paths := v_after;
    elsif '--orphan' = any (v_opts) then
      v_tree := cardinality(v_before) >= 1;  -- a start point: its tree is checked out
    elsif v_flags && array['-b', '-B', '--detach'] or v_dash is not null then
      v_tree := cardinality(v_before) > 0;  -- -b NEW alone keeps the tree
    elsif cardinality(v_before) = 0 then
      v_tree := v_flags && array['-f', '--force', '-m', '--merge'];  -- checkout -f: the tree back to HEAD
    elsif cardinality(v_before) = 1 then
      -- a branch or a path: only one that cannot be a branch is read as a path alone
      v_x := coalesce(v_raw[array_position(v_words, v_before[1])], v_before[1]);  -- (as written: dir/ keeps its /)
      if v_before[1] in ('.', '..') or v_x ~ '(^\.\.?/|/$|[*?[]|^:(\(|[!^]))' or v_x ~ '(^|/)\.\.(/|$)' then
        v_paths := v_before;
      else
        v_tree := true;
      end if;
    else
      v_paths := v_before[2:]
                 || case when v_before[1] ~ '[~^]|@\{|^[0-9a-f]{7,40}$|^(HEAD|ORIG_HEAD|FETCH_HEAD|MERGE_HEAD)$'
                         then '{}'::text[] else v_before[1:1] end;
    end if;
  elsif v_sub = 'switch' then
    -- --orphan: every tracked file goes; -c NEW alone keeps the tree (NEW is -c's value, not an
    -- operand), -c NEW START switches to START
    v_tree := cardinality(v_before) > 0 or exists (select from unnest(v_opts) as w where w ~ '^--orphan(=|$)');
  elsif v_sub = 'restore' then
    if not (v_flags && array['-S', '--staged'] and not v_flags && array['-W', '--worktree']) then
      v_paths := case when cardinality(v_after) > 0 then v_after else v_before end;
      v_tree := cardinality(v_paths) = 0 and v_flags && array['-p', '--patch'];
    end if;
  elsif v_sub = 'reset' then
    v_tree := v_flags && array['--hard', '--merge', '--keep'];
  elsif v_sub = 'pull' then
    v_tree := true;
  elsif v_sub = 'merge' then
    v_tree := not v_flags && array['--continue', '--quit'];
  elsif v_sub in ('rebase', 'cherry-pick', 'revert', 'am') then
    v_tree := not v_flags && array['--quit', '--edit-todo', '--show-current-patch'];
  elsif v_sub = 'stash' then
    -- (save takes no pathspec: whatever follows it, -- included, is the message)
    if v_rest[1] in ('pop', 'apply', 'branch', 'save') then
      v_tree := true;
    elsif v_rest[1] is null or v_rest[1] = 'push' or v_rest[1] = v_after[1] then  -- (git stash -- PATH: push)
      v_paths := case when cardinality(v_after) > 0 then v_after when v_rest[1] = 'push' then coalesce(v_before[2:], '{}')
                      else '{}' end;
      v_tree := cardinality(v_paths) = 0;
    end if;
  elsif v_sub = 'clean' then
    -- from the directory it runs in down (git's own rule), or the paths it is given
    if v_flags && array['-f', '--force', '-i', '--interactive'] then
      v_paths := coalesce(nullif(v_rest, '{}'), array['.']);
    end if;
  elsif v_sub = 'mv' and cardinality(v_rest) >= 2 then
    v_deletes := v_rest[1:cardinality(v_rest) - 1];
    v_paths := v_rest[cardinality(v_rest):] || array(select v_rest[cardinality(v_rest)] || '/' || regexp_replace(a, '^.*/', '')
                                                     from unnest(v_rest[1:cardinality(v_rest) - 1]) as a);
  elsif v_sub = 'read-tree' then
    v_tree := v_flags && array['-u'];
  elsif v_sub = 'checkout-index' then
    -- --prefix=P writes P followed by each path (out/ a directory, pre- a name prefix); --stdin
    -- reads the paths from stdin
    v_x := (select substr(r, 10) from unnest(v_ropts) with ordinality as x (r, o) where r like '--prefix=%' order by x.o desc limit 1);
    if v_flags && array['--stdin'] then
      v_out := coord.guard_effect('write', array['$(files checkout-index reads from stdin)']);
    end if;
    if v_flags && array['-a', '--all'] then
      v_tree := v_x is null;
      v_paths := case when v_x is null then '{}' when right(v_x, 1) = '/' then array[v_x] else array[v_x || '*'] end;
    else
      v_paths := array(select coalesce(v_x, '') || p from unnest(v_rest) as p);
    end if;
  elsif v_sub = 'sparse-checkout' then
    v_tree := coalesce(v_rest[1], '') not in ('list', 'check-rules');
  elsif v_sub = 'bisect' then
    v_tree := coalesce(v_rest[1], '') not in ('log', 'visualize', 'view', 'terms', 'help');
  elsif v_sub = 'submodule' then
    if v_rest[1] in ('update', 'deinit') then
      v_paths := coalesce(v_rest[2:], '{}');
      v_tree := cardinality(v_paths) = 0;
    elsif v_rest[1] = 'add' then
      -- submodule add URL [PATH]: PATH, else the URL's last name
      v_paths := coalesce(nullif(v_rest[3:3], '{}'),
                          array[regexp_replace(regexp_replace(coalesce(v_rest[2], ''), '/+$', ''), '^.*[/:]|\.git$', '', 'g')]);
    end if;
  elsif v_sub = 'subtree' and v_rest[1] in ('add', 'pull', 'merge') then
    -- the subtree's directory (--prefix=DIR, -P DIR)
    v_paths := array(select case when w like '--prefix=%' then substr(w, 10) else v_opts[x.o + 1] end
                     from unnest(v_opts) with ordinality as x (w, o) where w like '--prefix=%' or w in ('-P', '--prefix'));
  elsif v_sub = 'lfs' then
    v_tree := v_rest[1] in ('pull', 'checkout');  -- large files put in place all over the tree
  elsif v_sub in ('svn', 'p4') then
    v_tree := v_rest[1] in ('rebase', 'dcommit', 'submit');  -- they rebase the checked-out branch
  elsif v_sub = 'worktree' then
    if v_rest[1] in ('add', 'remove') then
      v_paths := coalesce(v_rest[2:2], '{}');
    elsif v_rest[1] = 'move' then
      v_paths := coalesce(v_rest[2:3], '{}');
    end if;
  elsif v_sub = 'merge-file' and not v_flags && array['-p', '--stdout'] then
    v_paths := coalesce(v_rest[1:1], '{}');
  elsif v_sub = 'archive' then
    v_paths := array(select case when w in ('-o', '--output') then v_opts[x.o + 1] when w like '--output=%' then substr(w, 10)
                                 else substr(w, 3) end
                     from unnest(v_opts) with ordinality as x (w, o)
                     where w in ('-o', '--output') or w like '--output=%' or w ~ '^-o.');
  elsif v_sub = 'bundle' and v_rest[1] = 'create' then
    v_paths := coalesce(v_rest[2:2], '{}');
  elsif v_sub in ('filter-branch', 'filter-repo') then
    v_tree := true;
  elsif v_sub = 'config' then
    -- config --file FILE (-f FILE) that sets, unsets or edits rewrites FILE
    v_x := coalesce(p_op -> 'vals' -> '--file' ->> -1, p_op -> 'vals' -> '-f' ->> -1);
    if v_x is not null and v_x <> '-'
       and not v_flags && array['--get', '--get-all', '--get-regexp', '--get-urlmatch', '--get-color', '--get-colorbool', '-l', '--list']
       and coalesce(v_rest[1], '') not in ('get', 'list')
       and (cardinality(v_rest) >= 2 or v_rest[1] in ('edit', 'unset', 'set', 'rename-section', 'remove-section')
            or v_flags && array['--unset', '--unset-all', '--add', '--replace-all', '--rename-section', '--remove-section', '-e', '--edit']) then
      if v_x ~ '(^|/)\.git/config$' then
        null;  -- (the repository's own configuration, as --local: no lease names it)
      elsif v_x ~ '(^|/)(\.?gitconfig|\.config/git/config)$' then
        -- git's own configuration, as --global: its keys are coord.guard_git_effects' to judge
        v_out := v_out || jsonb_build_array(jsonb_build_object(
          'a', 'write', 't', case when v_x ~ '^[/~$]' or v_cdir = '.' then v_x else coord.guard_path(v_cdir || '/' || v_x) end,
          'c', to_jsonb(array(select c from unnest(coord.guard_classify(v_x)) as c where c = any (v_lease_classes)))));
      else
        v_paths := array[v_x];
      end if;
    end if;
  elsif v_sub = 'clone' then
    -- clone URL [DIR]: DIR, else the URL's last name (.git kept for --bare and --mirror)
    v_before := array(select r from unnest(v_ropts) with ordinality as x (r, o)
                      where r <> '--' and (r !~ '^-' and not coalesce(v_ropts[x.o - 1] in ('-o', '-b', '-u', '-c', '-j'), false)
                                           or x.o > coalesce(array_position(v_ropts, '--'), cardinality(v_ropts)))
                      order by x.o);
    v_paths := coalesce(nullif(v_before[2:2], '{}'),
                        array[regexp_replace(regexp_replace(coalesce(v_before[1], ''), '(/\.git)?/*$', ''), '^.*[/:]|\.git$', '', 'g')
                              || case when v_flags && array['--bare', '--mirror'] then '.git' else '' end]);
  elsif v_sub in ('diff', 'log', 'show', 'whatchanged', 'format-patch', 'diff-tree', 'diff-index', 'diff-files', 'range-diff') then
    -- --output=FILE (the diff options'); format-patch -o DIR, else its NNNN-subject.patch files
    -- where it runs (not with --stdout)
    v_paths := array(select case when r like '--output=%' then substr(r, 10) else v_ropts[x.o + 1] end
                     from unnest(v_ropts) with ordinality as x (r, o)
                     where (r like '--output=%' or r = '--output' and v_ropts[x.o + 1] is not null)
                       and x.o < coalesce(array_position(v_ropts, '--'), cardinality(v_ropts) + 1));
    if v_sub = 'format-patch' and not v_flags && array['--stdout'] then
      v_paths := v_paths || coalesce(nullif(array(select case when r like '--output-directory=%' then substr(r, 20)
                                                              when r ~ '^-o.' then substr(r, 3) else v_ropts[x.o + 1] end
                                                  from unnest(v_ropts) with ordinality as x (r, o)
                                                  where r like '--output-directory=%' or r ~ '^-o.'
                                                        or r in ('-o', '--output-directory') and v_ropts[x.o + 1] is not null), '{}'),
                                     array['.']);
    end if;
  end if;

  if not v_tree and cardinality(v_paths) = 0 and cardinality(v_deletes) = 0 then
    return v_out;
  end if;
  -- the directory git runs in, after the command's own cd
  v_dir := case when v_cdir ~ '^[/~$]' or p_ctx ->> 'cwd' is null then v_cdir
                when v_cdir = '.' then p_ctx ->> 'cwd'
                when (p_ctx ->> 'cwd') ~ '[$`(]' then (p_ctx ->> 'cwd') || '/' || v_cdir
                else coord.guard_path((p_ctx ->> 'cwd') || '/' || v_cdir) end;
  if v_worktree is not null or p_op -> 'vals' ? '--git-dir' then
    -- another work tree (--work-tree W, or the directory git runs in with --git-dir alone): written
    -- as a whole, read from where git runs like any path (cd is coord.guard_effects')
    v_top := coalesce(case when v_worktree ~ '^[/~$]' then v_worktree
                           when v_worktree is not null then coord.guard_path(v_cdir || '/' || v_worktree) end, v_cdir);
    return jsonb_build_array(jsonb_build_object('a', 'write', 't', v_top, 'c', to_jsonb(array(
      select c from unnest(coord.guard_classify(v_top)) as c where c = any (v_lease_classes)))));
  end if;
  if v_dir ~ '[$`(]' or v_dir ~ '^~-' then
    v_top := v_dir || '/:/';
    v_top_classes := '["dynamic"]';
  elsif v_dir ~ '(^|/):/?$' then
    -- already a top (what git runs from the top of its tree runs git there)
    v_top := rtrim(v_dir, '/') || '/';
    v_top_classes := case when v_top = ':/' then '["workspace"]'
                          else to_jsonb(array(select c from unnest(coord.guard_classify(left(v_top, -3))) as c where c = any (v_lease_classes))) end;
  elsif v_dir <> '.' then
    v_top := rtrim(v_dir, '/') || '/:/';
    v_top_classes := to_jsonb(array(select c from unnest(coord.guard_classify(v_dir)) as c where c = any (v_lease_classes)));
  else
    v_top := ':/';
    v_top_classes := '["workspace"]';
  end if;
  if v_tree then
    v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'write', 't', v_top, 'c', v_top_classes));
  end if;
  foreach v_p in array v_paths loop
    continue when v_p is null or v_p = '' or v_p ~ '^:([!^]|\([^)]*exclude)';  -- excluded: nothing written
    if v_p ~ '^:(/|\((top|[^)]*,top)[,)])' then
      -- from the top: :/src/a.py, :(top)src
      v_x := regexp_replace(v_p, '^:(/|\([^)]*\))', '');
      v_x := coalesce(nullif(coord.guard_path(v_x), '.'), '');
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'write', 't', v_top || v_x,
                                                             'c', case when v_x = '' then v_top_classes
                                                                       else to_jsonb(coord.guard_classify(v_x)) end));
    elsif v_p ~ '^:\((icase|attr)' or v_p ~ '^:\([^)]*,(icase|attr)' then
      v_out := v_out || coord.guard_effect('write', array['$(files the pathspec ' || v_p || ' matches)']);
    else
      v_x := regexp_replace(v_p, '^:\([^)]*\)', '');  -- :(literal), :(glob): the path as it is
      v_out := v_out || coord.guard_effect('write', array[case when v_x ~ '^[/~$]' then v_x
                                                               when v_cdir = '.' then v_x
                                                               else coord.guard_path(v_cdir || '/' || v_x) end]);
    end if;
  end loop;
  if cardinality(v_deletes) > 0 then
    v_out := v_out || coord.guard_effect('delete', array(select case when d ~ '^[/~$]' or v_cdir = '.' then d
                                                                      else coord.guard_path(v_cdir || '/' || d) end
                                                         from unnest(v_deletes) as d));
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_git_writes(jsonb, jsonb) is 'The working-tree files one git command writes, as write effects for the leases of a shell command: named paths (checkout -- PATH, restore, stash push PATH, clean -f, mv, worktree, ...), and the whole tree where git rewrites it (branch switch, pull, merge, rebase, cherry-pick, revert, am, stash, reset --hard/--merge/--keep, ...) as :/, the top of the repository (DIR/:/ where git runs in another directory DIR, $X/:/ unleased); also --output files, format-patch -o, config --file, checkout-index --prefix, clone. A branch-or-path operand without -- is read as the whole tree; a subcommand only the run knows is unleased.';
revoke all on function coord.guard_git_writes(jsonb, jsonb) from public;
