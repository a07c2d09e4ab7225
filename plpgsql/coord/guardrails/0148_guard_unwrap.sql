-- Guardrail normalizer, step 2: peel wrappers off one simple command until the command that
-- really runs is in front. Returns a JSON array of what to check:
--   {"w": [words]}   a simple command (parsed by coord.guard_parse)
--   {"sh": text}     shell text to lex and check again (sh -c, bash -lc, eval, su -c, ssh host
--                    cmd, watch, find -exec, kubectl/docker (compose) exec, salt cmd.run,
--                    ansible -a, vim -c :!cmd, cmd /c, powershell -Command ("win": true),
--                    a shell reading a here-document or piped-in echo text, what git runs besides
--                    itself (coord.guard_git_command); "elsewhere": true when it
--                    runs in a container, whose files no lease here names)
--   {"sql": text}    SQL to check (psql -c, mysql -e, sqlite3 db "...", clickhouse-client -q,
--                    cqlsh -e, SQL fed on stdin)
--   {"exec": text}   a command whose output is run (bash <(curl ...), python3 <(curl ...),
--                    $(curl ...) in command position): checked as "text | sh"
-- Wrappers removed: keywords (if then do else while until ! { time), NAME=value prefixes,
-- sudo, doas, pkexec, env, nohup, nice, ionice, chrt, taskset, timeout, stdbuf, unbuffer,
-- strace, ltrace, flock, command, exec, builtin, busybox, xargs (with piped-in echo words
-- appended), setsid, unshare, nsenter, fakeroot, chroot DIR, runuser, systemd-run, proxychains,
-- torsocks, firejail, catchsegv, and the package runners that run a tool (npx, pnpm dlx/exec,
-- yarn dlx, bunx, bundle exec, poetry/uv/pdm/pipenv/hatch/rye run, pipx run, python -m MOD).
-- A command run through sudo, doas, pkexec or runuser is marked "root": true (a shell started
-- so is a root shell). systemd-run with timers stays a command of its own too. A wrapper with
-- nothing after it is itself the command (env, sudo -i).
create or replace function coord.guard_unwrap(p_words text[], p_stdin text default null, p_windows boolean default false)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_shells constant text[] := array['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish', 'rbash', 'tcsh', 'csh', 'nu',
                                    'elvish', 'xonsh', 'yash', 'oksh', 'loksh', 'posh'];
  v_interpreters constant text[] := array['python', 'python2', 'python3', 'perl', 'ruby', 'node', 'php', 'lua', 'pwsh',
                                          'powershell', 'deno', 'bun', 'julia', 'rscript', 'r', 'groovy', 'scala', 'elixir',
                                          'ghc', 'guile', 'luajit', 'jrunscript', 'jshell', 'tclsh', 'irb', 'ipython', 'tsx',
                                          'ts-node', 'esno'];
  w text[] := p_words;
  v_items jsonb := '[]';
  v_name text;
  v_raw text;
  v_n integer;
  v_i integer;
  v_guard integer := 0;
  v_x text;
  v_values text[];
  v_skip integer;
  v_cmd boolean;
  v_start integer;
  v_wrapper text;
  v_root boolean := false;
  v_detached boolean := false;
begin
  loop
    v_guard := v_guard + 1;
    v_n := coalesce(cardinality(w), 0);
    exit when v_n = 0 or v_guard > 40;
    v_raw := w[1];
    -- a substitution in command position runs whatever it prints
    if left(v_raw, 1) = chr(30) and right(v_raw, 1) = chr(31) then
      v_x := substr(v_raw, 2, char_length(v_raw) - 2);
      if v_x ~ '^\s*(which|command -v|type -P|type -p|echo|printf)\s+[^\s;|&]+\s*$' then
        w[1] := regexp_replace(v_x, '^\s*(which|command -v|type -P|type -p|echo|printf)\s+([^\s;|&]+)\s*$', '\2');
        continue;
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('exec', v_x));
    end if;
    -- brace expansion in command position: {rm,-rf,/}, r{m,} (rm r)
    if left(v_raw, 1) = '{' and right(v_raw, 1) = '}' and strpos(v_raw, ',') > 0 and v_raw !~ '[{}].*[{}].*[{}]' then
      w := string_to_array(substr(v_raw, 2, char_length(v_raw) - 2), ',') || w[2:];
      continue;
    end if;
    if strpos(v_raw, '{') > 0 and strpos(v_raw, ',') > 0 and strpos(v_raw, '${') = 0
       and cardinality(coord.guard_expand(v_raw)) > 1 then
      w := array(select x from unnest(coord.guard_expand(v_raw)) as x where x <> '') || w[2:];
      continue;
    end if;
    -- ${NAME:-word}, ${NAME=word}, ${NAME:+word} ... in command position: when NAME is unset
    -- (or set, for +) the word runs; what NAME holds is as unknown as a plain $NAME
    if v_raw ~ '^\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=+][^}]*\}$' then
      w := array(select x from regexp_split_to_table(btrim(regexp_replace(substring(v_raw from '^\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=+]([^}]*)\}$'),
                                                                          '[''"]', '', 'g')), '\s+') as x where x <> '')
           || w[2:];
      continue;
    end if;
    -- NAME=value prefixes (before the base name is taken: a value may hold a /)
    if strpos(v_raw, '=') > 1 and split_part(v_raw, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$' then
      if v_wrapper is not null then
        v_items := v_items || jsonb_build_array(jsonb_build_object('assign', v_raw));
      end if;
      w := w[2:];
      continue;
    end if;
    v_name := v_raw;
    -- (string functions before regular expressions on this path: see coord.guard_path)
    if ltrim(v_name, '/') <> '' and (strpos(v_name, '/') > 0 or p_windows and strpos(v_name, '\') > 0) then
      v_name := regexp_replace(v_name, case when p_windows then '^.*[/\\]' else '^.*/' end, '');
    end if;
    v_name := lower(v_name);
    if p_windows then
      v_name := regexp_replace(v_name, '\.exe$', '');
    end if;
    -- /etc/init.d/NAME stop is service NAME stop
    if v_raw like '/etc/%' and v_raw ~ '^/etc/(init\.d|rc\.d|rc\.d/init\.d)/[^/]+$' then
      w := array['service', v_name] || w[2:];
      continue;
    end if;
    -- PowerShell's call operator runs the command named after it: & "C:\...\tool.exe" args
    if v_name = '&' and v_n >= 2 then
      w := w[2:];
      continue;
    end if;
    -- trap 'CMD' SIGNALS: CMD runs later
    if v_name = 'trap' and v_n >= 3 and w[2] not in ('-p', '-l', '--') then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[2]));
    end if;
    -- cmd.exe: for [/d|/r] %i in (LIST) do CMD runs CMD with %i set to each entry
    if p_windows and v_name = 'for' and exists (select from unnest(w) as a where lower(a) = 'do') then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where lower(a) = 'do' limit 1);
      v_x := (select a from unnest(w) as a where a ~ '^%%?[A-Za-z]$' limit 1);
      v_values := array(select btrim(a, '()') from unnest(w) with ordinality as x (a, o)
                        where x.o > (select y.o from unnest(w) with ordinality as y (a, o) where lower(y.a) = 'in' limit 1)
                          and x.o < v_i);
      if v_i < v_n and v_x is not null then
        return v_items || jsonb_build_array(jsonb_build_object('sh',
          replace(array_to_string(w[v_i + 1:], ' '), v_x, coalesce(v_values[1], '*')), 'win', true));
      end if;
    end if;
    -- runners that take a command after --: terramate run, aws-vault exec, infisical run, dotenvx
    -- run, wsl (-u root: as root), fly ssh console -C, az vm run-command --scripts
    if v_name in ('terramate', 'aws-vault', 'infisical', 'dotenvx', 'dotenv', 'env-cmd', 'chamber', 'teller', 'summon',
                  'with-env', 'berglas', 'wsl', 'nix-shell', 'devbox', 'pixi', 'hatch', 'rye', 'mise', 'asdf')
       and '--' = any (w) and array_position(w, '--') < v_n then
      v_i := array_position(w, '--');
      return v_items || jsonb_build_array(jsonb_build_object('sh',
        array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o) order by a.o), ' '),
        'root', v_root or v_name = 'wsl' and exists (select from unnest(w[1:v_i]) with ordinality as x (a, o) where x.a in ('-u', '--user') and w[x.o + 1] = 'root')),
        jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
    end if;
    if v_name = 'wsl' and exists (select from unnest(w) as a where a in ('-e', '--exec')) then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where a in ('-e', '--exec') limit 1);
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i + 1:], ' ')));
    end if;
    if v_name in ('fly', 'flyctl') and v_n >= 4 and w[2] = 'ssh' and w[3] = 'console'
       and exists (select from unnest(w) as a where a in ('-C', '--command')) then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where a in ('-C', '--command') limit 1);
      if v_i < v_n then
        return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1]), jsonb_build_object('w', to_jsonb(w)));
      end if;
    end if;
    if v_name = 'az' and exists (select from unnest(w) as a where a = '--scripts') and array_position(w, '--scripts') < v_n then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[array_position(w, '--scripts') + 1]),
                                          jsonb_build_object('w', to_jsonb(w)));
    end if;
    -- GNU parallel [OPTIONS] CMD [::: ARGS]: CMD runs on each argument (where a placeholder is,
    -- else after its words); arguments from stdin or a file (::::, -a) are names only the run knows
    if v_name = 'parallel' then
      v_i := 2;
      while v_i <= v_n and left(w[v_i], 1) = '-' and w[v_i] <> '--' loop
        v_i := v_i + case when w[v_i] in ('-j', '--jobs', '-S', '--sshlogin', '-a', '--arg-file', '--delay', '--timeout', '-N',
                                          '-n', '--max-args', '-L', '--colsep', '-C', '-d', '--delimiter', '--joblog', '--results',
                                          '--tmpdir', '-I', '--replace', '--halt', '--retries', '--memfree', '--load', '--workdir',
                                          '--wd', '--tag-string', '--env', '-E', '--basefile', '--bf', '--return', '--transfer-file',
                                          '--tf', '-P', '--max-procs', '--sshloginfile', '--slf') then 2 else 1 end;
      end loop;
      v_i := v_i + case when w[v_i] = '--' then 1 else 0 end;
      v_start := coalesce((select min(x.o) from unnest(w) with ordinality as x (a, o) where x.o >= v_i and a ~ '^::::?\+?$'), v_n + 1);
      v_values := case when w[v_start] in (':::', ':::+')
                       then array(select a from unnest(w[v_start + 1:]) with ordinality as x (a, o)
                                  where x.o < coalesce((select min(y.o) from unnest(w[v_start + 1:]) with ordinality as y (a, o)
                                                        where a ~ '^::::?\+?$'), 1000000) order by x.o)
                       else array['$(...)'] end;
      if v_start > v_i then
        for v_raw in select a from unnest(v_values[:8]) as a loop
          v_items := v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(array(
            select case when x.o = 1 then x.a else coord.guard_quote(regexp_replace(x.a, '\{(/?/?\.?|[0-9]+)\}', replace(v_raw, '\', '\\'), 'g')) end
            from unnest(w[v_i:v_start - 1] || case when exists (select from unnest(w[v_i:v_start - 1]) as a where a ~ '\{(/?/?\.?|[0-9]+)\}')
                                                   then '{}'::text[] else array[v_raw] end) with ordinality as x (a, o)
            order by x.o), ' '), 'root', v_root));
        end loop;
        return v_items;
      end if;
    end if;
    -- yarn workspace NAME CMD: a yarn command in one workspace
    if v_name = 'yarn' and v_n >= 4 and w[2] = 'workspace' then
      w := array['yarn'] || w[4:];
      continue;
    end if;
    -- fd ... -x CMD ARGS: the rest of the words are one command. It runs on what fd finds below
    -- each search path: checked as written, on the name PATH/{} (fd appends it when CMD has no
    -- placeholder), which leases PATH ($PWD/{} from the directory the command starts in: .)
    if v_name in ('fd', 'fdfind') and exists (select from unnest(w) as a where a in ('-x', '-X', '--exec', '--exec-batch')) then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where a in ('-x', '-X', '--exec', '--exec-batch') limit 1);
      if v_i < v_n then
        v_values := '{}';
        v_skip := 0;
        for v_start in 2 .. v_i - 1 loop
          if v_skip > 0 then
            v_skip := v_skip - 1;
            if w[v_start - 1] = '--search-path' then
              v_values := v_values || ('-' || w[v_start]);  -- (a path: marked so the pattern is not taken for one)
            end if;
          elsif w[v_start] in ('-e', '--extension', '-t', '--type', '-E', '--exclude', '-d', '--max-depth', '--min-depth',
                               '--exact-depth', '-S', '--size', '--changed-within', '--changed-before', '--change-newer-than',
                               '--change-older-than', '--newer', '--older', '-o', '--owner', '-j', '--threads', '-c', '--color',
                               '--base-directory', '--path-separator', '--max-results', '--ignore-file', '--search-path',
                               '--format', '--batch-size', '--max-buffer-time', '--hyperlink') then
            v_skip := 1;
          elsif left(w[v_start], 1) <> '-' then
            v_values := v_values || w[v_start];
          end if;
        end loop;
        v_x := (select coalesce(substring(a from '^--base-directory=(.*)$'), w[x.o + 1]) from unnest(w[:v_i - 1]) with ordinality as x (a, o)
                where a = '--base-directory' or a like '--base-directory=%' limit 1);
        v_values := case when exists (select from unnest(v_values) as a where left(a, 1) = '-')
                         then array(select substr(a, 2) from unnest(v_values) as a where left(a, 1) = '-')
                         else v_values[2:] end;
        for v_raw in select case when p is null then coalesce(v_x, '.') else coalesce(rtrim(v_x, '/') || '/', '') || p end
                     from unnest(case when cardinality(v_values) = 0 then array[null::text] else v_values[:4] end) as p loop
          v_items := v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(array(
            select case when a.o = 1 and x ~ '^[A-Za-z0-9_./*?[\]@+!()|-]+$' then x
                        else coord.guard_quote(regexp_replace(x, '\{/?/?\.?\}', case when v_raw in ('.', './') then '$PWD/{}'
                                                                                else replace(rtrim(regexp_replace(v_raw, '^\./(.)', '\1'), '/'), '\', '\\') || '/{}' end, 'g')) end
            from unnest(w[v_i + 1:] || case when exists (select from unnest(w[v_i + 2:]) as a where a ~ '\{/?/?\.?\}') then '{}'::text[]
                                            else array['{}'] end) with ordinality as a (x, o)
            where x not in (';', '\;') order by a.o), ' '), 'root', v_root));
        end loop;
      end if;
      if v_i < v_n and v_n - v_i > 1 then
        w := w[1:v_i] || array_to_string(array(select a from unnest(w[v_i + 1:]) as a where a not in (';', '\;')), ' ');
        v_n := cardinality(w);
      end if;
    end if;
    -- git: what it runs besides itself (rebase --exec, bisect run, submodule foreach, a ! alias,
    -- -c core.pager, ...) and the command as git reads it (coord.guard_git_command)
    if v_name = 'git' then
      return v_items || (select jsonb_agg(x.i || jsonb_build_object('root', v_root) order by x.o)
                         from jsonb_array_elements(coord.guard_git_command(w)) with ordinality as x (i, o));
    end if;
    -- options whose value is a command line this machine runs (tar --checkpoint-action=exec=,
    -- zip -TT, ssh -o ProxyCommand=, rsync -e, gdb -ex 'shell ...', sed's s///e)
    for v_i in 2 .. case when v_name in ('tar', 'gtar', 'bsdtar', 'zip', 'ssh', 'scp', 'sftp', 'autossh', 'mosh', 'sshfs',
                                         'rsync', 'gdb', 'lldb', 'sed', 'gsed') then v_n else 0 end loop
      v_x := case
        when v_name in ('tar', 'gtar', 'bsdtar') and w[v_i] ~ '^--(checkpoint-action=exec=|to-command=|info-script=|new-volume-script=|rsh-command=)'
          then regexp_replace(w[v_i], '^--(checkpoint-action=exec=|to-command=|info-script=|new-volume-script=|rsh-command=)', '')
        when v_name in ('tar', 'gtar', 'bsdtar') and w[v_i] ~ '^--use-compress-program=.*\s' then substr(w[v_i], 24)
        when v_name in ('tar', 'gtar', 'bsdtar') and w[v_i] in ('--to-command', '--info-script', '--new-volume-script', '-F', '-I', '--use-compress-program', '--rsh-command')
             and v_i < v_n and w[v_i + 1] ~ '\s' then w[v_i + 1]
        when v_name = 'zip' and w[v_i] in ('-TT', '--unzip-command') and v_i < v_n then w[v_i + 1]
        when v_name = 'zip' and w[v_i] like '--unzip-command=%' then substr(w[v_i], 17)
        when v_name in ('ssh', 'scp', 'sftp', 'autossh', 'mosh', 'sshfs', 'rsync') and w[v_i] ~* '^-o ?(proxycommand|localcommand|knownhostscommand)[= ]'
          then regexp_replace(w[v_i], '^-o ?[A-Za-z]+[= ]\s*', '')
        when v_name in ('ssh', 'scp', 'sftp', 'autossh', 'sshfs') and w[v_i] = '-o' and v_i < v_n and w[v_i + 1] ~* '^(proxycommand|localcommand|knownhostscommand)[= ]'
          then regexp_replace(w[v_i + 1], '^[A-Za-z]+[= ]\s*', '')
        when v_name = 'rsync' and w[v_i] in ('-e', '--rsh') and v_i < v_n then w[v_i + 1]
        when v_name = 'rsync' and w[v_i] like '--rsh=%' then substr(w[v_i], 7)
        when v_name in ('gdb', 'lldb') and w[v_i] in ('-ex', '--ex', '-eval-command', '--eval-command', '-iex', '-o', '--one-line') and v_i < v_n
             and w[v_i + 1] ~ '^\s*(shell\s|!|platform shell\s|python\s+import\s+os)' then regexp_replace(w[v_i + 1], '^\s*(shell\s+|!|platform shell\s+)', '')
        when v_name in ('sed', 'gsed') and w[v_i] ~ '^s/((?:[^/\\]|\\.)*)/((?:[^/\\]|\\.)*)/[gipIM0-9]*e[gipIM0-9]*$'
          then substring(w[v_i] from '^s/(?:[^/\\]|\\.)*/((?:[^/\\]|\\.)*)/')
        else null end;
      if v_x is not null and btrim(v_x) <> '' and v_x !~ '^(ssh|ssh -[A-Za-z0-9 =./_-]*|gzip|xz|zstd|bzip2|pigz|lz4|cat)$' then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', v_x, 'root', v_root));
      end if;
    end loop;
    -- python -m MOD runs the module as a program (python -m pip is pip)
    if (v_name like 'python%' or v_name like 'pypy%') and v_n >= 3 and w[2] = '-m' and v_name ~ '^(python|pypy)[0-9.]*$' and w[3] not in ('http.server', 'SimpleHTTPServer') then
      w := w[3:];
      continue;
    end if;
    -- yarn workspaces foreach [opts] CMD, pnpm -r exec CMD: the command in every workspace
    if v_name = 'yarn' and w[2] = 'workspaces' and w[3] = 'foreach' then
      v_i := 4;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] in ('--include', '--exclude', '--from', '-j', '--jobs', '--since') then 2 else 1 end;
      end loop;
      w := array['yarn'] || w[v_i:];
      continue;
    end if;
    -- pnpm/yarn <bin>: a project's own tool when the word is no command of theirs
    if v_name in ('pnpm', 'yarn') and v_n >= 2 and left(w[2], 1) <> '-' and w[2] !~ '[:/.]' and w[2] not in (
         'add', 'install', 'i', 'remove', 'rm', 'uninstall', 'un', 'update', 'up', 'upgrade', 'upgrade-interactive', 'link',
         'ln', 'unlink', 'import', 'rebuild', 'rb', 'prune', 'fetch', 'install-test', 'it', 'patch', 'patch-commit',
         'patch-remove', 'audit', 'list', 'ls', 'll', 'la', 'outdated', 'why', 'licenses', 'run', 'run-script', 'test', 't',
         'tst', 'start', 'exec', 'dlx', 'create', 'init', 'publish', 'pack', 'server', 'store', 'root', 'bin', 'env',
         'setup', 'config', 'c', 'get', 'set', 'deploy', 'doctor', 'recursive', 'help', 'version', 'cache', 'catalog',
         'workspaces', 'workspace', 'npm', 'constraints', 'plugin', 'node', 'explain', 'dedupe', 'login', 'logout',
         'global', 'info', 'owner', 'tag', 'team', 'generate-lock-entry', 'policies', 'check', 'autoclean', 'search',
         'stage', 'sdks', 'self-update', 'stop', 'restart', 'approve-builds', 'ignored-builds', 'sbom', 'licenses',
         'build', 'dev', 'lint', 'format', 'typecheck', 'preview', 'serve', 'watch', 'clean', 'deploy', 'release') then
      w := w[2:];
      continue;
    end if;
    -- package runners run a tool
    if v_name in ('npx', 'bunx', 'pnpx') or v_name in ('pnpm', 'yarn') and w[2] in ('dlx', 'exec')
       or v_name = 'bundle' and w[2] = 'exec'
       or v_name in ('poetry', 'uv', 'pdm', 'pipenv', 'hatch', 'rye', 'pixi') and w[2] = 'run'
       or v_name = 'pipx' and w[2] = 'run' or v_name = 'uvx' or v_name = 'npm' and w[2] = 'exec' then
      v_i := case when v_name in ('npx', 'bunx', 'pnpx', 'uvx') then 2 else 3 end;
      -- npx -c 'cmd', npm exec -c 'cmd': a shell command line
      for v_start in v_i .. v_n - 1 loop
        if w[v_start] in ('-c', '--call') then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_start + 1], 'root', v_root));
        end if;
      end loop;
      -- a tool fetched from a repository or a URL rather than a registry: the runner is checked too
      if exists (select from unnest(w[2:]) as a where a ~* '^(--(from|spec|package)=)?(github:|gitlab:|bitbucket:|git\+|git://|https?://|git@)') then
        v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w), 'root', v_root));
      end if;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] in ('-p', '--package', '-c', '--call', '--with', '--from', '--python', '--spec') then 2 else 1 end;
      end loop;
      w := w[v_i:];
      -- npx cdk, npx vercel, npx netlify-cli: the tool's own name
      if coalesce(cardinality(w), 0) > 0 then
        w[1] := case regexp_replace(w[1], '@[^/]*$', '')
                  when 'netlify-cli' then 'netlify' when 'aws-cdk' then 'cdk' when 'firebase-tools' then 'firebase'
                  when '@vercel/cli' then 'vercel' when 'vercel@latest' then 'vercel' when 'sequelize-cli' then 'sequelize'
                  when '@prisma/cli' then 'prisma' when '@railway/cli' then 'railway' when 'wrangler@latest' then 'wrangler'
                  else regexp_replace(w[1], '@[^/]*$', '') end;
      end if;
      continue;
    end if;
    if v_name in ('then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'nohup', 'builtin', 'busybox',
                  'unbuffer', 'stdbuf', 'strace', 'ltrace', 'time', 'exec', 'command', 'sudo', 'doas', 'pkexec',
                  'nice', 'ionice', 'chrt', 'taskset', 'timeout', 'flock', 'xargs', 'env',
                  'setsid', 'unshare', 'nsenter', 'fakeroot', 'chroot', 'runuser', 'systemd-run', 'proxychains',
                  'proxychains4', 'torsocks', 'firejail', 'catchsegv', 'caffeinate', 'gtimeout', 'nocorrect', 'noglob',
                  'doppler', 'dotenv', 'with-contenv', 'op', 'run0') then
      if v_name = 'command' and exists (select from unnest(w[2:]) as a where a ~ '^-[a-zA-Z]*[vV]') then
        exit;
      end if;
      if v_name = 'op' and w[2] <> 'run' or v_name = 'doppler' and w[2] <> 'run' then
        exit;
      end if;
      if v_name = 'runuser' and array_position(w, '-c') < v_n then  -- runuser USER -c CMD, as su
        return v_items || jsonb_build_array(jsonb_build_object('sh', w[array_position(w, '-c') + 1]));
      end if;
      v_wrapper := v_name;
      v_values := case v_name
        when 'sudo' then array['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group',
                               '--chdir', '--prompt', '--role', '--type', '--host', '--other-user', '--close-from']
        when 'doas' then array['-u', '-C']
        when 'pkexec' then array['--user']
        when 'env' then array['-u', '--unset', '-C', '--chdir']
        when 'nice' then array['-n', '--adjustment']
        when 'ionice' then array['-c', '-n', '-p', '--class', '--classdata']
        when 'timeout' then array['-s', '-k', '--signal', '--kill-after']
        when 'flock' then array['-w', '-E', '--timeout', '--conflict-exit-code']
        when 'xargs' then array['-I', '-n', '-P', '-L', '-d', '-a', '-s', '-E', '--max-args', '--max-procs',
                                '--delimiter', '--arg-file', '--max-lines', '--replace']
        when 'time' then array['-o', '-f', '--output', '--format']
        when 'exec' then array['-a']
        when 'strace' then array['-o', '-e', '-p', '-s', '-u']
        when 'ltrace' then array['-o', '-e', '-p', '-s', '-u']
        when 'unshare' then array['-S', '-G', '-R', '-w', '--setuid', '--setgid', '--root', '--wd', '--map-user',
                                  '--map-group', '--propagation', '--setgroups']
        when 'nsenter' then array['-t', '-S', '-G', '--target', '--setuid', '--setgid']
        when 'fakeroot' then array['-l', '-s', '-i', '--lib', '--faked']
        when 'chroot' then array['--userspec', '--groups']
        when 'runuser' then array['-u', '-g', '-G', '-s', '-w', '--user', '--group', '--supp-group', '--shell',
                                  '--whitelist-environment']
        when 'systemd-run' then array['-u', '-p', '-E', '-M', '-H', '-d', '--unit', '--property', '--description',
                                      '--slice', '--setenv', '--machine', '--host', '--uid', '--gid', '--nice',
                                      '--working-directory', '--on-active', '--on-calendar', '--timer-property',
                                      '--on-boot', '--on-startup', '--on-unit-active', '--on-unit-inactive']
        when 'proxychains' then array['-f']
        when 'proxychains4' then array['-f']
        when 'torsocks' then array['-u', '-p', '-a', '-P']
        when 'doppler' then array['-p', '-c', '--project', '--config', '--command']
        when 'op' then array['--env-file', '--account']
        else '{}'::text[] end;
      v_skip := case when v_name in ('timeout', 'chrt', 'taskset', 'flock', 'chroot', 'gtimeout') then 1 else 0 end;
      -- op run / doppler run: the options after run, then the command
      v_i := case when v_name in ('doppler', 'op') then 3 else 2 end;
      while v_i <= v_n loop
        v_x := w[v_i];
        if v_x = '--' then
          v_i := v_i + 1;
          exit;
        elsif v_name = 'env' and strpos(v_x, '=') > 1 and split_part(v_x, '=', 1) ~ '^[A-Za-z_][A-Za-z0-9_]*$' then
          v_items := v_items || jsonb_build_array(jsonb_build_object('assign', v_x));  -- env PAGER=... git log
          v_i := v_i + 1;
        elsif v_name = 'env' and v_x in ('-S', '--split-string') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh',
            array_to_string(w[v_i + 1:], ' ')));
        elsif v_name in ('flock', 'runuser') and v_x in ('-c', '--command') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1]));
        elsif v_name = 'doppler' and v_x = '--command' and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1]));
        elsif left(v_x, 1) in ('-', '+') and v_x <> '-' and left(v_x, 2) <> '+('  -- +(r)m is an extglob program
              and not (v_name in ('doppler', 'op') and v_x = 'run') then
          v_i := v_i + case when v_x = any (v_values) or (v_x like '--%' and split_part(v_x, '=', 1) = any (v_values)
                                                           and strpos(v_x, '=') = 0) then 2 else 1 end;
        else
          exit;
        end if;
      end loop;
      v_i := v_i + v_skip;
      -- a timer or a login shell is a command of its own
      if v_name = 'systemd-run' and exists (select from unnest(w[2:v_i - 1]) as a where a ~ '^--on-|^--timer') then
        v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
      end if;
      if v_name in ('sudo', 'doas', 'pkexec', 'runuser', 'run0') then
        v_root := true;
      end if;
      if v_name in ('nohup', 'setsid') then
        v_detached := true;
      end if;
      if v_i > v_n then
        if v_name in ('env', 'sudo', 'doas', 'time', 'command', 'exec') then
          v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
        elsif v_name = 'xargs' then
          v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(array['echo']
            || coalesce(regexp_split_to_array(nullif(btrim(p_stdin), ''), '\s+'), '{}'))));
        end if;
        return v_items;
      end if;
      if v_name = 'xargs' and p_stdin is not null and not (w[2:v_i - 1] && array['-I', '-i', '-a', '--replace', '--arg-file'])
         and not exists (select from unnest(w[2:v_i - 1]) as a where a ~ '^(-[ai].|--replace=|--arg-file=)') then
        w := w[v_i:] || coalesce(regexp_split_to_array(nullif(btrim(p_stdin), ''), '\s+'), '{}');
      elsif v_name = 'xargs' then
        -- names only the run knows (stdin, -a FILE): {} where -I puts them (as find -exec's), else
        -- $(...) after the words (kill and docker read ids piped in from the context)
        v_x := (select case when a = '-I' then w[x.o + 1] when a ~ '^-I.' then substr(a, 3) when a like '--replace=%' then substr(a, 11)
                            when a ~ '^-i.' then substr(a, 3) else '{}' end
                from unnest(w[2:v_i - 1]) with ordinality as x (a, o)
                where a in ('-I', '-i', '--replace') or a ~ '^(-[Ii].|--replace=)' limit 1);
        w := case when v_x is not null and v_x <> '' then array(select replace(a, v_x, '{}') from unnest(w[v_i:]) with ordinality as x (a, o) order by x.o)
                  when lower(regexp_replace(w[v_i], '^.*/', '')) in ('kill', 'pkill', 'killall', 'docker', 'podman', 'nerdctl', 'echo', 'printf')
                  then w[v_i:]
                  else w[v_i:] || '$(...)'::text end;
      else
        w := w[v_i:];
      end if;
      continue;
    end if;
    if v_name = any (v_shells) or v_name = any (v_interpreters) then
      v_cmd := false;
      v_i := 2;
      while v_i <= v_n and left(w[v_i], 1) in ('-', '+') loop
        if w[v_i] in ('--', '-') then
          v_i := v_i + 1;
          exit;
        elsif w[v_i] in ('-o', '+o', '-O', '+O', '--rcfile', '--init-file') or v_name = any (v_interpreters) and w[v_i] in ('-W', '-X', '-m', '-I', '-r', '-M') then
          v_i := v_i + 2;
        elsif v_name = any (v_interpreters) and w[v_i] ~ '^-[a-zA-Z]*[ceEr]$' and v_name not in ('pwsh', 'powershell') then
          -- code on the command line: coord.guard_interpreter_code reads it from the parse
          exit;
        elsif v_name in ('pwsh', 'powershell') and lower(w[v_i]) ~ '^[-/](c|co|com|comm|comma|comman|command)$' and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i + 1:], ' '), 'win', true),
                                              jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
        elsif v_name in ('pwsh', 'powershell') and lower(w[v_i]) ~ '^[-/](executionpolicy|ep|ex|windowstyle|w|file|f|encodedcommand|enc|e|ec|en)$' then
          v_i := v_i + 2;
          if lower(w[v_i - 2]) ~ '^[-/](encodedcommand|enc|e|ec|en)$' then
            return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
          end if;
        else
          v_cmd := v_cmd or w[v_i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$' and v_name = any (v_shells) or w[v_i] = '--command';
          v_i := v_i + 1;
        end if;
      end loop;
      if v_cmd and v_i <= v_n then
        -- (the words after the text are its $0, $1, ...: sh -c '"$@"' sh ls runs ls)
        return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i])
                                            || case when v_detached then '{"detached": true}'::jsonb else '{}' end
                                            || case when v_i < v_n then jsonb_build_object('args', to_jsonb(w[v_i + 1:])) else '{}' end);
      elsif v_i <= v_n and left(w[v_i], 1) = chr(30) and right(w[v_i], 1) = chr(31) then
        return v_items || jsonb_build_array(jsonb_build_object('exec', substr(w[v_i], 2, char_length(w[v_i]) - 2)));
      elsif v_i > v_n and p_stdin is not null and v_name = any (v_shells) then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', p_stdin));
      elsif v_name in ('pwsh', 'powershell') and v_i <= v_n and not exists (select from unnest(w[2:]) as a where lower(a) ~ '^[-/](file|f)$') then
        return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i:], ' '), 'win', true),
                                            jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w), 'root', v_root));
    end if;
    if v_name = 'cmd' and v_n >= 2 and lower(w[2]) in ('/c', '/k', '/r') then
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[3:], ' '), 'win', true));
    end if;
    if v_name in ('eval', 'iex', 'invoke-expression') then
      if v_n = 2 and left(w[2], 1) = chr(30) and right(w[2], 1) = chr(31) and v_name in ('iex', 'invoke-expression') then
        return v_items || jsonb_build_array(jsonb_build_object('exec', substr(w[2], 2, char_length(w[2]) - 2)),
                                            jsonb_build_object('w', to_jsonb(w)));
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[2:], ' '), 'win', p_windows))
             || case when v_name <> 'eval' then jsonb_build_array(jsonb_build_object('w', to_jsonb(w))) else '[]' end;
    end if;
    if v_name = 'watch' then
      v_i := 2;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] in ('-n', '--interval', '-q', '--equexit') then 2 else 1 end;
      end loop;
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i:], ' ')));
    end if;
    if v_name in ('source', '.') and v_n >= 2 and left(w[2], 1) = chr(30) and right(w[2], 1) = chr(31) then
      return v_items || jsonb_build_array(jsonb_build_object('exec', substr(w[2], 2, char_length(w[2]) - 2)));
    end if;
    if v_name in ('su', 'script') then
      for v_i in 2 .. v_n loop
        if (w[v_i] in ('-c', '--command') or v_name = 'script' and w[v_i] ~ '^-[a-zA-Z]*c$') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1], 'root', v_root or v_name = 'su'));
        elsif w[v_i] like '--command=%' then
          return v_items || jsonb_build_array(jsonb_build_object('sh', substr(w[v_i], 11), 'root', v_root or v_name = 'su'));
        end if;
      end loop;
      if v_name = 'su' then
        return v_items || jsonb_build_array(jsonb_build_object('w', jsonb_build_array('sudo', '-s'), 'root', true));
      end if;
    end if;
    if v_name = 'sg' and v_n >= 3 then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[3]));
    end if;
    if v_name in ('vim', 'vi', 'nvim', 'ex', 'view') then
      for v_i in 2 .. v_n - 1 loop
        if w[v_i] in ('-c', '+') or w[v_i] like '+%' then
          v_x := case when w[v_i] like '+_%' then substr(w[v_i], 2) else w[v_i + 1] end;
          if v_x ~ '^:?!' then
            v_items := v_items || jsonb_build_array(jsonb_build_object('sh', regexp_replace(v_x, '^:?!', ''), 'root', v_root));
          end if;
        end if;
      end loop;
    end if;
    if v_name in ('ssh', 'mosh') then
      v_i := 2;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] ~ '^-[BbcDEeFIiJLlmOopQRSWw]$' then 2 else 1 end;
      end loop;
      if v_i < v_n then
        -- dokku@host CMD is dokku's own command line
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
          case when w[v_i] ~* '^(ssh://)?dokku@' and lower(w[v_i + 1]) <> 'dokku' then 'dokku ' else '' end
          || array_to_string(w[v_i + 1:], ' '), 'remote', regexp_replace(w[v_i], '^(ssh://)?[^@]*@', '')));
        w := w[1:v_i];
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name = 'find' then
      -- the starting points (after -H, -L, -P, -D X, -O N): -exec and -ok run on names below
      -- each, START/{} (which leases START); from . or -execdir the name stays {} (unleased)
      v_i := 2;
      while v_i <= v_n and w[v_i] ~ '^-([HLP]|D|O[0-9]*)$' loop
        v_i := v_i + case when w[v_i] = '-D' then 2 else 1 end;
      end loop;
      v_values := array(select a from unnest(w[v_i:]) with ordinality as x (a, o)
                        where x.o < coalesce((select min(y.o) from unnest(w[v_i:]) with ordinality as y (a, o)
                                              where left(y.a, 1) in ('-', '(', '!')), 1000000) order by x.o);
      v_values := array(select a from unnest(v_values) as a where rtrim(a, '/') not in ('.', ''));
      v_i := 2;
      while v_i <= v_n loop
        if w[v_i] in ('-exec', '-execdir', '-ok', '-okdir') then
          v_start := v_i + 1;
          v_x := w[v_i];
          v_i := v_start;
          while v_i <= v_n and w[v_i] not in (';', '+') loop
            v_i := v_i + 1;
          end loop;
          -- (the program word unquoted: a glob the shell expanded in it, find -exec r? ..., is
          -- still the shell's, checked as each program it could be)
          for v_raw in select p from unnest(case when v_x in ('-exec', '-ok') and cardinality(v_values) > 0 then v_values[:4]
                                                 else array[null::text] end) as p loop
            v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
              array_to_string(array(select case when a.o = 1 and x ~ '^[A-Za-z0-9_./*?[\]@+!()|-]+$' then x
                                                when v_raw is null then coord.guard_quote(x)
                                                else coord.guard_quote(replace(x, '{}', rtrim(v_raw, '/') || '/{}')) end
                                    from unnest(w[v_start:v_i - 1]) with ordinality as a (x, o)
                                    order by a.o), ' '), 'root', v_root));
          end loop;
        end if;
        v_i := v_i + 1;
      end loop;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    -- docker exec [OPTIONS] CONTAINER COMMAND..., docker compose exec/run SERVICE COMMAND...
    if v_name in ('docker', 'podman', 'nerdctl', 'docker-compose') and v_n >= 3
       and (w[2] = 'exec' or v_name = 'docker-compose' and w[2] in ('exec', 'run')
            or w[2] = 'compose' and w[3] in ('exec', 'run'))
       and not ('--' = any (w)) then
      v_i := case when w[2] = 'compose' then 4 else 3 end;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] in ('-e', '-u', '-w', '--env', '--user', '--workdir', '--env-file', '--index',
                                          '--detach-keys', '-f', '--file', '-p', '--project-name') then 2 else 1 end;
      end loop;
      if v_i < v_n then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
          array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o)
                                order by a.o), ' '), 'elsewhere', true));
        return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i])));
      end if;
    end if;
    -- detached terminals: tmux new -d 'cmd', tmux send-keys 'cmd' Enter, screen -dm cmd
    if v_name = 'tmux' and v_n >= 3 and w[2] in ('new', 'new-session', 'new-window', 'neww', 'split-window', 'splitw',
                                                  'respawn-pane', 'respawnp', 'send-keys', 'send', 'run-shell', 'run') then
      v_i := 3;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] ~ '^-[stncxyeFlLfEbTDd]*[stncxyeFlfT]$' and w[v_i] !~ '^-[dPhvR]+$' then 2 else 1 end;
      end loop;
      if v_i <= v_n then
        return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(
          array(select x from unnest(w[v_i:]) as x where x not in ('Enter', 'C-m', 'KPEnter')), ' '),
          'detached', w[2] not in ('send-keys', 'send', 'run-shell', 'run')));
      end if;
    end if;
    if v_name = 'screen' and exists (select from unnest(w[2:]) as a where a ~ '^-[A-Za-z]*[dD][A-Za-z]*m|^-[A-Za-z]*m[A-Za-z]*[dD]') then
      v_i := 2;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when w[v_i] ~ '[SscLlptTeh]$' and w[v_i] !~ '^-[dDmRrx]+$' then 2 else 1 end;
      end loop;
      if v_i <= v_n then
        w := w[v_i:];
        v_detached := true;
        continue;
      end if;
    end if;
    -- knife ssh QUERY 'cmd', wmic process call create "cmd", Invoke-WmiMethod -ArgumentList 'cmd',
    -- forfiles /c "cmd @path": commands run elsewhere or many times
    if v_name = 'knife' and v_n >= 4 and w[2] = 'ssh' then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[4]), jsonb_build_object('w', to_jsonb(w[1:3])));
    end if;
    if v_name = 'wmic' and exists (select from unnest(w) with ordinality as x (a, o)
                                   where lower(a) = 'create' and lower(w[x.o - 1]) = 'call' and x.o < v_n) then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where lower(a) = 'create' and lower(w[x.o - 1]) = 'call' limit 1);
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i + 1:], ' '), 'win', true),
                                          jsonb_build_object('w', to_jsonb(w[1:v_i])));
    end if;
    if v_name in ('invoke-wmimethod', 'invoke-cimmethod') and exists (select from unnest(w) as a where lower(a) in ('-argumentlist', '-arguments')) then
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where lower(a) in ('-argumentlist', '-arguments') limit 1);
      if v_i < v_n then
        return v_items || jsonb_build_array(jsonb_build_object('sh', regexp_replace(w[v_i + 1], '^@\{\s*commandline\s*=\s*', '', 'i'), 'win', true),
                                            jsonb_build_object('w', to_jsonb(w)));
      end if;
    end if;
    if v_name = 'forfiles' and exists (select from unnest(w) as a where lower(a) = '/c') then
      v_x := coalesce((select w[x.o + 1] from unnest(w) with ordinality as x (a, o) where lower(a) = '/p' limit 1), '.');
      v_i := (select x.o from unnest(w) with ordinality as x (a, o) where lower(a) = '/c' limit 1);
      if v_i < v_n then
        return v_items || jsonb_build_array(jsonb_build_object('sh',
          regexp_replace(w[v_i + 1], '@(path|file|fname|relpath)', '"' || rtrim(replace(v_x, '\', '/'), '/') || '/*"', 'gi'), 'win', true));
      end if;
    end if;
    -- docker run [OPTIONS] IMAGE COMMAND...: the command runs too
    if v_name in ('docker', 'podman', 'nerdctl') and v_n >= 3
       and (w[2] in ('run', 'create') or w[2] = 'container' and w[3] in ('run', 'create')) then
      v_i := case when w[2] = 'container' then 4 else 3 end;
      while v_i <= v_n and left(w[v_i], 1) = '-' loop
        v_i := v_i + case when strpos(w[v_i], '=') = 0 and w[v_i] in (
                                 '-e', '-v', '-p', '-w', '-u', '-h', '-l', '-m', '-c', '-a', '--name', '--network', '--net',
                                 '--restart', '--entrypoint', '--env', '--env-file', '--volume', '--publish', '--workdir',
                                 '--user', '--hostname', '--label', '--mount', '--memory', '--cpus', '--platform', '--add-host',
                                 '--dns', '--log-driver', '--log-opt', '--device', '--cap-add', '--cap-drop', '--security-opt',
                                 '--ulimit', '--pid', '--ipc', '--userns', '--tmpfs', '--shm-size', '--runtime', '--gpus',
                                 '--pull', '--cidfile', '--health-cmd', '--stop-signal', '--label-file', '--link', '--expose',
                                 '--volumes-from', '--cgroupns', '--attach', '--cpu-shares', '--memory-swap', '--group-add',
                                 '--network-alias', '--ip', '--mac-address', '--stop-timeout', '--uts', '--isolation',
                                 '--sysctl', '--cgroup-parent', '--init-path', '--detach-keys', '--domainname', '--dns-search',
                                 '--dns-option', '--blkio-weight', '--cpuset-cpus', '--kernel-memory', '--oom-score-adj',
                                 '--pids-limit', '--storage-opt', '--annotation', '--arch', '--os', '--ulimit')
                             then 2 else 1 end;
      end loop;
      -- (flags after the image are the entrypoint's: the image runs with them, nothing else)
      if v_i < v_n and left(w[v_i + 1], 1) <> '-' then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
          array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o)
                                order by a.o), ' ')));
        return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i])));
      end if;
    end if;
    if v_name in ('kubectl', 'oc', 'docker', 'podman', 'k') and '--' = any (w)
       and ('exec' = any (w) or v_name in ('kubectl', 'oc', 'k') and w[2] in ('run', 'create', 'debug', 'attach')) then
      v_i := array_position(w, '--');
      v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
        array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o)
                              order by a.o), ' '), 'elsewhere', true));
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
    end if;
    -- remote execution on many machines: salt TARGET cmd.run CMD, ansible HOSTS -a CMD
    if v_name in ('salt', 'salt-ssh') and v_n >= 4 and w[3] in ('cmd.run', 'cmd.shell', 'cmd.script', 'cmd.exec_code') then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[4]), jsonb_build_object('w', to_jsonb(w[1:3])));
    end if;
    if v_name = 'ansible' and array_position(w, '-a') < v_n then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[array_position(w, '-a') + 1]),
                                          jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name in ('invoke-sqlcmd', 'invoke-dbaquery') then
      for v_i in 2 .. v_n - 1 loop
        if lower(w[v_i]) in ('-query', '-q') then
          return v_items || jsonb_build_array(jsonb_build_object('sql', w[v_i + 1]), jsonb_build_object('w', to_jsonb(w)));
        end if;
      end loop;
    end if;
    -- make -f <(printf 'x:\n\tcmd'): the makefile's text is right there
    if v_name in ('make', 'gmake') then
      for v_x in select substr(w[x.o + 1], 2, char_length(w[x.o + 1]) - 2) from unnest(w) with ordinality as x (a, o)
                 where a in ('-f', '--file', '--makefile') and left(w[x.o + 1], 1) = chr(30)
                   and substr(w[x.o + 1], 2) ~ '^\s*(printf|echo)\s' loop
        v_x := replace(replace(regexp_replace(v_x, '^\s*(printf|echo)(\s+-[neE]+)?\s+', ''), '\n', E'\n'), '\t', E'\t');
        v_items := v_items || coalesce((select jsonb_agg(jsonb_build_object('sh', m[1]))
                                        from regexp_matches(btrim(v_x, ''''), E'(?:^|\n)\t([^\n]+)', 'g') as m), '[]');
      end loop;
    end if;
    -- sftp -b <(echo 'put f'), lftp -e 'put f': the batch commands are the stdin sftp would read
    if v_name in ('sftp', 'lftp') then
      for v_x in select case when left(w[x.o + 1], 1) = chr(30) then regexp_replace(substr(w[x.o + 1], 2, char_length(w[x.o + 1]) - 2), '^\s*(echo|printf)\s+', '')
                             else w[x.o + 1] end
                 from unnest(w) with ordinality as x (a, o) where (v_name = 'sftp' and a = '-b' or v_name = 'lftp' and a in ('-e', '-c')) and x.o < v_n loop
        v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w), 'stdin', btrim(v_x, '''"')));
      end loop;
    end if;
    -- make -f - reads the makefile from stdin: its recipe lines are commands
    if v_name in ('make', 'gmake') and p_stdin is not null and exists (select from unnest(w) with ordinality as x (a, o)
                                                                       where a in ('-f', '--file', '--makefile') and w[x.o + 1] = '-') then
      for v_x in select m[1] from regexp_matches(replace(replace(p_stdin, '\n', E'\n'), '\t', E'\t'), E'(?:^|\n)\t([^\n]+)', 'g') as m loop
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', v_x));
      end loop;
    end if;
    if v_name = 'turso' and v_n >= 5 and w[2] = 'db' and w[3] = 'shell' then
      return v_items || jsonb_build_array(jsonb_build_object('sql', w[5]), jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name = 'prisma' and v_n >= 3 and w[2] = 'db' and w[3] = 'execute' and p_stdin is not null then
      return v_items || jsonb_build_array(jsonb_build_object('sql', p_stdin), jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name in ('psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cockroach', 'clickhouse-client', 'clickhouse', 'cqlsh',
                  'sqlcmd', 'snowsql', 'bq', 'trino', 'presto', 'vsql', 'beeline', 'usql', 'pgcli', 'mycli', 'litecli') then
      -- the clients' own commands that run a shell: psql \!, mysql system and \!, sqlite3 .shell
      -- and .system, given as an argument or on stdin
      for v_x in select m[1] from unnest(w[2:] || coalesce(p_stdin, '')) as a,
                                  regexp_matches(a, '(?:^|\n|;)\s*(?:\\!|system|\.shell|\.system)\s+([^\n;]*)', 'g') as m
                 where strpos(a, '\!') > 0 or a ~ '(^|\n|;)\s*(system|\.shell|\.system)\s' loop
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', v_x));
      end loop;
      v_cmd := false;
      for v_i in 2 .. v_n loop
        if (v_name in ('psql', 'pgcli', 'usql') and w[v_i] in ('-c', '--command'))
           or (v_name in ('mysql', 'mariadb', 'mycli', 'cqlsh', 'beeline', 'cockroach') and w[v_i] in ('-e', '--execute'))
           or (v_name in ('clickhouse-client', 'clickhouse') and w[v_i] in ('-q', '--query'))
           or (v_name in ('sqlcmd') and w[v_i] in ('-Q', '-q')) or (v_name in ('snowsql') and w[v_i] in ('-q', '--query'))
           or (v_name in ('trino', 'presto') and w[v_i] = '--execute')
           or (v_name in ('sqlite3', 'duckdb', 'litecli') and w[v_i] = '-cmd') then
          if v_i < v_n then
            v_items := v_items || jsonb_build_array(jsonb_build_object('sql', w[v_i + 1]));
            v_cmd := true;
          end if;
        elsif w[v_i] ~ '^(--command|--execute|--query)=' then
          v_items := v_items || jsonb_build_array(jsonb_build_object('sql', substr(w[v_i], strpos(w[v_i], '=') + 1)));
          v_cmd := true;
        elsif (v_name = 'psql' and w[v_i] ~ '^-c.') or (v_name in ('mysql', 'mariadb') and w[v_i] ~ '^-e.') then
          v_items := v_items || jsonb_build_array(jsonb_build_object('sql', substr(w[v_i], 3)));
          v_cmd := true;
        end if;
      end loop;
      if v_name in ('sqlite3', 'duckdb', 'litecli', 'bq') then
        v_values := array(select a from unnest(w[2:]) with ordinality as x (a, o) where a !~ '^-' order by o);
        if v_name = 'bq' and v_values[1] = 'query' then
          v_values := v_values[2:];
          v_values := array[null::text] || v_values;
        end if;
        if cardinality(v_values) >= 2 then
          v_items := v_items || jsonb_build_array(jsonb_build_object('sql', array_to_string(v_values[2:], ' ')));
          v_cmd := true;
        end if;
      end if;
      if not v_cmd and p_stdin is not null then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sql', p_stdin));
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    exit;
  end loop;
  if coalesce(cardinality(w), 0) > 0 then
    v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w), 'root', v_root));
  end if;
  return v_items;
end;
$$;

comment on function coord.guard_unwrap(text[], text, boolean) is 'Guardrail normalizer: peels sudo, env, nohup, xargs, npx, bundle exec, python -m, sh -c and other wrappers off a simple command; returns the commands, shell text, SQL and run-the-output commands to check.';
revoke all on function coord.guard_unwrap(text[], text, boolean) from public;
