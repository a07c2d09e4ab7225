-- What one simple command does to what: its guardrail effects [{"a": action, "t": target,
-- "c": classes}], from the parsed operation (coord.guard_parse) and what flows into it
-- (p_ctx: {"in": download|decode|secret|env|shell|paths|text, "paths": [...], "downloads":
-- [files fetched earlier in the same text], "depth": nesting}). Rules in authz.guardrails
-- decide what each (action, class) needs; this function only states facts:
--  * redirections write (>, >>) or read (<) their targets, and /dev/tcp/... is a socket;
--  * help, version and dry-run flags make a command do nothing but print;
--  * authz.guard_verbs says what tools do (publish, deploy, destroy, ...);
--  * file-system tools delete, write, copy, read or change permissions of their operands;
--  * git, network tools, interpreters and Windows shells have functions of their own.
create or replace function coord.guard_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_shells constant text[] := array['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish', 'rbash', 'tcsh', 'csh',
                                    'busybox'];
  v_readers constant text[] := array['cat', 'less', 'more', 'head', 'tail', 'bat', 'nl', 'tac', 'strings', 'xxd', 'od',
                                     'hexdump', 'hd', 'base64', 'base32', 'basenc', 'grep', 'egrep', 'fgrep', 'rg', 'ag',
                                     'ack', 'awk', 'sed', 'cut', 'sort', 'uniq', 'diff', 'cmp', 'jq', 'yq', 'vim', 'vi',
                                     'nvim', 'view', 'nano', 'emacs', 'code', 'subl', 'gedit', 'pico', 'ed', 'ex',
                                     'paste', 'pr', 'fold', 'fmt', 'column', 'look', 'zcat', 'zless', 'zmore', 'bzcat',
                                     'xzcat', 'gpg', 'openssl', 'sqlite3', 'xmllint', 'iconv', 'dos2unix', 'unix2dos',
                                     'tr', 'wc', 'md5sum', 'sha1sum', 'sha256sum', 'cksum', 'file', 'stat', 'get-content',
                                     'gc', 'type', 'sls', 'select-string', 'findstr', 'certutil', 'dd', 'tee', 'rev',
                                     'expand', 'unexpand', 'split', 'csplit', 'mail', 'mailx', 'sendmail', 'lp', 'lpr',
                                     'pbcopy', 'xclip', 'xsel', 'wl-copy', 'clip', 'ssh-keygen', 'keytool', 'plutil',
                                     'defaults', 'sqlite', 'python', 'node', 'ruby', 'perl', 'php', 'source', '.'];
  v_no_read constant text[] := array['ls', 'dir', 'stat', 'file', 'test', '[', '[[', 'touch', 'mkdir', 'chmod', 'chown',
                                     'chgrp', 'wc', 'du', 'realpath', 'readlink', 'basename', 'dirname', 'which',
                                     'type', 'echo', 'printf', 'cd', 'pushd', 'ssh', 'ssh-add', 'sha256sum', 'md5sum',
                                     'git', 'source', '.', 'export', 'unset', 'trap', 'true', 'false', 'test-path',
                                     'get-item', 'ssh-keygen', 'setfacl', 'getfacl', 'lsattr', 'namei', 'tree', 'find',
                                     'locate', 'fd', 'exa', 'eza', 'lsd', 'open', 'xdg-open', 'code'];
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_words text[] := array(select jsonb_array_elements_text(p_op -> 'words'));
  v_in text := p_ctx ->> 'in';
  v_out jsonb := '[]';
  v_r jsonb;
  v_op text;
  v_t text;
  v_row record;
  v_argstr text;
  v_rest text[];
  v_n integer;
  v_i integer;
  v_w text;
  v_dest text;
  v_sources text[];
  v_recursive boolean;
  v_mode text;
  v_starts text[];
