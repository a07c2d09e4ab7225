-- What one simple command does to what: its guardrail effects [{"a": action, "t": target,
-- "c": classes}], from the parsed operation (coord.guard_parse) and what it is given (p_ctx:
-- {"in": what flows in (coord.guard_output_role), "paths": file names or process ids piped in,
-- "stdin": here-document text, "downloads": files fetched earlier in the same text, "cwd":
-- the working directory cd set, "cwd_alts": other directories the shell may be in, "depth": nesting}). Rules in authz.guardrails decide what each
-- (action, class) needs; this function only states facts:
--  * relative operands are resolved against the working directory (cd / && rm -rf * is /*);
--  * redirections write (>, >>) or read (<) their targets, and /dev/tcp/... is a socket;
--  * help and version flags, and dry runs, make a command only print;
--  * authz.guard_verbs says what tools do (publish, deploy, destroy, ...);
--  * file-system tools delete, write, copy, read or change permissions of their operands;
--  * kill, pkill and killall may kill everything; echo of a secret variable prints it;
--  * git, data flows (downloads, sockets, interpreters), supply-chain settings and Windows
--    shells have functions of their own.
create or replace function coord.guard_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_shells constant text[] := array['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish', 'rbash', 'tcsh', 'csh',
                                    'busybox', 'nu', 'elvish', 'xonsh'];
  v_readers constant text[] := array['cat', 'less', 'more', 'head', 'tail', 'bat', 'nl', 'tac', 'strings', 'xxd', 'od',
                                     'hexdump', 'hd', 'base64', 'base32', 'basenc', 'grep', 'egrep', 'fgrep', 'rg', 'ag',
                                     'ack', 'awk', 'sed', 'cut', 'sort', 'uniq', 'diff', 'cmp', 'jq', 'yq', 'vim', 'vi',
                                     'nvim', 'view', 'nano', 'emacs', 'subl', 'gedit', 'pico', 'ed', 'ex', 'paste', 'pr',
                                     'fold', 'fmt', 'column', 'look', 'zcat', 'zless', 'zmore', 'bzcat', 'xzcat', 'gpg',
                                     'openssl', 'sqlite3', 'xmllint', 'iconv', 'get-content', 'gc', 'type', 'sls',
                                     'select-string', 'findstr', 'certutil', 'tee', 'rev', 'expand', 'split', 'csplit',
                                     'mail', 'mailx', 'lp', 'lpr', 'pbcopy', 'xclip', 'xsel', 'wl-copy', 'clip', 'keytool',
                                     'plutil', 'sqlite', 'python', 'node', 'ruby', 'perl', 'php', 'cat-file', 'dos2unix',
                                     'jless', 'fx', 'glow', 'most', 'w3m', 'lynx', 'pygmentize', 'highlight', 'ccat', 'open',
                                     'xdg-open', 'rga', 'ugrep', 'bat', 'delta', 'vim.tiny', 'micro', 'hx', 'helix', 'kak'];
  v_no_read constant text[] := array['ls', 'dir', 'stat', 'file', 'test', '[', '[[', 'touch', 'mkdir', 'chmod', 'chown',
                                     'chgrp', 'wc', 'du', 'realpath', 'readlink', 'basename', 'dirname', 'which',
                                     'echo', 'printf', 'cd', 'pushd', 'ssh', 'ssh-add', 'sha256sum', 'md5sum',
                                     'sha1sum', 'sha512sum', 'b2sum', 'cksum', 'shasum', 'git', 'source', '.', 'export',
                                     'unset', 'trap', 'true', 'false', 'test-path', 'get-item', 'ssh-keygen', 'setfacl',
                                     'getfacl', 'lsattr', 'namei', 'tree', 'find', 'locate', 'fd', 'exa', 'eza', 'lsd', 'get-acl',
                                     'set-acl', 'test-path', 'resolve-path', 'get-itemproperty',
                                     'code', 'rm', 'shred', 'unlink', 'cp', 'mv', 'tee', 'truncate',
                                     'dd', 'tar', 'zip', 'rsync', 'scp', 'install', 'ln', 'curl', 'wget', 'nc', 'ncat',
                                     'socat', 'chattr', 'gpg', 'age', 'sops', 'direnv', 'trash', 'rmdir', 'mkfs', 'icacls',
                                     'takeown', 'attrib', 'cipher', 'sdelete', 'srm', 'wipe', ':', 'kill', 'sudo', 'su',
                                     'set-content', 'add-content', 'out-file', 'new-item', 'ni', 'copy-item', 'move-item',
                                     'remove-item', 'ri', 'compress-archive', '7z', '7za', 'rar', 'gzip', 'bzip2', 'xz',
                                     'zstd', 'cpio', 'sftp', 'ditto', 'copy', 'move', 'xcopy', 'robocopy', 'rclone',
                                     'del', 'erase', 'rd', 'chown', 'lsof', 'fuser', 'inotifywait', 'entr', 'watchexec'];
  v_secret_name constant text := '(secret|token|passw(or)?d|passwd|api_?key|apikey|private_?key|access_?key|credential|auth|database_url|_dsn$|^dsn$|connection_string|conn_str|mongo(db)?_uri|redis_url|amqp_url|webhook)';
  -- the tools each group of tool-specific conditions below names (one test skips a group)
  v_fs_progs constant text[] := array['rm', 'srm', 'unlink', 'shred', 'wipe', 'trash', 'trash-put', 'rmtrash',
              'gio', 'rimraf', 'rmrf', 'del-cli', 'premove', 'rm-rf', 'rmdir', 'rd', 'del', 'erase', 'find',
              'dd', 'fd', 'cp', 'mv', 'install', 'ln', 'rsync', 'scp', 'ditto', 'copy', 'move', 'xcopy',
              'robocopy', 'copy-item', 'move-item', 'cpi', 'mi', 'rclone', 'cp-item', 'tee', 'truncate',
              'out-file', 'fallocate', 'sed', 'perl', 'ruby', 'chmod', 'chown', 'chgrp', 'setfacl', 'tar',
              'zip', '7z', '7za', 'rar', 'gzip', 'bzip2', 'xz', 'zstd', 'cpio', 'compress-archive',
              'ssh-keygen', 'iptables', 'ip6tables', 'gpg', 'sqlite3', 'sqlite', 'duckdb', 'litecli', 'grubby',
              'kernelstub', 'bootctl', 'grub-editenv', 'nvram', 'bcdedit', 'efibootmgr', 'auditctl', 'yes',
              'cat', 'xterm', 'xdotool', 'kill', 'stop-process', 'spps', 'pkill', 'killall', 'taskkill',
              'skill', 'stop-service', 'spsv', 'echo', 'printf', 'write-output', 'write-host', 'print',
              'printenv', 'grep', 'egrep', 'rg', 'ag', 'ack', 'git-secrets', 'trufflehog', 'gitleaks',
              'findstr', 'select-string', 'sls', 'docker'];
  v_tool_progs constant text[] := array['java', 'dpkg', 'rpm', 'apt', 'apt-get', 'yum', 'dnf', 'zypper',
                'code', 'code-insiders', 'msiexec', 'installer', 'pip', 'npm', 'gem', 'mix', 'unzip',
                'hdiutil', 'open', 'snap', 'flatpak', 'apk', 'pacman', 'chmod', 'wine', 'mono', 'dotnet',
                'node', 'python', 'ruby', 'perl', 'php', 'bun', 'deno', 'add-appxpackage', 'cscript',
                'wscript', 'curl', 'wget', 'aria2c', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod',
                'certutil', 'bitsadmin', 'start-bitstransfer', 'awk', 'gawk', 'ex', 'vim', 'vi', 'nvim', '7z',
                '7za', 'fallocate', 'mkfile', 'truncate', 'mongosh', 'mongo', 'git', 'iptables', 'ip6tables',
                'heroku', 'kubectl', 'oc', 'sqlite3', 'duckdb', 'litecli', 'patch', 'touch', 'rails',
                'bin/rails', 'rake', 'artisan'];
  v_tail_progs constant text[] := array['save', '$env', 'perl', 'ruby', 'gpg', 'openssl', 'touch', 'setfacl',
                'docker'];
  v_prog text := p_op ->> 'prog';
  v_op jsonb := p_op;
  v_args text[];
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_words text[] := array(select jsonb_array_elements_text(p_op -> 'words'));
  v_raw text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words')));
  v_in text := p_ctx ->> 'in';
  v_cwd text := p_ctx ->> 'cwd';
  v_out jsonb := '[]';
  v_r jsonb;
  v_op_text text;
  v_t text;
  v_row record;
  v_argstr text;
  v_rest text[];
  v_n integer;
  v_w text;
  v_dest text;
  v_sources text[];
  v_recursive boolean;
  v_mode text;
  v_starts text[];
  v_names text[];
  v_x text;
  v_known boolean := false;
  v_git jsonb;
  v_resolved jsonb;  -- operands or redirections read from cd's directory
  v_rewrites jsonb;
  v_from_cwd text[] := '{}';  -- the names read from cd's directory above (operands, redirections, find's starts, rewrites)
begin
  -- the shell may be in one of several directories (a cd that may not run, CDPATH): the effects
  -- read from each (p_ctx cwd_alts; null: where the command starts)
  if jsonb_typeof(p_ctx -> 'cwd_alts') = 'array' and jsonb_array_length(p_ctx -> 'cwd_alts') > 0 then
    v_out := coord.guard_effects(p_op, p_ctx - 'cwd_alts');
    for v_r in select jsonb_array_elements(p_ctx -> 'cwd_alts') loop
      v_out := v_out || coord.guard_effects(p_op, case when jsonb_typeof(v_r) = 'string' then jsonb_set(p_ctx - 'cwd_alts', '{cwd}', v_r)
                                                       else p_ctx - 'cwd_alts' - 'cwd' end);
    end loop;
    return (select coalesce(jsonb_agg(e order by o), '[]')
            from (select e, min(o) as o from jsonb_array_elements(v_out) with ordinality as t (e, o) group by e) as d);
  end if;
  if v_prog is null or v_prog = '' then
    return v_out;
  end if;
  -- relative operands are relative to the directory cd chose earlier in the same text (a
  -- redirection's target whatever the program is); $PWD/x is one of them
  if v_cwd is not null then
    v_op := jsonb_set(jsonb_set(v_op, '{args}', coalesce((
      select jsonb_agg(to_jsonb(regexp_replace(a, '^(\$PWD|\$\{PWD\}|~\+)(/|$)', './')) order by x.o)
      from jsonb_array_elements_text(v_op -> 'args') with ordinality as x (a, o)), '[]')), '{redir}', coalesce((
      select jsonb_agg(jsonb_build_array(r ->> 0, regexp_replace(r ->> 1, '^(\$PWD|\$\{PWD\}|~\+)(/|$)', './')) order by x.o)
      from jsonb_array_elements(v_op -> 'redir') with ordinality as x (r, o)), '[]'));
    p_op := v_op;
  end if;
  if v_cwd is not null and (v_prog = any (v_readers) or v_prog in ('rm', 'srm', 'unlink', 'shred', 'wipe', 'trash', 'rmdir', 'rd',
                              'del', 'erase', 'cp', 'mv', 'install', 'ln', 'rsync', 'scp', 'tee', 'truncate', 'chmod', 'chown',
                              'chgrp', 'tar', 'zip', '7z', 'remove-item', 'ri', 'set-content', 'add-content', 'out-file',
                              'copy-item', 'move-item', 'mkfs', 'touch', 'http-server', 'serve', 'miniserve')) then
    select coalesce(jsonb_agg(to_jsonb(coalesce(y.resolved, y.a)) order by y.o), '[]'),
           coalesce(array_agg(y.resolved) filter (where y.resolved is not null), '{}')
    into v_resolved, v_from_cwd
    from (select x.a, x.o, case when x.a ~ '^[^/~$-]' and strpos(x.a, '://') = 0 and not (x.a ~ '^[A-Za-z0-9_.-]+@?[A-Za-z0-9_.-]*:')
                                then coord.guard_path(v_cwd || '/' || x.a) end as resolved
          from jsonb_array_elements_text(p_op -> 'args') with ordinality as x (a, o)) as y;
    v_op := jsonb_set(v_op, '{args}', v_resolved);
  end if;
  if v_cwd is not null then
    select coalesce(jsonb_agg(jsonb_build_array(y.r ->> 0, coalesce(y.resolved, y.r ->> 1)) order by y.o), '[]'),
           v_from_cwd || coalesce(array_agg(y.resolved) filter (where y.resolved is not null), '{}')
    into v_resolved, v_from_cwd
    from (select x.r, x.o, case when (x.r ->> 1) ~ '^[^/~$&0-9-]' then coord.guard_path(v_cwd || '/' || (x.r ->> 1)) end as resolved
          from jsonb_array_elements(p_op -> 'redir') with ordinality as x (r, o)) as y;
    v_op := jsonb_set(v_op, '{redir}', v_resolved);
  end if;
  v_args := array(select jsonb_array_elements_text(v_op -> 'args'));
  v_n := coalesce(cardinality(v_args), 0);

  -- redirections, whatever the command is
  for v_r in select jsonb_array_elements(v_op -> 'redir') loop
    v_op_text := v_r ->> 0;
    v_t := v_r ->> 1;
    if v_t like '/dev/tcp/%' or v_t like '/dev/udp/%' then
      -- a socket as a file: duplicated onto the shell's own streams (>&, <>, an interactive
      -- shell) it is a remote shell; written to, data leaves; a bare < only probes the port
      v_out := v_out || case when (strpos(v_op_text, '&') > 0 or strpos(v_op_text, '<>') > 0
                                   or v_prog = any (v_shells) and v_flags && array['-i']
                                   -- a shell reading from the socket, or writing to it with its other
                                   -- streams duplicated onto it (bash > /dev/tcp/h/p 0<&1 2>&1)
                                   or v_prog = any (v_shells) and (strpos(v_op_text, '<') > 0
                                      or exists (select from jsonb_array_elements(v_op -> 'redir') as d where strpos(d ->> 0, '&') > 0)))
                                  and (split_part(v_t, '/', 4) not in ('localhost', '127.0.0.1', '::1') or v_flags && array['-i'])
                             then coord.guard_effect('revshell', array[v_t])
                             when strpos(v_op_text, '>') > 0 then coord.guard_effect('send', array[v_t])
                             else '[]'::jsonb end;
    elsif v_op_text ~ '^[0-9]*(>|>>|>\||&>|&>>)$' and v_t !~ '^[0-9-]$' then
      v_out := v_out || coord.guard_effect('write', array[v_t]);
    elsif v_op_text ~ '^[0-9]*(<|<>)$' then
      -- <> opens the file for reading and writing (creating it)
      if strpos(v_op_text, '<>') > 0 and v_t !~ '^[0-9-]$' then
        v_out := v_out || coord.guard_effect('write', array[v_t]);
      end if;
      v_out := v_out || coord.guard_effect(case when v_prog in ('nc', 'ncat', 'socat', 'telnet', 'curl', 'ssh', 'mail',
                                                                'mailx', 'sendmail', 'openssl', 'sftp', 'ftp')
                                                then 'send' else 'read' end, array[v_t]);
    end if;
  end loop;

  -- help and version flags: the tool explains itself and changes nothing
  if v_flags && array['--help', '-help', '-?', '/?', '--usage']
     or v_args[1] in ('help', '--help') or (v_args[v_n] = 'help' and v_prog in ('aws', 'gcloud', 'az', 'gsutil'))
     or (v_flags && array['-h'] and v_prog in ('git', 'kubectl', 'helm', 'terraform', 'tofu', 'docker', 'npm', 'pnpm',
                                              'yarn', 'pip', 'cargo', 'gcloud', 'az', 'vercel', 'netlify', 'fly',
                                              'heroku', 'wrangler', 'firebase', 'pulumi', 'cdk', 'serverless', 'poetry',
                                              'uv', 'twine', 'gem', 'dotnet', 'aws', 'rm', 'shred', 'mkfs', 'dd', 'crontab',
                                              'systemctl', 'helmfile', 'argocd', 'flux', 'eksctl', 'doctl', 'rclone', 'ngrok'))
     or (v_flags <@ array['--version', '-v', '-V', '-version'] and v_flags <> '{}' and (v_n = 0 or v_n = 1 and v_args[1] = 'version')
         and v_op -> 'redir' = '[]' and v_prog not in ('rm', 'cp', 'mv', 'chmod', 'chown', 'tar', 'rsync', 'kill', 'pkill'))
     or v_n = 1 and v_args[1] = 'version' and v_flags = '{}' and v_prog not in ('kill', 'rm') then
    return v_out;
  end if;
  -- dry runs print what they would do
  if (v_flags && array['--dry-run', '--dryrun', '--simulate', '--noop', '--what-if', '-whatif', '--preview', '-dry-run',
                       '--just-print', '--recon', '--no-act', '--plan', '--check-only']
      and not coalesce((v_op -> 'vals' -> '--dry-run') ? 'none', false))
     or (v_flags && array['--check', '-C'] and v_prog in ('ansible', 'ansible-playbook', 'salt'))
     or (v_flags && array['-n'] and (v_prog in ('rsync', 'make')
                                      or v_prog = 'git' and v_args[1] in ('push', 'clean', 'rm', 'mv', 'add', 'prune',
                                                                         'reflog', 'gc', 'fetch', 'remote')))
     or (v_flags && array['-s', '--simulate'] and v_prog in ('apt', 'apt-get')) then
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
    -- a described subcommand: what the table says is all there is to it
    v_known := true;
    continue when v_row.action is null;
    if v_row.target in ('env', 'env-marked') then
      -- kustomize build overlays/prod | kubectl apply -f -: the environment is named upstream
      v_out := v_out || jsonb_build_array(jsonb_build_object(
        'a', v_row.action, 't', v_argstr,
        'c', jsonb_build_array(coord.guard_environment(
               jsonb_set(v_op, '{words}', (v_op -> 'words') || coalesce(p_ctx -> 'prev_words', '[]')),
               v_row.target = 'env-marked'))));
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
  if v_prog = any (v_fs_progs) then
    case
      when v_prog in ('rm', 'srm', 'unlink', 'shred', 'wipe', 'trash', 'trash-put', 'rmtrash', 'gio', 'rimraf', 'rmrf',
                      'del-cli', 'premove', 'rm-rf') then
        if v_prog = 'gio' then
          v_args := case when v_args[1] in ('trash', 'remove') then v_args[2:] else '{}' end;
        end if;
        -- rimraf and friends are rm -rf
        v_recursive := v_flags && array['-r', '-R', '--recursive'] or v_prog in ('rimraf', 'rmrf', 'del-cli', 'premove', 'rm-rf');
        if v_flags && array['--no-preserve-root'] then
          v_out := v_out || coord.guard_effect('delete-tree', array['/']);
        end if;
        if (coalesce(cardinality(v_args), 0) = 0 or v_args = array['$(...)']) and v_in is not null then
          -- xargs rm: the names come from the command before (coord.guard_unwrap: $(...))
          v_args := coalesce(array(select jsonb_array_elements_text(p_ctx -> 'paths')), '{}');
          if cardinality(v_args) = 0 and v_in not in ('text') then
            v_args := array['$(...)'];
          end if;
        end if;
        v_out := v_out || coord.guard_effect(case when v_recursive then 'delete-tree' else 'delete' end, v_args);
      when v_prog in ('rmdir', 'rd') then
        v_out := v_out || coord.guard_effect(case when v_words && array['/s'] then 'delete-tree' else 'delete' end,
                                             array(select w from unnest(v_args) as w where w !~ '^/[A-Za-z]$'));
      when v_prog in ('del', 'erase') then
        v_out := v_out || coord.guard_effect(case when v_flags && array['/s'] then 'delete-tree' else 'delete' end, v_args);
      when v_prog = 'find' then
        v_starts := array(select w from unnest(v_words) with ordinality as x (w, o)
                          where x.o < coalesce((select min(y.o) from unnest(v_words) with ordinality as y (w, o)
                                                where left(y.w, 1) in ('-', '(', '!')), 1000000)
                          order by x.o);
        if cardinality(v_starts) = 0 then
          v_starts := array[coalesce(v_cwd, '.')];
        elsif v_cwd is not null then
          v_starts := array(select case when s ~ '^[^/~$]' then coord.guard_path(v_cwd || '/' || s) else s end from unnest(v_starts) as s);
          v_from_cwd := v_from_cwd || v_starts;
        end if;
        v_names := array(select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o)
                         where x.w in ('-name', '-iname', '-path', '-ipath'));
        -- -fprint FILE, -fprint0 FILE, -fprintf FILE FORMAT and -fls FILE truncate and write FILE
        if v_words && array['-fprint', '-fprint0', '-fprintf', '-fls'] then
          v_out := v_out || coord.guard_effect('write', array(select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o)
                                                              where x.w in ('-fprint', '-fprint0', '-fprintf', '-fls')
                                                                and v_words[x.o + 1] is not null));
        end if;
        v_x := (select regexp_replace(lower(v_words[x.o + 1]), '^.*/', '') from unnest(v_words) with ordinality as x (w, o)
                where x.w in ('-exec', '-execdir', '-ok', '-okdir') limit 1);
        -- a program the shell decides (find / -exec r? -rf {} +): the most harmful it could be
        if v_x is not null and v_x ~ '[][*?$(]' then
          v_x := coalesce((select q.p from unnest(array['rm', 'shred', 'unlink', 'chmod', 'chown', 'truncate', 'tee', 'cp', 'dd'])
                                           with ordinality as q (p, o)
                           where q.p = any (coord.guard_dynamic_program(v_x)) order by q.o limit 1), v_x);
        end if;
        if v_words && array['-delete'] or v_x in ('rm', 'shred', 'unlink', 'srm', 'wipe') then
          -- a test narrows what goes only when it is not negated (-not -path './.git*' keeps
          -- little) and says more than a file type (-type f is every file)
          v_out := v_out || coord.guard_effect(
            case when exists (select from unnest(v_words) with ordinality as x (w, o)
                              where x.w in ('-name', '-iname', '-path', '-ipath', '-regex', '-iregex', '-newer', '-mtime',
                                            '-mmin', '-size', '-empty', '-user', '-perm', '-links', '-inum', '-samefile',
                                            '-atime', '-ctime', '-amin', '-cmin', '-newermt', '-group', '-nouser', '-wholename',
                                            '-iwholename', '-lname', '-ilname', '-used')
                                and coalesce(v_words[x.o - 1], '') not in ('-not', '!'))
                 then 'delete-matching' else 'delete-tree' end,
            array(select s from unnest(v_starts) as s where s not in ('/tmp', '/var/tmp')));
          v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('delete', v_names)) as e
                             where e -> 'c' ?| array['credential', 'history', 'persistence', 'git']);
        end if;
        if v_x in ('chmod', 'chown', 'chgrp') then
          v_out := v_out || coord.guard_effect('perms-tree', v_starts);
        elsif v_x in ('truncate', 'tee', 'sed', 'cp', 'dd') then
          v_out := v_out || coord.guard_effect('write', v_starts)
                         || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('write', v_names)) as e
                             where e -> 'c' ?| array['credential', 'history', 'persistence', 'system']);
        elsif v_x is not null and (v_x = any (v_readers) or v_x in ('cp', 'tar', 'zip', 'scp', 'curl')) then
          v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('read', v_names)) as e
                             where e -> 'c' ? 'credential');
        end if;
      when v_prog = 'dd' then
        if v_words && array['if=/dev/zero', 'if=/dev/urandom', 'if=/dev/random'] and not exists (select from unnest(v_words) as w where w like 'count=%') then
          v_out := v_out || coord.guard_effect('disk-fill', array['disk']);
        end if;
        foreach v_w in array v_words loop
          if v_w like 'of=%' then
            v_out := v_out || coord.guard_effect('write', array[substr(v_w, 4)]);
          elsif v_w like 'if=%' then
            v_out := v_out || coord.guard_effect('read', array[substr(v_w, 4)]);
          end if;
        end loop;
      when v_prog = 'fd' then
        -- fd PATTERN [PATH] -x/-X CMD: the command runs on what fd finds below PATH
        v_x := regexp_replace(lower(coalesce(v_op -> 'vals' -> '-x' ->> 0, v_op -> 'vals' -> '-X' ->> 0,
                                             v_op -> 'vals' -> '--exec' ->> 0, v_op -> 'vals' -> '--exec-batch' ->> 0, '')), '^.*/', '');
        v_starts := coalesce(nullif(v_args[2:2], '{}'), array[coalesce(v_cwd, '.')]);
        if split_part(v_x, ' ', 1) in ('rm', 'shred', 'unlink') then
          v_out := v_out || coord.guard_effect(case when v_args[1] in ('.', '') then 'delete-tree' else 'delete-matching' end, v_starts);
        elsif split_part(v_x, ' ', 1) in ('chmod', 'chown') then
          v_out := v_out || coord.guard_effect('perms-tree', v_starts);
          if v_x ~ ' (0?[0-7]?[0-7][0-7][2367]|[ugo]*[ao][ugo]*[+=][rwxXst]*w)( |$)' then
            v_out := v_out || coord.guard_effect('perms-open', v_starts);
          end if;
        end if;
      when v_prog in ('cp', 'mv', 'install', 'ln', 'rsync', 'scp', 'ditto', 'copy', 'move', 'xcopy', 'robocopy',
                      'copy-item', 'move-item', 'cpi', 'mi', 'rclone', 'cp-item') then
        v_dest := coalesce(v_op -> 'vals' -> '-t' ->> 0, v_op -> 'vals' -> '--target-directory' ->> 0,
                           (select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o) where x.w = '-destination' limit 1),
                           case when v_n >= 2 then v_args[v_n] end);
        v_sources := case when v_op -> 'vals' ?| array['-t', '--target-directory'] or v_words && array['-destination'] then
                            array(select a from unnest(v_args) as a where a <> v_dest)
                          when v_n >= 2 then v_args[1:v_n - 1] else v_args end;
        if v_prog = 'rclone' then
          v_sources := v_sources[2:];
        end if;
        if v_prog = 'ln' then
          if v_dest is not null then
            v_out := v_out || coord.guard_effect('write', array[v_dest]);
          end if;
        elsif coalesce('remote' = any (coord.guard_classify(v_dest)), false) then
          v_out := v_out || coord.guard_effect('send', v_sources);
          -- copying into a production server's web root or application directory deploys there; a
          -- mirror that deletes what the source lacks (rsync --delete) does on any server
          if substring(v_dest from ':(.*)$') ~ '^(/var/www|/srv|/opt|/usr/share/nginx|/usr/local/www|/home/[^/]+/(www|public_html|app|apps)|/var/lib/tomcat)'
             and (split_part(v_dest, ':', 1) ~* '(^|[^a-z])(prod|production|prd|live)([^a-z]|$)'
                  or v_prog = 'rsync' and v_flags && array['--delete', '--delete-after', '--delete-before', '--delete-during', '--del']) then
            v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', v_dest, 'c', jsonb_build_array(
                       case when split_part(v_dest, ':', 1) ~* '(^|[^a-z])(prod|production|prd|live)([^a-z]|$)' then 'production' else 'unknown-env' end)));
          end if;
        else
          v_out := v_out || coord.guard_effect(case when v_prog in ('mv', 'move', 'move-item', 'mi') then 'delete-tree'
                                                    else 'copy' end, v_sources);
          -- the destination, and the file a source becomes inside it when it is a directory;
          -- .env made from .env.example holds no secret yet
          if v_dest is not null and not (cardinality(v_sources) > 0 and not exists (
               select from unnest(v_sources) as s where lower(s) !~ '[._-](example|sample|template|dist|defaults|tpl)$')) then
            v_out := v_out || coord.guard_effect('write', array[v_dest] || array(
              select v_dest || '/' || regexp_replace(s, '^.*/', '') from unnest(v_sources) as s where s !~ '/$' and s <> ''));
          end if;
        end if;
        if v_prog = 'rsync' and v_flags && array['--delete', '--delete-after', '--delete-before', '--delete-during',
                                                   '--delete-excluded', '--del', '--delete-delay'] then
          v_out := v_out || coord.guard_effect('delete-tree', array[v_dest]);
        end if;
        if v_prog = 'rsync' and v_flags && array['--remove-source-files'] then
          v_out := v_out || coord.guard_effect('delete', v_sources);
        end if;
        if v_prog = 'robocopy' and v_words && array['/mir', '/purge'] then
          v_out := v_out || coord.guard_effect('delete-tree', array[v_args[2]]);
        end if;
        if v_prog = 'install' and coalesce(v_op -> 'vals' -> '-m' ->> 0, v_op -> 'vals' -> '--mode' ->> 0, '') ~ '^0*[2467][0-7]{3}$|s' then
          v_out := v_out || coord.guard_effect('setuid', array[v_dest]);
        end if;
      when v_prog in ('tee', 'truncate', 'out-file', 'fallocate') then
        v_out := v_out || coord.guard_effect('write', case when v_prog in ('truncate', 'fallocate')
                                                             then array(select a from unnest(v_args) as a where a !~ '^[+-]?[0-9]+[KMGTkmgt]?[Bb]?$')
                                                             else v_args end);
      when v_prog in ('sed', 'perl', 'ruby') and v_flags && array['-i', '--in-place'] then
        v_out := v_out || coord.guard_effect('write', case when v_prog = 'sed' and not (v_op -> 'vals' ?| array['-e', '--expression', '-f'])
                                                             then v_args[2:] else v_args end);
      when v_prog in ('chmod', 'chown', 'chgrp', 'setfacl') then
        v_recursive := v_flags && array['-R', '--recursive'];
        v_mode := case when v_prog = 'chmod' and not (v_op -> 'vals' ? '--reference') then v_args[1] end;
        v_rest := case when v_prog = 'setfacl' or v_op -> 'vals' ? '--reference' then v_args else v_args[2:] end;
        -- a glob changes many files at once, like a recursive change
        v_out := v_out || coord.guard_effect(case when v_recursive or exists (select from unnest(v_rest) as r where strpos(r, '*') > 0)
                                                  then 'perms-tree' else 'perms' end, v_rest);
        if v_mode ~ '^0*[0-7]?[0-7][0-7][2367]$' or v_mode ~ '(^|,)[ugo]*[ao][ugo]*[+=][rwxXst]*w' then
          v_out := v_out || coord.guard_effect('perms-open', v_rest);
        elsif v_mode ~ '^0*[0-7]?[0-7][4-7][0-7]$|^0*[0-7]?[0-7][0-7][4-7]$' or v_mode ~ '(^|,)[ugo]*[aog][ugo]*[+=][rwxXst]*r' then
          -- a key others may read
          v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('perms-open', v_rest)) as e
                             where e -> 'c' ? 'credential');
        end if;
        if v_mode ~ '^0*[2467][0-7]{3}$' or v_mode ~ '(^|,)[ugoa]*[+=][rwxX]*s' then
          v_out := v_out || coord.guard_effect('setuid', v_rest);
        end if;
        -- the mode of /tmp (1777) or of another world-writable file copied over
        if v_op -> 'vals' -> '--reference' ->> 0 in ('/tmp', '/var/tmp', '/dev/shm', '/tmp/') then
          v_out := v_out || coord.guard_effect('perms-open', v_rest);
        end if;
      when v_prog in ('tar', 'zip', '7z', '7za', 'rar', 'gzip', 'bzip2', 'xz', 'zstd', 'cpio', 'compress-archive') then
        if v_prog = 'tar' and (v_flags && array['-x', '--extract', '--get'] or v_args[1] ~ '^[A-Za-z]*x') then
          v_w := coalesce(v_op -> 'vals' -> '-C' ->> 0, v_op -> 'vals' -> '--directory' ->> 0);
          if v_w is not null then
            v_out := v_out || coord.guard_effect('write', array[v_w]);
          end if;
        else
          v_out := v_out || coord.guard_effect('copy', v_args);
        end if;
      when v_prog = 'ssh-keygen' then
        -- generating a key onto an existing one needs a "y" to overwrite: answered on stdin it
        -- replaces the key; -y, -l, -F, -R only read or look up
        if v_op -> 'vals' ? '-f' and not v_flags && array['-y', '-l', '-F', '-R', '-B', '-L', '-Q'] and v_in in ('text', 'other') then
          v_out := v_out || coord.guard_effect('write', array(select jsonb_array_elements_text(v_op -> 'vals' -> '-f')));
        end if;
      when v_prog in ('iptables', 'ip6tables') then
        if exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-j', '[]')) as j where upper(j) in ('DNAT', 'REDIRECT', 'SNAT', 'MASQUERADE', 'TPROXY')) then
          v_out := v_out || coord.guard_effect('network-change', array['nat']);
        end if;
        if exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-P', v_op -> 'vals' -> '--policy', '[]')) as j)
           and upper(coalesce(v_args[v_n], '')) = 'ACCEPT' then
          v_out := v_out || coord.guard_effect('security-off', array['policy accept']);
        end if;
      when v_prog = 'gpg' and v_flags && array['-d', '--decrypt'] then
        v_out := v_out || coord.guard_effect('read', v_args);
      when v_prog in ('sqlite3', 'sqlite', 'duckdb', 'litecli') then
        -- a database file of the system's security (TCC.db) or of secrets (a browser's Login Data)
        v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('write', v_args[1:1])) as e
                           where e -> 'c' ?| array['security', 'system', 'privilege'])
                       || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('read', v_args[1:1])) as e
                           where e -> 'c' ? 'credential');
      when v_prog in ('grubby', 'kernelstub', 'bootctl', 'grub-editenv', 'nvram', 'bcdedit', 'efibootmgr') then
        if exists (select from unnest(v_raw) as w where w ~* '(selinux=0|apparmor=0|enforcing=0|audit=0|security=none|sig_enforce=0|lockdown=none|mitigations=off|amfi_get_out_of_my_way|cs_enforcement_disable|testsigning|nointegritychecks|integrity|boot-args)') then
          v_out := v_out || coord.guard_effect('security-off', array[v_prog]);
        end if;
      when v_prog = 'auditctl' then
        if exists (select from unnest(v_raw) as w where w ~ '^(never|-D|-e)' or w ~ 'never,') then
          v_out := v_out || coord.guard_effect('security-off', array['audit rules']);
        end if;
      when v_prog in ('fallocate', 'yes', 'cat') and v_prog <> 'cat' or v_prog = 'cat' and v_args && array['/dev/zero', '/dev/urandom', '/dev/random'] then
        -- filling a disk: a huge file, or zeros without end into a file
        if v_prog = 'fallocate' and exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-l', v_op -> 'vals' -> '--length', '[]')) as l
                                            where l ~* '^[0-9]+(\.[0-9]+)?[gtpe]' and (substring(l from '^[0-9]+')::bigint >= 20 or l ~* '[tpe]'))
           or v_prog in ('yes', 'cat') and exists (select from jsonb_array_elements(v_op -> 'redir') as r where r ->> 0 ~ '>') then
          v_out := v_out || coord.guard_effect('disk-fill', array['disk']);
        end if;
      when v_prog in ('xterm', 'xdotool') and v_op -> 'vals' ? '-display' or v_prog = 'xterm' and v_raw && array['-display'] then
        v_out := v_out || coord.guard_effect('revshell', array['remote display']);
      when v_prog in ('kill', 'stop-process', 'spps', 'pkill', 'killall', 'taskkill', 'skill', 'stop-service', 'spsv') then
        v_out := v_out || coord.guard_kill_effects(v_op, p_ctx);
      when v_prog in ('echo', 'printf', 'write-output', 'write-host', 'print', 'printenv') then
        -- printing a secret variable shows it; ${!name} prints any variable by name
        if exists (select from unnest(v_raw) as r where r ~ '\$\{!'
                   or regexp_replace(r, '\$\{#?[A-Za-z0-9_]+:\+[^}]*\}|\$\{#[A-Za-z0-9_]+\}', '', 'g') ~* ('\$\{?[A-Za-z0-9_]*' || v_secret_name))
           or v_prog = 'printenv' and exists (select from unnest(v_args) as a where a ~* v_secret_name)
           or exists (select from unnest(v_raw) as r where r ~* '\$env:[a-z0-9_]*(secret|token|password|key)') then
          v_out := v_out || coord.guard_effect('secret-dump', array['$SECRET']);
        end if;
      when v_prog in ('grep', 'egrep', 'rg', 'ag', 'ack', 'git-secrets', 'trufflehog', 'gitleaks', 'findstr', 'select-string', 'sls') then
        -- hunting for keys and tokens across a home directory or the whole disk
        if exists (select from unnest(v_raw) as r
                   where r ~* '(akia|asia|begin [a-z ]*private key|ghp_|gho_|github_pat|xox[abp]-|sk-[a-z0-9]|sk_live|aiza|password *=|secret_?key|aws_secret|private_key|api[_-]?key|bearer )')
           and exists (select from jsonb_array_elements(coord.guard_effect('read', v_args)) as e
                       where e -> 'c' ?| array['home', 'root', 'system', 'home-data', 'credential']) then
          v_out := v_out || coord.guard_effect('read', array['(secrets in ' || array_to_string(v_args, ' ') || ')'])
                         || jsonb_build_array(jsonb_build_object('a', 'read', 't', 'secret patterns', 'c', jsonb_build_array('credential')));
        end if;
      when v_prog = 'docker' and v_args[1] in ('run', 'create', 'container') then
        -- the host's root, system trees, home, secrets or the docker socket mounted into a container
        if exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-v', '[]') || coalesce(v_op -> 'vals' -> '--mount', '[]')) as m
                   cross join lateral coalesce(substring(m from '(?:source|src)=([^,]+)'), split_part(m, ':', 1)) as src
                   where src like '/var/run/docker.sock%' or src like '/run/docker.sock%'
                      or coord.guard_classify(coord.guard_path(src)) && array['root', 'system', 'home', 'credential', 'device', 'privilege']) then
          v_out := v_out || coord.guard_effect('container-privileged', array['host mount']);
        end if;
        if exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-e', '[]')) as e
                   where e ~* '^POSTGRES_HOST_AUTH_METHOD=trust|^MYSQL_ALLOW_EMPTY_PASSWORD=|^ALLOW_EMPTY_PASSWORD=yes|^xpack\.security\.enabled=false|^DISABLE_SECURITY_PLUGIN=true|^plugins\.security\.disabled=true|^discovery\.type=single-node.*xpack|^RABBITMQ_DEFAULT_PASS=guest')
           and exists (select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-p', '[]')) as p where p like '0.0.0.0:%' or p !~ '^127\.') then
          v_out := v_out || coord.guard_effect('network-expose', array['open database']);
        end if;
      else
        null;
    end case;
  end if;

  -- reading files whose contents leave with the output (secrets shown to the agent)
  if v_prog = any (v_readers) and not v_prog = any (v_no_read) then
    v_out := v_out || coord.guard_effect('read', case when v_prog in ('awk', 'sed', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'jq', 'yq', 'findstr')
                                                         and not (v_op -> 'vals' ?| array['-e', '-f', '--regexp', '--file', '--expression'])
                                                      then v_args[2:]
                                                      when v_prog in ('python', 'node', 'ruby', 'perl', 'php') then '{}'::text[]
                                                      else v_args end);
  elsif not v_prog = any (v_no_read) and not v_prog = any (v_shells) and cardinality(v_args) > 0 then
    -- any other program handed a secret file uses it in a way nobody reviewed
    v_out := v_out || (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(coord.guard_effect('use', v_args)) as e
                       where e -> 'c' ? 'credential');
  end if;

  -- an interactive shell started as root (sudo bash, sudo -u root /bin/sh, pkexec sh)
  if coalesce((p_ctx ->> 'root')::boolean, false) and (v_prog = any (v_shells) or v_prog in ('su', 'python', 'perl', 'ruby', 'node'))
     and v_in is null and v_n = 0 and not (v_op -> 'vals' ?| array['-c', '-e', '-E', '-r']) and not v_flags && array['-c', '-s'] then
    v_out := v_out || coord.guard_effect('privesc', array['root shell']);
  end if;

  -- tool-specific effects: every condition below names its tools, so other tools skip them
  if v_prog = any (v_tool_progs) then
    -- a file downloaded earlier in the same text, installed or run by a tool
    if v_prog in ('java', 'dpkg', 'rpm', 'apt', 'apt-get', 'yum', 'dnf', 'zypper', 'code', 'code-insiders', 'msiexec', 'installer',
                  'pip', 'npm', 'gem', 'mix', 'unzip', 'hdiutil', 'open', 'snap', 'flatpak', 'apk', 'pacman', 'chmod', 'wine', 'mono',
                  'dotnet', 'node', 'python', 'ruby', 'perl', 'php', 'bun', 'deno', 'add-appxpackage', 'cscript', 'wscript')
       and exists (select from unnest(v_args || array(select jsonb_array_elements_text(v_op -> 'vals' -> '-jar'))
                                      || array(select jsonb_array_elements_text(v_op -> 'vals' -> '--install-extension'))) as a
                   where a <> '' and (a = any (array(select jsonb_array_elements_text(coalesce(p_ctx -> 'downloads', '[]'))))
                                      or regexp_replace(a, '^.*[/\\]', '') = any (array(select jsonb_array_elements_text(coalesce(p_ctx -> 'downloads', '[]'))))))
       and v_prog <> 'chmod' then
      v_out := v_out || coord.guard_effect('exec-remote', array['(downloaded file)']);
    end if;

    -- what a download writes (curl -o f, wget -O f, Invoke-WebRequest -OutFile f)
    if v_prog in ('curl', 'wget', 'aria2c', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod', 'certutil', 'bitsadmin', 'start-bitstransfer') then
      v_out := v_out || coord.guard_effect('write', array(select f from unnest(coord.guard_downloads(v_op - 'redir')) as f
                                                          where strpos(f, '/') > 0 or strpos(f, '\') > 0));
    end if;

    -- editing files in place without an editor: awk -i inplace, ex/vim scripts that write
    if v_prog in ('awk', 'gawk') and coalesce(v_op -> 'vals' -> '-i' ->> 0, '') = 'inplace' then
      v_out := v_out || coord.guard_effect('write', v_args[2:]);
    end if;
    if v_prog in ('ex', 'vim', 'vi', 'nvim') and exists (
         select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-c', '[]') || coalesce(v_op -> 'vals' -> '-sc', '[]')
                                               || coalesce(v_op -> 'vals' -> '+', '[]')) as c
         where c ~ '(^|\|)\s*:?(w|wq|x|wq!|x!|w!|update|wall|xall|saveas)\s*(!|$|\|)') then
      v_out := v_out || coord.guard_effect('write', v_args);
    end if;
    -- archives unpacked into a directory write there
    if v_prog in ('unzip', '7z', '7za') then
      v_x := coalesce(v_op -> 'vals' -> '-d' ->> 0, (select substr(w, 3) from unnest(v_words) as w where w ~ '^-o.' limit 1));
      if v_x is not null then
        v_out := v_out || coord.guard_effect('write', array[v_x]);
      end if;
    end if;
    -- a file as large as a disk
    if v_prog in ('fallocate', 'mkfile', 'truncate') and exists (
         select from unnest(v_words) as w
         where w ~* '^[0-9]+(\.[0-9]+)?([TPE]|[TPE]i?B?)$' or w ~* '^[0-9]+(\.[0-9]+)?(G|Gi?B?)$' and substring(w from '^[0-9]+')::numeric >= 50
            or w ~* '^--(length|size)=[0-9]+(\.[0-9]+)?([TPE]|G)') then
      v_out := v_out || coord.guard_effect('disk-fill', array['disk']);
    end if;

    -- document databases: destructive code handed to their shells
    if v_prog in ('mongosh', 'mongo') and exists (
         select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '--eval', '[]') || coalesce(to_jsonb(p_ctx ->> 'stdin'), '[]')) as c
         where c ~* '(dropdatabase|\.drop\(|deletemany\(\s*\{\s*\}|remove\(\s*\{\s*\}|updatemany\(\s*\{\s*\}|dropuser|dropallusers|shutdownserver|dropindexes|\.renamecollection\(|(runcommand|admincommand)\(\s*\{\s*(drop|shutdown|fsync|replsetreconfig|setparameter|killop|killallsessions|dropconnections)|fsynclock)') then
      v_out := v_out || coord.guard_effect('db-destroy', array['--eval']);
    end if;

    -- git push fed refspecs that start with a colon (... | awk '{print ":"$2}' | xargs git push origin)
    if v_prog = 'git' and v_args[1] = 'push' and v_in is not null and exists (
         select from jsonb_array_elements_text(coalesce(p_ctx -> 'prev_words', '[]')) as w
         where w ~ '(":"|'':''|s/\^/:|s/\^/\\?:|printf +[''"]?:|echo +[''"]?:)') then
      v_out := v_out || coord.guard_effect('git-ref-delete', array['(refspecs piped in)']);
    end if;
    -- a firewall rule for a whole chain without a match: every packet dropped (the network cut
    -- off) or accepted (the firewall off)
    if v_prog in ('iptables', 'ip6tables') and not v_flags && array['-s', '-d', '-p', '--source', '--destination', '--protocol',
                                                                      '--dport', '--sport', '-m', '--match', '-i', '-o',
                                                                      '--in-interface', '--out-interface'] then
      v_x := upper(coalesce(v_op -> 'vals' -> '-A' ->> 0, v_op -> 'vals' -> '-I' ->> 0, v_op -> 'vals' -> '--append' ->> 0,
                            v_op -> 'vals' -> '--insert' ->> 0, ''));
      v_t := upper(coalesce(v_op -> 'vals' -> '-j' ->> 0, v_op -> 'vals' -> '--jump' ->> 0, ''));
      if v_x in ('OUTPUT', 'INPUT', 'FORWARD') and v_t in ('DROP', 'REJECT') then
        v_out := v_out || coord.guard_effect('network-change', array[v_x]);
      elsif v_x in ('INPUT', 'FORWARD') and v_t = 'ACCEPT' then
        v_out := v_out || coord.guard_effect('security-off', array[v_x]);
      end if;
    end if;
    -- heroku pipelines:promote sends what staging runs to production
    if v_prog = 'heroku' and v_args[1] ~ '^pipelines:promote' then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', 'pipelines:promote', 'c', jsonb_build_array('production')));
    end if;
    -- a remote manifest applied, a pod with the host's namespaces
    if v_prog in ('kubectl', 'oc') and v_args[1] in ('apply', 'create', 'replace') and exists (
         select from jsonb_array_elements_text(coalesce(v_op -> 'vals' -> '-f', '[]') || coalesce(v_op -> 'vals' -> '--filename', '[]')) as f
         where f ~* '^https?://' and f !~* '^https://(raw\.githubusercontent\.com|github\.com)/(kubernetes|kubernetes-sigs|cert-manager|jetstack|argoproj|fluxcd|istio|cilium|projectcalico|prometheus-operator|kyverno|open-policy-agent|rancher|metallb|kedacore|knative|tektoncd|aws|Azure|GoogleCloudPlatform)/') then
      v_out := v_out || coord.guard_effect('exec-remote', array['remote manifest']);
    end if;
    if v_prog in ('kubectl', 'oc') and v_args[1] in ('run', 'create', 'debug') and exists (
         select from unnest(v_words) as w
         where w ~* '"(privileged|hostPID|hostNetwork|hostIPC|allowPrivilegeEscalation)"\s*:\s*true|"hostPath"\s*:|--privileged(=true)?$') then
      v_out := v_out || coord.guard_effect('container-privileged', array['pod']);
    end if;
    -- git checkout/restore of whatever a command lists (git diff --name-only | xargs git checkout --)
    if v_prog = 'git' and v_args[1] in ('checkout', 'co', 'restore')
       and (exists (select from unnest(v_args[2:]) as a where a like '%$(...)%')
            or v_in in ('paths', 'other', 'text') and not exists (select from unnest(v_args[2:]) as a where a <> '--')) then
      v_out := v_out || coord.guard_effect('git-discard', array['(files listed at run time)']);
    end if;
    -- git clean -i answered with c: clean everything it lists
    if v_prog = 'git' and v_args[1] = 'clean' and (v_flags && array['-i', '--interactive'] or exists (select from unnest(v_words) as w where w ~ '^-[a-z]*i'))
       and coalesce(p_ctx ->> 'stdin', '') ~* '^\s*(c|clean|[*])' then
      v_out := v_out || coord.guard_effect('git-discard', array['(untracked files)']);
    end if;
    -- sqlite3 FILE 'DELETE ...': the statement writes that file
    if v_prog in ('sqlite3', 'duckdb', 'litecli') and cardinality(v_args) >= 2
       and v_args[2] ~* '^\s*(delete|update|drop|insert|vacuum|alter|replace|truncate)\s' then
      v_out := v_out || coord.guard_effect('write', v_args[1:1]);
    end if;
    -- patch FILE and touch FILE write it
    if v_prog = 'patch' and not v_flags && array['--dry-run', '-C', '--check'] then
      v_out := v_out || coord.guard_effect('write', v_args[1:1]);
    elsif v_prog = 'touch' then
      v_out := v_out || coord.guard_effect('write', v_args);
    end if;
    -- ORM code run against the application's database (rails runner, artisan tinker)
    if (v_prog in ('rails', 'bin/rails', 'rake') and v_args[1] = 'runner' or v_prog in ('php', 'artisan') and 'tinker' = any (v_args))
       and exists (select from unnest(v_raw) as r
                   where r ~* '(\.(delete_all|destroy_all|update_all|truncate|forcedelete|delete)\(?|::truncate\(|drop_table|db::statement\([''"]?\s*(drop|truncate|delete))') then
      v_out := v_out || coord.guard_effect('db-destroy', array[v_prog]);
    end if;
  end if;
  -- a command run on a production host over ssh changes production (reading does not)
  if p_ctx ? 'remote' and (p_ctx ->> 'remote') ~* '(^|[^a-z])(prod|production|prd|live)([^a-z]|$)'
     and v_prog not in ('ls', 'cat', 'tail', 'head', 'less', 'grep', 'ps', 'df', 'du', 'uptime', 'journalctl', 'free', 'top',
                        'who', 'w', 'date', 'hostname', 'uname', 'echo', 'true', 'test', 'which', 'id', 'whoami', 'pwd',
                        'stat', 'wc', 'find', 'env', 'printenv', 'cd', 'exit', 'dmesg', 'ss', 'netstat', 'ip', 'lsblk', 'mount')
     and not (v_prog = 'systemctl' and v_args[1] in ('status', 'is-active', 'list-units', 'show', 'cat'))
     and not (v_prog in ('docker', 'kubectl') and v_args[1] in ('ps', 'logs', 'get', 'describe', 'images', 'top', 'stats', 'inspect'))
     and not (v_prog = 'git' and v_args[1] in ('status', 'log', 'diff', 'show', 'rev-parse', 'branch')) then
    v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', p_ctx ->> 'remote', 'c', jsonb_build_array('production')));
  end if;
  if v_prog = any (v_tail_progs) or v_prog = any (v_shells) then
    -- nushell: save writes its target; $env printed is the environment
    if v_prog = 'save' then
      v_out := v_out || coord.guard_effect('write', v_args[1:1]);
    elsif v_prog = '$env' and coalesce(cardinality(v_args), 0) = 0 then
      v_out := v_out || coord.guard_effect('env-dump', array['$env']);
    end if;
    -- perl -n / -p, ruby -n / -p, awk with a program: the files named after the code are read
    if v_prog in ('perl', 'ruby') and (v_flags && array['-n', '-p'] or exists (select from unnest(v_words) as w where w ~ '^-[a-zA-Z]*[np][a-zA-Z]*$')) then
      v_out := v_out || coord.guard_effect('read', array(select a from unnest(v_args) as a where a !~ '^-'));
    end if;
    -- gpg -o FILE, openssl -out FILE write that file
    if v_prog in ('gpg', 'openssl') then
      v_out := v_out || coord.guard_effect('write', array(select jsonb_array_elements_text(
                          coalesce(v_op -> 'vals' -> '-o', '[]') || coalesce(v_op -> 'vals' -> '--output', '[]') || coalesce(v_op -> 'vals' -> '-out', '[]'))));
      if v_prog = 'gpg' and exists (select from unnest(v_words) with ordinality as x (w, o) where x.w in ('-o', '--output') and v_words[x.o + 1] is not null) then
        v_out := v_out || coord.guard_effect('write', array(select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o) where x.w in ('-o', '--output')));
      end if;
    end if;
    -- timestamps set on system files, keys or start-up files hide a change
    if v_prog = 'touch' and (v_flags && array['-r', '-d', '-t', '--date', '--reference'] or v_op -> 'vals' ?| array['-r', '-d', '-t', '--date', '--reference']) then
      v_out := v_out || (select coalesce(jsonb_agg(jsonb_build_object('a', 'history-tamper', 't', e ->> 't', 'c', e -> 'c')), '[]')
                         from jsonb_array_elements(coord.guard_effect('write', v_args)) as e
                         where e -> 'c' ?| array['system', 'credential', 'persistence', 'privilege', 'security', 'history']);
    end if;
    -- ACLs that let another user read or write a key or a system file
    if v_prog = 'setfacl' and (v_flags && array['-m', '-M', '--modify'] or v_op -> 'vals' ?| array['-m', '--modify'])
       and exists (select from unnest(v_words) as w where w ~ '^(u|g|o|m|user|group|other|mask):[^:]*:[r-]?w?') then
      v_out := v_out || (select coalesce(jsonb_agg(jsonb_build_object('a', 'perms-open', 't', e ->> 't', 'c', e -> 'c')), '[]')
                         from jsonb_array_elements(coord.guard_effect('perms', v_args)) as e
                         where e -> 'c' ?| array['system', 'credential', 'privilege', 'security', 'root', 'home']);
    end if;
    -- docker kill / rm -f / stop fed the ids of every container
    if v_prog = 'docker' and v_args[1] in ('kill', 'stop', 'rm', 'rmi') and cardinality(v_args) = 1 and v_in = 'pids' then
      v_out := v_out || coord.guard_effect('container-destroy', array['(every container)']);
    end if;
    -- a shell started as root with nothing to run is a root shell
    if (p_ctx ->> 'root')::boolean and v_prog = any (v_shells) and coalesce(cardinality(v_args), 0) = 0
       and not (v_op -> 'vals' ?| array['-c', '--command']) and not v_flags && array['-c'] then
      v_out := v_out || coord.guard_effect('privesc', array['root shell']);
    end if;
  end if;

  -- domains with their own knowledge
  if v_prog = 'git' then
    v_git := coord.guard_git_effects(v_op);
    -- git -C DIR reads the paths it is given from DIR
    if v_op -> 'vals' ? '-C' and v_git @? '$[*] ? (@.a == "write" || @.a == "delete" || @.a == "delete-tree")' then
      v_git := (select coalesce(jsonb_agg(case when e ->> 'a' in ('write', 'delete', 'delete-tree') and e ->> 't' ~ '^[^/~$(]'
                                               then coord.guard_effect(e ->> 'a', array[coord.guard_path((v_op -> 'vals' -> '-C' ->> 0) || '/' || (e ->> 't'))]) -> 0
                                               else e end), '[]')
                from jsonb_array_elements(v_git) as e);
    end if;
    -- the working-tree files it writes, for the leases (the top of the tree, :/, read from cd there)
    v_out := v_out || v_git || coord.guard_git_writes(v_op, p_ctx);
  end if;
  -- (operands as written: it reads them from cwd itself)
  v_rewrites := coord.guard_rewrite_effects(p_op, p_ctx);
  if v_cwd is not null and v_rewrites <> '[]' then
    v_from_cwd := v_from_cwd || array(select e ->> 't' from jsonb_array_elements(v_rewrites) as e);
  end if;
  v_out := v_out || v_rewrites;
  v_out := v_out || coord.guard_flow_effects(v_op, p_ctx) || coord.guard_supply_effects(v_op)
                 || coord.guard_generic_effects(v_op, p_ctx || jsonb_build_object('known', v_known));
  if strpos(v_prog, '-') > 1 and v_prog ~ '^[a-z]+-[a-z]' or v_prog in ('iex', 'iwr', 'irm', 'powershell', 'cmd', 'reg', 'ri', 'del', 'erase', 'rd',
                                           'start-process', 'saps', 'start', 'ni', 'ac', 'rp', 'winrm', 'certutil',
                                           'bitsadmin', 'icacls', 'takeown', 'cacls') then
    v_out := v_out || coord.guard_windows_effects(v_op, p_ctx);
  end if;
  -- a test database may be reset (RAILS_ENV=test, -e test, dropdb app_test); read-only modules
  -- and listings change nothing
  if v_out @> '[{"a": "db-destroy"}]'
     and ((p_ctx ->> 'test_env')::boolean
          or array_to_string(v_words, ' ') ~* '(^| )(-e|-E|--env|--environment)( |=)(test|testing)( |$)'
          or v_prog in ('dropdb', 'createdb') and v_args[cardinality(v_args)] ~* '([_-]test(ing)?|^test[_-][a-z0-9_]+)$') then
    v_out := (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(v_out) as e where e ->> 'a' <> 'db-destroy');
  end if;
  if v_prog = 'ansible' and coalesce(v_op -> 'vals' -> '-m' ->> 0, (select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o) where x.w in ('-m', '--module-name') limit 1), '')
                             in ('setup', 'ping', 'gather_facts', 'debug', 'stat', 'service_facts', 'package_facts', 'ansible.builtin.setup', 'ansible.builtin.ping') then
    v_out := (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(v_out) as e where e ->> 'a' <> 'deploy');
  end if;
  if v_prog in ('kubectl', 'oc') and v_args[1] = 'get' and coalesce(v_op -> 'vals' -> '-o' ->> 0, v_op -> 'vals' -> '--output' ->> 0, '') in ('name', 'wide') then
    v_out := (select coalesce(jsonb_agg(e), '[]') from jsonb_array_elements(v_out) as e where e ->> 'a' <> 'secret-dump');
  end if;
  -- what a tool writes by a name it was given other than as an operand read from cd above (dd of=,
  -- patch FILE, gpg -o, git rm, a path in inline code) is read from the directory cd chose too: a
  -- relative target not already below it (a name below a directory of the same name is taken as
  -- read already; git's top of the tree, :/..., coord.guard_git_writes read from it). A target
  -- that is, or lies below, a name read from cd above (an operand, a redirection, find's start,
  -- what guard_rewrite_effects wrote) was read already, also where it left cd's directory (cd sub
  -- && touch ../b writes b, not sub/b; gzip ../f writes f.gz).
  if v_cwd is not null and v_cwd !~ '^\.?/?$'
     and v_out @? '$[*] ? ((@.a == "write" || @.a == "delete" || @.a == "delete-tree" || @.a == "delete-matching"
                         || @.a == "perms" || @.a == "perms-tree")
                         && @.t like_regex "^[^/~$(]")' then
    v_out := (select coalesce(jsonb_agg(case when e ->> 'a' in ('write', 'delete', 'delete-tree', 'delete-matching', 'perms', 'perms-tree')
                                                  and e ->> 't' ~ '^[^/~$(]' and e ->> 't' !~ '(^|/):/'
                                                  and e ->> 't' <> v_cwd and left(e ->> 't', char_length(v_cwd) + 1) <> v_cwd || '/'
                                                  and not exists (select from unnest(v_from_cwd) as r
                                                                  where e ->> 't' = r or starts_with(e ->> 't', r || '/'))
                                             then coord.guard_effect(e ->> 'a', array[coord.guard_path(v_cwd || '/' || (e ->> 't'))]) -> 0
                                             else e end order by x.o), '[]')
              from jsonb_array_elements(v_out) with ordinality as x (e, o));
  end if;
  -- a command run on another machine or in a container (ssh, docker/kubectl exec) changes files
  -- there: class elsewhere, which no lease here names
  if p_ctx ? 'remote' or (p_ctx ->> 'elsewhere')::boolean then
    v_out := (select coalesce(jsonb_agg(case when e ->> 'a' in ('write', 'delete', 'delete-tree', 'perms', 'perms-tree')
                                             then jsonb_set(e, '{c}', coalesce(e -> 'c', '[]') || '["elsewhere"]') else e end), '[]')
              from jsonb_array_elements(v_out) as e);
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_effects(jsonb, jsonb) is 'Guardrail effects of one parsed command: [{a: action, t: target, c: classes}] from redirections, authz.guard_verbs, file-system tools, kill, secret variables, git, data flows (downloads, secrets, shells, sockets), interpreters, supply-chain settings and Windows shells; relative operands are resolved against cd; help, version and dry-run flags make a command harmless.';
revoke all on function coord.guard_effects(jsonb, jsonb) from public;
