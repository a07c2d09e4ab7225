-- What one git command does that cannot be taken back, as guardrail effects:
--   git-force-push       rewriting remote history: -f/--force, +refspec, --mirror
--   git-force-protected  --force-with-lease / --force-if-includes onto a protected branch
--   git-ref-delete       deleting remote branches or tags: --delete, :ref, --prune with --all,
--                        --mirror or a wildcard refspec
--   git-discard          throwing away uncommitted work: reset --hard, checkout/restore of the
--                        whole tree or with -f, clean -f, stash drop/clear, switch --discard-changes
--   git-history          rewriting or expiring history: filter-branch, reflog expire/delete, gc
--                        --prune=now, prune, update-ref -d, replace, branch -D of a protected branch
--   git-unsafe           disabling git's own safety: config (or -c) of hooks paths, fsmonitor,
--                        ssh commands, credential stores, TLS and fsck checks, safe.directory *,
--                        url rewrites to unknown hosts, shell aliases, filters; --no-verify
--   deploy               pushing to a deployment remote (heroku, dokku, ...)
--   delete, delete-tree  git rm of files or trees (not --cached); copy: git add of a secret file
-- A protected branch is main, master, trunk, develop, dev, production, prod, release*, stable,
-- live, hotfix*, gh-pages.
create or replace function coord.guard_git_effects(p_op jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_protected constant text := '^(refs/heads/)?(main|master|trunk|develop|development|dev|production|prod|release([/_.-].*)?|releases/.*|stable|live|hotfix([/_.-].*)?|gh-pages)$';
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_raw text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words')));
  v_sub text := v_args[1];
  v_out jsonb := '[]';
  v_refs text[];
  v_dests text[];
  v_remote text;
  v_pairs text[] := '{}';
  v_kv text;
  v_key text;
  v_value text;
  v_paths text[];
begin
  -- git -c key=value <command> configures this run like git config does
  for v_kv in select jsonb_array_elements_text(coalesce(v_vals -> '-c', '[]')) loop
    v_pairs := v_pairs || v_kv;
  end loop;

  if v_sub = 'push' then
    v_remote := v_args[2];
    v_refs := coalesce(v_args[3:], '{}');
    v_dests := array(select regexp_replace(regexp_replace(r, '^\+', ''), '^.*:', '') from unnest(v_refs) as r);
    if v_flags && array['-f', '--mirror'] or exists (select from unnest(v_refs) as r where r like '+%') then
      v_out := v_out || coord.guard_effect('git-force-push', case when cardinality(v_refs) = 0 then array['(current branch)'] else v_refs end);
    elsif v_flags && array['--force-with-lease', '--force-if-includes'] then
      if exists (select from unnest(v_dests) as d where d ~ v_protected) or v_flags && array['--all', '--mirror', '--branches'] then
        v_out := v_out || coord.guard_effect('git-force-protected', v_dests);
      end if;
    end if;
    if v_flags && array['-d'] then
      v_out := v_out || coord.guard_effect('git-ref-delete', v_refs);
    end if;
    if exists (select from unnest(v_refs) as r where r ~ '^\+?:.') then
      v_out := v_out || coord.guard_effect('git-ref-delete', array(select r from unnest(v_refs) as r where r ~ '^\+?:.'));
    end if;
    if v_flags && array['--prune'] and (v_flags && array['--all', '--mirror', '--tags', '--branches']
                                         or exists (select from unnest(v_refs) as r where strpos(r, '*') > 0)) then
      v_out := v_out || coord.guard_effect('git-ref-delete', array['(every remote ref without a local one)']);
    end if;
    -- refspecs made at run time that delete: git push origin $(... | sed 's/^/:refs\/tags\//')
    if exists (select from jsonb_array_elements_text(coalesce(p_op -> 'raw', '[]')) as r
               where strpos(r, chr(30)) > 0 and r ~ ':(refs|\\)|s/\^/:') then
      v_out := v_out || coord.guard_effect('git-ref-delete', array['(refspecs made at run time)']);
    end if;
    if v_remote ~* '^(heroku|dokku|production|prod|live|deploy|azure|pantheon|platform|scalingo|clever|flynn|piku)([-_].*)?$'
       or v_remote ~* '^(https://git\.heroku\.com/|dokku@|git@heroku\.com:|ssh://dokku@)' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', v_remote, 'c', jsonb_build_array('production')));
    end if;
    if v_flags && array['--no-verify'] then
      v_out := v_out || coord.guard_effect('git-unsafe', array['--no-verify']);
    end if;
    -- every branch or tag sent to a remote that is not the repository's own
    if (v_flags && array['--all', '--mirror', '--branches', '--tags']
        or exists (select from unnest(v_refs) as r where r ~ '^\+?(refs/\*|refs/heads/\*|\*)(:|$)'))
       and coalesce(v_remote, '') !~* '^(origin|upstream|)$' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', v_remote, 'c', jsonb_build_array('repository')));
    end if;
  elsif v_sub = 'fast-import' then
    if v_flags && array['--force', '-f'] then
      v_out := v_out || coord.guard_effect('git-history', array['fast-import --force']);
    end if;
  elsif v_sub = 'remote' then
    -- where pushes go is configuration like remote.NAME.pushurl
    if v_args[2] = 'set-url' and cardinality(v_args) >= 4 then
      v_pairs := v_pairs || ('remote.' || v_args[3] || case when v_flags && array['--push'] then '.pushurl=' else '.url=' end || v_args[4]);
    end if;
  elsif v_sub = 'reset' then
    if v_flags && array['--hard'] then
      v_out := v_out || coord.guard_effect('git-discard', array['(working tree)']);
    end if;
  elsif v_sub in ('checkout', 'co') then
    v_paths := case when '--' = any (v_args) then v_args[array_position(v_args, '--') + 1:] else v_args[2:] end;
    if v_flags && array['-f', '--force', '--ours', '--theirs'] and not v_flags && array['-b', '-B']
       or exists (select from unnest(v_paths) as p where p in ('.', '*', ':/', './', ':/*', '..', './*', ':(top)', '-A'))
       -- after --, a directory (trailing /) or a glob throws away many files' changes
       or '--' = any (v_raw) and exists (select from unnest(v_raw[array_position(v_raw, '--') + 1:]) as p
                                         where right(p, 1) = '/' or strpos(p, '*') > 0) then
      v_out := v_out || coord.guard_effect('git-discard', coalesce(nullif(v_paths, '{}'), array['(working tree)']));
    end if;
  elsif v_sub = 'switch' then
    if v_flags && array['--discard-changes', '-f', '--force'] then
      v_out := v_out || coord.guard_effect('git-discard', array['(working tree)']);
    end if;
  elsif v_sub = 'restore' then
    if (not v_flags && array['--staged', '-S'] or v_flags && array['--worktree', '-W'])
       and exists (select from unnest(v_args[2:]) as p where p in ('.', '*', ':/', './', ':/*', '..', './*', ':(top)')
                   or strpos(p, '*') > 0 or right(p, 1) = '/'
                   or exists (select from unnest(v_raw) as r where r = p || '/')) then
      v_out := v_out || coord.guard_effect('git-discard', v_args[2:]);
    elsif v_flags && array['--source', '-s'] and not v_flags && array['--staged', '-S'] then
      v_out := v_out || coord.guard_effect('git-discard', v_args[2:]);
    end if;
  elsif v_sub = 'clean' then
    if v_flags && array['-f', '--force'] then
      v_out := v_out || coord.guard_effect('git-discard', array['(untracked files)']);
    end if;
  elsif v_sub = 'stash' then
    if v_args[2] in ('drop', 'clear') then
      v_out := v_out || coord.guard_effect('git-discard', array['stash']);
    end if;
  elsif v_sub = 'branch' then
    if v_flags && array['-d'] and v_flags && array['-f'] or v_flags && array['-f'] and cardinality(v_args) >= 2 then
      -- a protected branch, or every branch a command lists, with unmerged work
      if exists (select from unnest(v_args[2:]) as b where b ~ v_protected)
         or v_flags && array['-d'] and exists (select from unnest(v_raw) as r where strpos(r, chr(30)) > 0) then
        v_out := v_out || coord.guard_effect('git-history', v_args[2:]);
      end if;
    end if;
  elsif v_sub in ('read-tree', 'checkout-index') then
    if v_sub = 'read-tree' and v_flags && array['--reset', '-u'] and v_flags && array['-u']
       or v_sub = 'checkout-index' and v_flags && array['-f', '--force'] and v_flags && array['-a', '--all'] then
      v_out := v_out || coord.guard_effect('git-discard', array['(working tree)']);
    end if;
  elsif v_sub in ('filter-branch', 'filter-repo', 'replace') and not v_flags && array['--analyze', '--dry-run', '-n', '--help'] then
    v_out := v_out || coord.guard_effect('git-history', array[v_sub]);
  elsif v_sub = 'reflog' then
    if v_args[2] = 'delete' or v_args[2] = 'expire' and exists (
         select from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
         where e.key in ('--expire', '--expire-unreachable') and x in ('now', 'all', '0', 'never' , '1.second.ago')) then
      v_out := v_out || coord.guard_effect('git-history', array['reflog']);
    elsif v_args[2] = 'expire' and v_flags && array['--expire', '--expire-unreachable', '--all'] then
      v_out := v_out || coord.guard_effect('git-history', array['reflog']);
    end if;
  elsif v_sub = 'gc' then
    if exists (select from jsonb_array_elements_text(coalesce(v_vals -> '--prune', '[]')) as x where x in ('now', 'all')) then
      v_out := v_out || coord.guard_effect('git-history', array['gc']);
    end if;
  elsif v_sub = 'prune' then
    v_out := v_out || coord.guard_effect('git-history', array['prune']);
  elsif v_sub = 'update-ref' then
    if v_flags && array['-d'] or cardinality(v_args) >= 3 and v_args[2] ~ v_protected then
      v_out := v_out || coord.guard_effect('git-history', v_args[2:2]);
    end if;
  elsif v_sub = 'rm' then
    if not v_flags && array['--cached'] then
      v_out := v_out || coord.guard_effect(case when v_flags && array['-r'] then 'delete-tree' else 'delete' end, v_args[2:]);
      -- -f removes files with changes nobody committed
      if v_flags && array['-f', '--force'] and v_flags && array['-r'] then
        v_out := v_out || coord.guard_effect('git-discard', v_args[2:]);
      end if;
    end if;
  elsif v_sub = 'add' then
    v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('copy', v_args[2:])) as e
                       where e -> 'c' ? 'credential');
  elsif v_sub = 'commit' then
    if v_flags && array['-n', '--no-verify'] then
      v_out := v_out || coord.guard_effect('git-unsafe', array['--no-verify']);
    end if;
  elsif v_sub = 'worktree' then
    if v_args[2] = 'remove' and v_flags && array['-f', '--force'] then
      v_out := v_out || coord.guard_effect('git-discard', v_args[3:]);
    end if;
  elsif v_sub = 'submodule' then
    if v_args[2] = 'deinit' and v_flags && array['-f', '--force', '--all'] then
      v_out := v_out || coord.guard_effect('git-discard', v_args[3:]);
    end if;
  elsif v_sub = 'config' then
    if not v_flags && array['--get', '--get-all', '--get-regexp', '-l', '--list', '--unset', '--unset-all', '--remove-section',
                            '--show-origin', '--get-urlmatch', '-e', '--edit']
       and cardinality(v_args) >= 3 and v_args[2] !~ '^(get|list|unset|remove-section|rename-section|edit)$' then
      v_pairs := v_pairs || (v_args[2] || '=' || array_to_string(v_args[3:], ' '));
    elsif v_args[2] = 'set' and cardinality(v_args) >= 4 then
      v_pairs := v_pairs || (v_args[3] || '=' || array_to_string(v_args[4:], ' '));
    end if;
    -- a token written into the configuration every repository reads
    if v_flags && array['--global', '--system'] and lower(coalesce(v_args[2], '')) ~ '^https?(\..*)?\.extraheader$'
       and lower(array_to_string(v_args[3:], ' ')) ~ '(authorization|bearer|token|private-token|basic )' then
      v_out := v_out || coord.guard_effect('git-unsafe', array[v_args[2]]);
    end if;
  end if;

  foreach v_kv in array v_pairs loop
    v_key := lower(split_part(v_kv, '=', 1));
    v_value := lower(substr(v_kv, strpos(v_kv, '=') + 1));
    if v_key in ('core.hookspath', 'core.fsmonitor', 'core.sshcommand', 'core.gitproxy', 'core.askpass',
                 'uploadpack.packobjectshook', 'diff.external', 'sequence.editor', 'gpg.program', 'gpg.ssh.program',
                 'include.path', 'core.pager', 'core.editor', 'http.proxy', 'https.proxy', 'http.sslcainfo', 'http.sslcapath')
       and not (v_key in ('core.pager', 'core.editor') and v_value ~ '^(less|more|vim?|nvim|nano|emacs|code( --wait)?|cat|delta|diff-so-fancy|bat)( .*)?$')
       -- git's own fsmonitor daemon, ssh with a key, the system's CA bundle
       and not (v_key = 'core.fsmonitor' and v_value in ('true', 'false', '1', '0'))
       and not (v_key = 'core.sshcommand' and v_value ~ '^ssh( +-[iFpl46] +[^ ;|&`$()]+| +-o +(identitiesonly|identityfile|port|user)=[^ ;|&`$()]+)*$')
       and not (v_key in ('http.sslcainfo', 'http.sslcapath') and v_value ~ '^/(etc/ssl|etc/pki|usr/local/share/ca-certificates|usr/share/ca-certificates|etc/ca-certificates)/')
       or v_key like 'includeif.%'
       or v_key ~ '^filter\.[^.]+\.(clean|smudge|process)$'
       or v_key ~ '^alias\.' and v_value like '!%' and v_value !~ '^!git( [^;|&`$()<>]*)?$'
       or v_key ~ '^remote\..*\.pushurl$'
       or v_key in ('gc.pruneexpire', 'gc.reflogexpire', 'gc.reflogexpireunreachable', 'gc.worktreepruneexpire') and v_value in ('now', '0', 'all', 'never')
       or v_key like 'credential%helper' and v_value !~ '^(cache( .*)?|osxkeychain|manager|manager-core|libsecret|wincred|gnome-keyring|)$'
       or v_key ~ '^(http|https)(\..*)?\.sslverify$' and v_value in ('false', '0', 'no', 'off')
       or v_key ~ '^(transfer|fetch|receive)\.fsckobjects$' and v_value in ('false', '0', 'no', 'off')
       or v_key ~ '^receive\.deny(nonfastforwards|deletes|currentbranch)$' and v_value in ('false', '0', 'no', 'off', 'ignore', 'warn', 'updateinstead')
       or v_key = 'safe.directory' and v_value in ('*', '''*''', '"*"')
       or v_key ~ '^remote\..*\.(url|pushurl)$' and v_value ~ '://|@'
          and v_value !~ '^(https://|git@|ssh://git@)?(github\.com|gitlab\.com|bitbucket\.org|dev\.azure\.com|ssh\.dev\.azure\.com)[:/]'
       or v_key ~ '^protocol\.([^.]+\.)?allow$' and v_value = 'always'
       or v_key ~ '^url\..*\.(insteadof|pushinsteadof)$'
          and v_key !~ '^url\.(https://|git@|ssh://git@)(github\.com|gitlab\.com|bitbucket\.org)[:/]' then
      v_out := v_out || coord.guard_effect('git-unsafe', array[v_key]);
    end if;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_git_effects(jsonb) is 'Guardrail effects of a git command: force pushes, protected-branch pushes, remote ref deletion, discarded work, rewritten history, unsafe configuration, release tags and deployment remotes.';
revoke all on function coord.guard_git_effects(jsonb) from public;