begin
  if v_prog is null or v_prog = '' then
    return v_out;
  end if;
  v_n := coalesce(cardinality(v_args), 0);

  -- redirections, whatever the command is
  for v_r in select jsonb_array_elements(p_op -> 'redir') loop
    v_op := v_r ->> 0;
    v_t := v_r ->> 1;
    if v_t ~ '^/dev/(tcp|udp)/' then
      v_out := v_out || coord.guard_effect(case when v_prog = any (v_shells) or v_op ~ '&|<' then 'revshell' else 'send' end,
                                           array[v_t]);
    elsif v_op ~ '^[0-9]*(>|>>|>\||&>|&>>)$' and v_t !~ '^[0-9-]$' then
      v_out := v_out || coord.guard_effect('write', array[v_t]);
    elsif v_op ~ '^[0-9]*(<|<>)$' then
      v_out := v_out || coord.guard_effect(case when v_prog in ('nc', 'ncat', 'socat', 'telnet', 'curl', 'ssh', 'mail',
                                                                'mailx', 'sendmail', 'openssl')
                                                then 'send' else 'read' end, array[v_t]);
    end if;
  end loop;

  -- help and version flags: the tool explains itself and changes nothing
  if v_flags && array['--help', '--version', '-help', '-?', '/?', '--usage']
     or v_args[1] in ('help', '--help') or (v_args[v_n] = 'help' and v_prog in ('aws', 'gcloud', 'az', 'gsutil'))
     or (v_flags && array['-h'] and v_prog in ('git', 'kubectl', 'helm', 'terraform', 'tofu', 'docker', 'npm', 'pnpm',
                                              'yarn', 'pip', 'cargo', 'gh', 'gcloud', 'az', 'vercel', 'netlify', 'fly',
                                              'heroku', 'wrangler', 'firebase', 'pulumi', 'cdk', 'serverless', 'poetry',
                                              'uv', 'twine', 'gem', 'dotnet', 'aws', 'rm', 'shred', 'mkfs', 'dd', 'crontab',
                                              'systemctl', 'helmfile', 'argocd', 'flux', 'eksctl', 'doctl', 'rclone'))
     or (v_flags && array['-v', '-V'] and v_n = 0 and v_prog not in ('rm', 'cp', 'mv', 'chmod', 'chown', 'tar', 'rsync')) then
    return v_out;
  end if;
  -- dry runs print what they would do
  if (v_flags && array['--dry-run', '--dryrun', '--simulate', '--noop', '--what-if', '-whatif', '--preview', '-dry-run',
                       '--just-print', '--recon', '--no-act', '--plan']
      and not coalesce((p_op -> 'vals' -> '--dry-run') ? 'none', false))
     or (v_flags && array['--check', '-C'] and v_prog in ('ansible', 'ansible-playbook'))
     or (v_flags && array['-n'] and (v_prog in ('rsync', 'make', 'rm') and v_prog <> 'rm'
                                      or v_prog = 'git' and v_args[1] in ('push', 'clean', 'rm', 'mv', 'add', 'prune',
                                                                         'reflog', 'gc', 'fetch', 'remote')))
     or (v_flags && array['-s'] and v_prog in ('apt', 'apt-get')) then
    return v_out;
  end if;

  -- what tools do, from the table
  v_argstr := lower(array_to_string(v_args, ' '));
  for v_row in select (x ->> 'args') as args, (x ->> 'action') as action, (x ->> 'target') as target,
                      case when jsonb_typeof(x -> 'flags_any') = 'array' then array(select jsonb_array_elements_text(x -> 'flags_any')) end as flags_any,
                      case when jsonb_typeof(x -> 'flags_none') = 'array' then array(select jsonb_array_elements_text(x -> 'flags_none')) end as flags_none
               from jsonb_array_elements(coord.guard_verb_map() -> v_prog) as x loop
    continue when v_row.flags_any is not null and not (v_flags && v_row.flags_any);
    continue when v_row.flags_none is not null and v_flags && v_row.flags_none;
    continue when v_row.args is not null and not (v_argstr ~ v_row.args);
    if v_row.target in ('env', 'env-marked') then
      v_out := v_out || jsonb_build_array(jsonb_build_object(
        'a', v_row.action, 't', v_argstr,
        'c', jsonb_build_array(coord.guard_environment(p_op, v_row.target = 'env-marked'))));
    elsif v_row.target = 'rest' then
      v_rest := array(select a from unnest(v_args) with ordinality as x (a, o)
                      where x.o > coalesce(cardinality(regexp_split_to_array(
                                             nullif(substring(v_argstr from v_row.args), ''), ' ')), 0)
                      order by x.o);
      v_out := v_out || coord.guard_effect(v_row.action, v_rest);
    else
      v_out := v_out || coord.guard_effect(v_row.action);
    end if;
  end loop;

  -- file-system tools
  case
    when v_prog in ('rm', 'srm', 'unlink', 'shred', 'wipe', 'trash', 'trash-put', 'rmtrash') then
      v_recursive := v_flags && array['-r', '-R', '--recursive'] or v_prog in ('srm', 'wipe') and v_flags && array['-r'];
      if v_flags && array['--no-preserve-root'] then
        v_out := v_out || coord.guard_effect('delete-tree', array['/']);
      end if;
      if v_n = 0 and v_in = 'paths' then
        v_args := array(select jsonb_array_elements_text(p_ctx -> 'paths'));
      end if;
      v_out := v_out || coord.guard_effect(case when v_recursive then 'delete-tree' else 'delete' end, v_args);
    when v_prog in ('rmdir', 'rd') then
      v_out := v_out || coord.guard_effect(case when v_words && array['/s', '/S'] then 'delete-tree' else 'delete' end,
                                           array(select w from unnest(v_args) as w where w !~ '^/[A-Za-z]$'));
    when v_prog in ('del', 'erase') then
      v_out := v_out || coord.guard_effect(case when v_flags && array['/s'] then 'delete-tree' else 'delete' end, v_args);
    when v_prog = 'find' then
      v_starts := array(select w from unnest(v_words) with ordinality as x (w, o)
                        where x.o < coalesce((select min(y.o) from unnest(v_words) with ordinality as y (w, o)
                                              where y.w ~ '^[-(!]'), 1000000)
                        order by x.o);
      if cardinality(v_starts) = 0 then
        v_starts := array['.'];
      end if;
      if v_words && array['-delete'] or exists (
           select from unnest(v_words) with ordinality as x (w, o)
           where x.w in ('-exec', '-execdir', '-ok', '-okdir')
             and regexp_replace(lower(v_words[x.o + 1]), '^.*/', '') in ('rm', 'shred', 'unlink', 'srm', 'wipe')) then
        v_out := v_out || coord.guard_effect(
          case when v_words && array['-name', '-iname', '-path', '-ipath', '-regex', '-iregex', '-newer', '-mtime',
                                     '-mmin', '-size', '-empty', '-user', '-perm', '-links', '-inum', '-samefile']
               then 'delete-matching' else 'delete-tree' end, v_starts);
      end if;
      if exists (select from unnest(v_words) with ordinality as x (w, o)
                 where x.w in ('-exec', '-execdir') and regexp_replace(lower(v_words[x.o + 1]), '^.*/', '')
                                                        in ('chmod', 'chown', 'chgrp')) then
        v_out := v_out || coord.guard_effect('perms-tree', v_starts);
      end if;
    when v_prog = 'dd' then
      foreach v_w in array v_words loop
        if v_w like 'of=%' then
          v_out := v_out || coord.guard_effect('write', array[substr(v_w, 4)]);
        elsif v_w like 'if=%' then
          v_out := v_out || coord.guard_effect('read', array[substr(v_w, 4)]);
        end if;
      end loop;
    when v_prog in ('cp', 'mv', 'install', 'ln', 'rsync', 'scp', 'sftp', 'ditto', 'copy', 'move', 'xcopy', 'robocopy',
                    'copy-item', 'move-item', 'cpi', 'mi', 'rclone') then
      v_dest := coalesce(p_op -> 'vals' -> '-t' ->> 0, p_op -> 'vals' -> '--target-directory' ->> 0,
                         p_op -> 'vals' -> '-destination' ->> 0, case when v_n >= 2 then v_args[v_n] end);
      v_sources := case when p_op -> 'vals' ? '-t' or p_op -> 'vals' ? '--target-directory' then v_args
                        when v_n >= 2 then v_args[1:v_n - 1] else v_args end;
      if v_prog = 'rclone' then
        v_sources := v_sources[2:];
      end if;
      if v_prog = 'ln' then
        if v_dest is not null then
          v_out := v_out || coord.guard_effect('write', array[v_dest]);
        end if;
      elsif coalesce('remote' = any (coord.guard_classify(v_dest)), false)
            or v_prog in ('scp', 'sftp') and v_dest ~ '^[^/]*:' then
        v_out := v_out || coord.guard_effect('send', v_sources);
      else
        v_out := v_out || coord.guard_effect(case when v_prog in ('mv', 'move', 'move-item', 'mi') then 'delete'
                                                  else 'copy' end, v_sources)
                       || coord.guard_effect('write', array[v_dest]);
      end if;
      if v_prog = 'rsync' and v_flags && array['--delete', '--delete-after', '--delete-before', '--delete-during',
                                                 '--delete-excluded', '--del', '--delete-delay'] then
        v_out := v_out || coord.guard_effect('delete-tree', array[v_dest]);
      end if;
      if v_prog = 'rsync' and v_flags && array['--remove-source-files'] then
        v_out := v_out || coord.guard_effect('delete', v_sources);
      end if;
      if v_prog = 'robocopy' and v_words && array['/mir', '/MIR', '/purge', '/PURGE'] then
        v_out := v_out || coord.guard_effect('delete-tree', array[v_args[2]]);
      end if;
    when v_prog in ('tee', 'truncate', 'set-content', 'add-content', 'out-file', 'sc', 'ac', 'new-item', 'ni') then
      v_out := v_out || coord.guard_effect('write', case when v_prog = 'truncate'
                                                           then array(select a from unnest(v_args) as a where a !~ '^[+-]?[0-9]+[KMGkmg]?$')
                                                           else v_args end);
    when v_prog in ('sed', 'perl', 'ruby') and v_flags && array['-i', '--in-place'] then
      v_out := v_out || coord.guard_effect('write', case when v_prog = 'sed' and not (p_op -> 'vals' ? '-e' or p_op -> 'vals' ? '--expression')
                                                           then v_args[2:] else v_args end);
    when v_prog in ('chmod', 'chown', 'chgrp', 'setfacl') then
      v_recursive := v_flags && array['-R', '--recursive', '-r'];
      v_mode := case when v_prog = 'chmod' and not (p_op -> 'vals' ? '--reference') then v_args[1] end;
      v_rest := case when v_prog = 'setfacl' or p_op -> 'vals' ? '--reference' then v_args else v_args[2:] end;
      v_out := v_out || coord.guard_effect(case when v_recursive then 'perms-tree' else 'perms' end, v_rest);
      if v_mode ~ '^0*[0-7]?[0-7][0-7][2367]$' or v_mode ~ '(^|,)[ugo]*[ao][ugo]*[+=][rwxXst]*w' then
        v_out := v_out || coord.guard_effect('perms-open', v_rest);
      end if;
      if v_mode ~ '^0*[2467][0-7]{3}$' or v_mode ~ '(^|,)[ugoa]*[+=][rwxX]*s' then
        v_out := v_out || coord.guard_effect('setuid', v_rest);
      end if;
    when v_prog in ('tar', 'zip', '7z', '7za', 'rar', 'gzip', 'bzip2', 'xz', 'zstd', 'cpio', 'compress-archive') then
      if v_prog = 'tar' and (v_flags && array['-x', '--extract', '--get'] or v_args[1] ~ '^[A-Za-z]*x') then
        v_w := coalesce(p_op -> 'vals' -> '-C' ->> 0, p_op -> 'vals' -> '--directory' ->> 0);
        if v_w is not null then
          v_out := v_out || coord.guard_effect('write', array[v_w]);
        end if;
      else
        v_out := v_out || coord.guard_effect('copy', v_args);
      end if;
    else
      null;
  end case;

  -- reading files whose contents leave with the output (secrets shown to the agent)
  if v_prog = any (v_readers) and not v_prog = any (v_no_read) then
    v_out := v_out || coord.guard_effect('read', case when v_prog in ('awk', 'sed', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'jq', 'yq')
                                                         and not (p_op -> 'vals' ?| array['-e', '-f', '--regexp', '--file', '--expression'])
                                                      then v_args[2:] else v_args end);
  elsif not v_prog = any (v_no_read) and v_prog not in ('rm', 'shred', 'unlink', 'cp', 'mv', 'tee', 'truncate', 'chmod',
                                                         'chown', 'dd', 'find', 'tar', 'zip', 'rsync', 'scp', 'install', 'ln',
                                                         'curl', 'wget', 'git', 'nc', 'ncat', 'socat', 'ssh', 'ssh-add') then
    -- any other program handed a secret file uses it in a way nobody reviewed
    v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('use', v_args)) as e
                       where e -> 'c' ? 'credential');
  end if;

  -- document databases: destructive code handed to their shells
  if v_prog in ('mongosh', 'mongo') and exists (
       select from jsonb_array_elements_text(coalesce(p_op -> 'vals' -> '--eval', '[]')) as c
       where c ~* '(dropdatabase|\.drop\(|deletemany\(\s*\{\s*\}|remove\(\s*\{\s*\}|updatemany\(\s*\{\s*\}|dropuser|dropallusers|shutdownserver|dropindexes|\.renamecollection\(|db\.runcommand\(\s*\{\s*(drop|shutdown)|fsynclock)') then
    v_out := v_out || coord.guard_effect('db-destroy', array['--eval']);
  end if;

  -- domains with their own knowledge
  if v_prog = 'git' then
    v_out := v_out || coord.guard_git_effects(p_op);
  end if;
  v_out := v_out || coord.guard_flow_effects(p_op, p_ctx);
  if v_prog ~ '^[a-z]+-[a-z]' or v_prog in ('iex', 'iwr', 'irm', 'powershell', 'cmd', 'reg', 'rm', 'ri', 'del', 'erase',
                                           'rd', 'start-process', 'saps', 'start') then
    v_out := v_out || coord.guard_windows_effects(p_op, p_ctx);
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_effects(jsonb, jsonb) is 'Guardrail effects of one parsed command: [{a: action, t: target, c: classes}] from redirections, authz.guard_verbs, file-system tools, git, data flows (downloads, secrets, shells, sockets), interpreters and Windows shells; help, version and dry-run flags make a command harmless.';
revoke all on function coord.guard_effects(jsonb, jsonb) from public;
