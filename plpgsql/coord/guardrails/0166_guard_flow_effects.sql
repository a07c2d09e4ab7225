-- Guardrail effects of data flowing into, out of and through one command (p_ctx as in
-- coord.guard_effects):
--   exec-remote    code from the network runs: a shell or interpreter reading a download on
--                  stdin, running a file downloaded earlier in the same text (sh f, ./f,
--                  Start-Process f), or fed by a socket
--   exec-decoded   a shell or interpreter runs decoded text (base64 -d, xxd -r, ...)
--   exec-piped     a shell runs what an unknown program prints
--   revshell       a shell wired to a socket (nc -e, ncat --exec, socat exec:, sh -i | nc, ...)
--   send           files or secrets leave the machine: curl -d @f / -F / -T, wget --post-file,
--                  sftp put, socat FILE: to TCP:, secrets or the environment piped into a network
--                  tool, a secret variable in a URL or header sent to a host that is not its own
--   secret-dump    cloud instance metadata credentials (169.254.169.254, metadata.google.internal)
--   remote-change  DELETE, PUT or PATCH through a host's HTTP API (curl -X DELETE, gh api -X ...)
--   network-expose listeners and tunnels that expose this machine (ssh -R/-g, http.server or
--                  php -S serving /, ~ or a system directory)
-- plus what interpreter code does (coord.guard_code), given on the command line or on stdin.
create or replace function coord.guard_flow_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_shells constant text[] := array['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish', 'rbash', 'tcsh', 'csh',
                                    'busybox', 'source', '.'];
  v_interpreters constant text[] := array['python', 'perl', 'ruby', 'node', 'php', 'lua', 'deno', 'bun', 'rscript',
                                          'osascript', 'tclsh', 'wish', 'jshell', 'irb', 'ipython', 'iex',
                                          'invoke-expression', 'powershell', 'cmd', 'scala', 'groovy', 'julia',
                                          'swift', 'kotlin', 'elixir', 'erl', 'guile', 'sbcl', 'racket', 'r', 'emacs',
                                          'luajit', 'jrunscript', 'ghc', 'runghc', 'tsx', 'ts-node', 'esno'];
  v_netcats constant text[] := array['nc', 'ncat', 'socat', 'telnet', 'openssl', 'cryptcat', 'pwncat', 'sbd',
                                     'gnutls-cli', 'ssh', 'rsh', 'rlogin', 'nc.traditional', 'nc.openbsd'];
  v_senders constant text[] := array['curl', 'wget', 'http', 'https', 'httpie', 'xh', 'curlie', 'aria2c', 'nc', 'ncat',
                                     'socat', 'telnet', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod', 'gh',
                                     'glab', 'dig', 'nslookup', 'host', 'ping', 'ssh', 'scp', 'sftp', 'ftp', 'mail',
                                     'sendmail', 'mutt', 'mailx', 'smbclient', 'lftp', 'tftp'];
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_words text[] := array(select jsonb_array_elements_text(p_op -> 'words'));
  v_raw text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words')));
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_in text := p_ctx ->> 'in';
  v_downloads text[] := array(select jsonb_array_elements_text(coalesce(p_ctx -> 'downloads', '[]')));
  v_out jsonb := '[]';
  v_code text[];
  v_x text;
  v_script text;
  v_dir text;
  v_remote boolean;
  v_method text;
  v_var text;
  v_host text;
begin
  -- a program that was downloaded earlier in the same text, or lies in a directory that was
  -- (git clone, an unpacked download)
  if v_prog = any (v_downloads) or v_prog || '.exe' = any (v_downloads)
     or exists (select from unnest(v_downloads) as d
                where right(d, 1) = '/' and (coalesce(p_op ->> 'cmd', '') like d || '%'
                                             or (v_prog = any (v_shells) or v_prog = any (v_interpreters)) and coalesce(v_args[1], '') like d || '%')) then
    v_out := v_out || coord.guard_effect('exec-remote', array[v_prog]);
  end if;
  if v_prog in ('start-process', 'saps', 'start', 'invoke-item', 'ii', 'open', 'xdg-open', 'msiexec', 'rundll32')
     and exists (select from unnest(v_args) as a
                 where a = any (v_downloads) or regexp_replace(a, '^.*[/\\]', '') = any (v_downloads)) then
    v_out := v_out || coord.guard_effect('exec-remote', array['(downloaded file)']);
  end if;

  -- shells and interpreters: what they run
  if v_prog = any (v_shells) or v_prog = any (v_interpreters) then
    v_script := case when v_prog = any (v_shells) and v_flags && array['-s'] then null else v_args[1] end;
    if v_script is not null and (regexp_replace(v_script, '^.*[/\\]', '') = any (v_downloads) or v_script = any (v_downloads)) then
      v_out := v_out || coord.guard_effect('exec-remote', array[v_script]);
    end if;
    v_code := coord.guard_interpreter_code(p_op);
    if (v_script is null or v_script in ('-', '/dev/stdin', '/proc/self/fd/0') or v_prog in ('iex', 'invoke-expression'))
       and v_code is null and not (v_vals ?| array['-m', '--command', '-command']) then
      v_out := v_out || case v_in
        when 'download' then coord.guard_effect('exec-remote', array['(stdin)'])
        when 'decode' then coord.guard_effect('exec-decoded', array['(stdin)'])
        when 'other' then coord.guard_effect('exec-piped', array['(stdin)'])
        else '[]'::jsonb end;
      -- code on stdin from a here-document: python3 - <<EOF ... EOF
      if v_in = 'text' and p_ctx ? 'stdin' and v_prog = any (v_interpreters) then
        v_code := array[case when v_prog in ('python', 'ipython') then 'python' when v_prog in ('node', 'deno', 'bun') then 'js'
                             when v_prog in ('ruby', 'irb') then 'ruby' else v_prog end, p_ctx ->> 'stdin'];
        v_out := v_out || coalesce(coord.guard_code(v_code[1], v_code[2]) -> 'effects', '[]')
                       || coalesce((select jsonb_agg(e) from jsonb_array_elements_text(coord.guard_code(v_code[1], v_code[2]) -> 'commands') as c,
                                      coord.guard_shell_units(c, coalesce((p_ctx ->> 'depth')::integer, 0) + 1) as u,
                                      jsonb_array_elements(u.effects) as e), '[]');
        v_code := null;
      end if;
    end if;
    if v_code is not null then
      v_out := v_out || coalesce(coord.guard_code(v_code[1], v_code[2]) -> 'effects', '[]');
    end if;
    -- module servers exposing a directory to the network (the default directory is the current one)
    if v_prog = 'python' and v_vals -> '-m' ->> 0 in ('http.server', 'SimpleHTTPServer') or v_prog = 'php' and v_vals ? '-S' then
      v_dir := coalesce(v_vals -> '--directory' ->> 0, v_vals -> '-d' ->> 0, v_vals -> '-t' ->> 0, p_ctx ->> 'cwd', '.');
      if exists (select from jsonb_array_elements(coord.guard_effect('serve', array[v_dir])) as e
                 where e -> 'c' ?| array['root', 'home', 'system', 'home-data', 'credential']) then
        v_out := v_out || coord.guard_effect('network-expose', array[v_dir]);
      end if;
    end if;
  elsif v_prog = 'awk' and not v_vals ? '-f' and cardinality(v_args) >= 1 then
    v_out := v_out || coalesce(coord.guard_code('awk', v_args[1]) -> 'effects', '[]');
  end if;
  -- static file servers of a directory on all interfaces
  if v_prog in ('http-server', 'serve', 'miniserve', 'darkhttpd', 'webfsd', 'static-web-server', 'live-server', 'httpd',
                'updog', 'simple-http-server', 'http-server-rs', 'dufs', 'sfz')
     or v_prog = 'busybox' and v_args[1] = 'httpd' or v_prog = 'caddy' and v_args[1] = 'file-server'
     or v_prog = 'twistd' and v_args && array['web']
     or v_prog = 'ruby' and exists (select from unnest(v_raw) as r where r ~ '^(-e)?httpd$') then
    v_dir := coalesce(v_vals -> '-h' ->> 0, v_vals -> '--root' ->> 0, v_vals -> '-d' ->> 0, v_vals -> '--directory' ->> 0,
                      v_vals -> '--path' ->> 0,
                      (select a from unnest(v_args) as a where left(a, 1) in ('/', '~', '.') limit 1), p_ctx ->> 'cwd', '.');
    if exists (select from jsonb_array_elements(coord.guard_effect('serve', array[v_dir])) as e
               where e -> 'c' ?| array['root', 'home', 'system', 'home-data', 'credential']) then
      v_out := v_out || coord.guard_effect('network-expose', array[v_dir]);
    end if;
  end if;
  if v_prog in ('docker', 'podman') and exists (select from unnest(v_raw) with ordinality as x (w, o)
                                                where x.w = '--protected-mode' and v_raw[x.o + 1] = 'no') then
    v_out := v_out || coord.guard_effect('network-expose', array['redis']);
  end if;
  if v_prog = 'redis-server' and (coalesce(v_vals -> '--protected-mode' ->> 0, '') = 'no'
                                  or coalesce(v_vals -> '--bind' ->> 0, '') ~ '0\.0\.0\.0|\*') then
    v_out := v_out || coord.guard_effect('network-expose', array['redis']);
  end if;
  if v_prog in ('code-server', 'ttyd', 'gotty', 'jupyter', 'jupyter-lab', 'jupyter-notebook', 'x11vnc', 'vncserver', 'wetty')
     and (v_prog in ('ttyd', 'gotty', 'x11vnc', 'vncserver', 'wetty')
          or exists (select from unnest(v_words) as w where w ~ '0\.0\.0\.0|--auth[= ]none|token=''''|--no-browser --ip=\*|--ip=\*|--allow-root')) then
    v_out := v_out || coord.guard_effect('network-expose', array[v_prog]);
  end if;

  -- sockets wired to shells
  if v_prog = any (v_netcats) or v_prog = 'busybox' and v_args[1] in ('nc', 'telnetd') then
    if v_prog in ('nc', 'ncat', 'netcat', 'nc.traditional', 'nc.openbsd', 'cryptcat', 'pwncat', 'busybox')
       and (v_vals ?| array['-e', '-c', '--exec', '--sh-exec', '--lua-exec'] or v_flags && array['-e', '-c'])
       or v_prog = 'socat' and exists (select from unnest(v_words) as w where w ~* '(^|,|\s)(exec|system):')
       or v_in = 'shell' and v_prog <> 'ssh' then
      v_out := v_out || coord.guard_effect('revshell', array[v_prog]);
    end if;
    if v_prog = 'socat' and exists (select from unnest(v_words) as w where w ~* '^(tcp|udp|openssl|ssl)[46]?(-listen)?:')
       and exists (select from unnest(v_words) as w where w ~* '^(file|open|gopen|create):') then
      v_out := v_out || coord.guard_effect('send', array(select substring(w from ':([^,]+)') from unnest(v_words) as w
                                                         where w ~* '^(file|open|gopen|create):'));
    end if;
    if v_prog = 'socat' and exists (select from unnest(v_words) as w where w ~* '^tcp[46]?-listen:')
       and exists (select from unnest(v_words) as w where w ~* '^unix-connect:.*docker\.sock') then
      v_out := v_out || coord.guard_effect('network-expose', array['docker socket']);
    end if;
    -- remote forwards, and local forwards any host may connect to
    if v_prog = 'ssh' and (v_vals ? '-R' or v_flags && array['-R', '-g']
                           or exists (select from jsonb_array_elements_text(coalesce(v_vals -> '-L', '[]') || coalesce(v_vals -> '-D', '[]')) as f
                                      where f ~ '^(0\.0\.0\.0|\*|\[::\]|::):')) then
      v_out := v_out || coord.guard_effect('network-expose', array['ssh forward']);
    end if;
  end if;

  -- code run from what flows in: a program reading its script from stdin, fed a download
  if v_in = 'download' and (v_prog in ('psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'mongosh', 'mongo', 'redis-cli', 'cqlsh',
                                       'clickhouse-client', 'sqlcmd', 'osascript', 'wscript', 'cscript', 'at', 'batch', 'crontab')
                            or v_prog in ('make', 'gmake') and exists (select from unnest(v_words) with ordinality as x (w, o)
                                                                       where x.w in ('-f', '--file') and v_words[x.o + 1] = '-')
                            or v_prog = any (v_interpreters) and v_code is not null
                               and v_code[2] ~* '(sys\.stdin|stdin\.read|process\.stdin|STDIN|\$stdin|readlines\(\)|<STDIN>|php://stdin|io\.read)') then
    v_out := v_out || coord.guard_effect('exec-remote', array['(stdin)']);
  end if;
  -- uv run URL, pipx run URL: a script from the network
  if v_prog in ('uv', 'pipx', 'bun', 'deno') and v_args[1] = 'run' and v_args[2] ~* '^https?://' then
    v_out := v_out || coord.guard_effect('exec-remote', v_args[2:2]);
  end if;
  -- a TCP listener forwarding to another host, servers started on every interface with
  -- authentication switched off, databases listening everywhere
  if v_prog = 'socat' and exists (select from unnest(v_words) as w where w ~* '^tcp[46]?-listen:' and w !~* 'bind=127\.|bind=localhost')
     and exists (select from unnest(v_words) as w where w ~* '^tcp[46]?:[^,]+:[0-9]+' and w !~* '^tcp[46]?:(localhost|127\.0\.0\.1):') then
    v_out := v_out || coord.guard_effect('network-expose', array['port forward']);
  end if;
  if (strpos(array_to_string(v_words, ' '), '0.0.0.0') > 0 or v_words && array['*', '::', '[::]'])
     and exists (select from unnest(v_words) as w where w ~ '(^|[= :])(0\.0\.0\.0|\*|::|\[::\])(:[0-9]+)?$')
     and exists (select from unnest(v_words) as w
                 where w ~* '^--?(no-?token|without-connection-token|noauth|no-auth|disable-auth|auth=none|allow-anonymous|skip-grant-tables|no-password)$|^--(auth|token)(=|$)(none|''''|"")?$|token=$|security\.enabled=false|protected-mode') then
    v_out := v_out || coord.guard_effect('network-expose', array[v_prog]);
  end if;
  if v_prog in ('memcached', 'redis-server', 'mongod', 'valkey-server', 'etcd', 'elasticsearch')
     and exists (select from unnest(v_words) as w where w ~ '^(0\.0\.0\.0|\*|::)$|=0\.0\.0\.0|--bind_ip_all') then
    v_out := v_out || coord.guard_effect('network-expose', array[v_prog]);
  end if;
  -- rclone serve on every interface (its default is localhost)
  if v_prog = 'rclone' and v_args[1] = 'serve' and coalesce(v_vals -> '--addr' ->> 0, '') ~ '^(:|0\.0\.0\.0|\[::\]|\*)' then
    v_out := v_out || coord.guard_effect('network-expose', array['rclone serve']);
  end if;
  -- package runners told to fetch the tool from a repository or a URL run code nobody reviewed
  if (v_prog in ('npx', 'bunx', 'pnpx', 'uvx') or v_prog in ('pnpm', 'yarn', 'npm', 'pipx', 'bun') and v_args[1] in ('dlx', 'exec', 'run', 'x'))
     and exists (select from unnest(v_words) as a where a ~* '^(--(from|spec|package)=)?(github:|gitlab:|bitbucket:|git\+|git://|https?://|git@)') then
    v_out := v_out || coord.guard_effect('exec-remote', array[v_prog]);
  end if;
  -- commands typed into a database's plain-text protocol (memcached, redis)
  if v_prog = any (v_netcats) and coalesce(p_ctx ->> 'stdin', '') ~* '(^|\s|\\n)(flush_all|flushall|flushdb|shutdown|config set|slaveof|replicaof|debug|drop)(\s|\\r|\\n|$)' then
    v_out := v_out || coord.guard_effect('db-destroy', array[v_prog]);
  end if;
  -- secrets and the environment piped into anything that talks to the network
  if v_prog = any (v_senders) and v_in in ('secret', 'env') then
    v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(stdin)', 'c', jsonb_build_array('credential')));
  end if;
  -- sftp/ftp commands on stdin: put FILE sends it
  if v_prog in ('sftp', 'ftp', 'lftp', 'smbclient') and p_ctx ? 'stdin' then
    v_out := v_out || coord.guard_effect('send', array(select m[1] from regexp_matches(p_ctx ->> 'stdin', '(?:^|\n|;)\s*(?:m?put|send)\s+([^\s;]+)', 'g') as m));
  end if;

  -- HTTP clients: uploads, metadata credentials, secret variables sent away, API deletions
  if v_prog in ('curl', 'wget', 'http', 'https', 'httpie', 'xh', 'curlie', 'aria2c', 'iwr', 'invoke-webrequest', 'irm',
                'invoke-restmethod', 'gh', 'glab', 'fetch') then
    v_remote := exists (select from unnest(v_args || array(select x from jsonb_array_elements_text(coalesce(v_vals -> '--url', '[]')) as x)) as a
                        where (a ~* '^[a-z]+://' or a ~ '^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(/|:|$)')
                          and a !~* '^([a-z]+://)?(localhost|127\.[0-9.]+|\[?::1\]?|0\.0\.0\.0|host\.docker\.internal)([:/]|$)'
                          -- (a URL's host in any spelling of those addresses: http://[0:0:0:0:0:0:0:1]:8080/)
                          and (strpos(a, '://[') = 0
                               or coalesce(coord.guard_url_host(a) !~ '^(localhost|127\.[0-9.]+|::1|0\.0\.0\.0|host\.docker\.internal)$', true)));
    if exists (select from unnest(v_args) as a
               where a ~* '^([a-z]+://)?(169\.254\.169\.254|\[?fd00:ec2::254\]?|metadata\.google\.internal|metadata|100\.100\.100\.200|169\.254\.170\.2)([:/$]|$)') then
      v_out := v_out || coord.guard_effect('secret-dump', array['instance metadata']);
    end if;
    if v_remote then
      for v_x in
        select x from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
        where e.key in ('-d', '--data', '--data-binary', '--data-raw', '--data-urlencode', '--data-ascii', '-F', '--form',
                        '--form-string', '-T', '--upload-file', '--json', '--post-file', '--body-file', '--body-data')
      loop
        v_x := case when v_x ~ '^[^=@]*=@' then substring(v_x from '=@([^;]*)')
                    when v_x like '@%' then substr(v_x, 2)
                    when v_x ~ '^[^=]*=<' then substring(v_x from '=<([^;]*)')
                    else case when v_vals ?| array['-T', '--upload-file', '--post-file', '--body-file'] then v_x end end;
        continue when v_x is null;
        if v_x in ('-', '/dev/stdin') then
          if v_in in ('secret', 'env') then
            v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(stdin)', 'c', jsonb_build_array('credential')));
          end if;
        else
          v_out := v_out || coord.guard_effect('send', array[v_x]);
        end if;
      end loop;
      if v_prog in ('http', 'https', 'xh', 'curlie') then
        v_out := v_out || coord.guard_effect('send', array(select substr(a, 2) from unnest(v_args) as a where a like '@%'
                                                         union all select substring(a from '=@(.*)$') from unnest(v_args) as a where a ~ '^[^=@]+=@'));
      end if;
      -- a secret variable in the URL, a header or the body goes to that host; tokens belong to
      -- the service that issued them
      -- (the host read once, when a secret variable is there: coord.guard_url_host)
      for v_var in select distinct m[1] from unnest(v_raw) as r, regexp_matches(r, '\$\{?([A-Za-z_][A-Za-z0-9_]*)', 'g') as m loop
        if v_var ~* '(secret|token|passw|api_?key|apikey|private|access_?key|credential|auth|_pat$|webhook)' then
          v_host := coalesce(v_host, coord.guard_url_host(array_to_string(v_args, ' ')), '');
        end if;
        if v_var ~* '(secret|token|passw|api_?key|apikey|private|access_?key|credential|auth|_pat$|webhook)'
           and not coord.guard_token_host(v_var, nullif(v_host, '')) then
          v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', '$' || v_var, 'c', jsonb_build_array('credential')));
        end if;
      end loop;
    end if;
    -- deleting or changing things through an HTTP API
    v_method := upper(coalesce(v_vals -> '-X' ->> 0, v_vals -> '--request' ->> 0, v_vals -> '--method' ->> 0,
                               (select upper(w) from unnest(v_args) as w where upper(w) in ('DELETE', 'PUT', 'PATCH') and v_prog in ('http', 'https', 'xh') limit 1),
                               (select v_words[x.o + 1] from unnest(v_words) with ordinality as x (w, o) where x.w = '-method' limit 1)));
    if v_prog in ('gh', 'glab') and v_args[1] = 'api' then
      -- a deployment created through the API goes where its environment says
      if v_method in ('POST', 'PUT') and v_args[2] ~ '/deployments(/|$)' then
        v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', v_args[2], 'c', jsonb_build_array(
          case when exists (select from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
                            where e.key in ('-f', '-F', '--field', '--raw-field') and x ~* '^environment=(prod|production|live)')
               then 'production' else 'unknown-env' end)));
      end if;
      if v_method = 'DELETE' then
        v_out := v_out || coord.guard_effect('cloud-delete', v_args[2:2]);
      elsif v_method in ('PUT', 'PATCH', 'POST') or v_vals ?| array['-f', '-F', '--field', '--raw-field'] then
        if exists (select from unnest(v_args) as a where a ~* '(collaborators|memberships|members|protection|protected_branches|hooks|keys|permissions|visibility|rulesets|secrets|actions/permissions|transfer|admins|owners)')
           or exists (select from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
                      where e.key in ('-f', '-F', '--field', '--raw-field')
                        and split_part(x, '=', 1) ~* '(visibility|private|permission|role|admin|archived|default_branch|allow_force|enforce_admins|required_|security_and_analysis|is_template|has_|members_can)') then
          v_out := v_out || coord.guard_effect('cloud-change', v_args[2:2]);
        end if;
      end if;
    elsif v_remote and v_method in ('PUT', 'PATCH', 'POST') and (exists (
            select from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
            where e.key in ('-d', '--data', '--data-raw', '--data-binary', '--json', '-F', '--form')
              and x ~* '"?(is_private|private|visibility|public|permission|access_level|role|admin|archived|enforce_admins|allow_force_pushes|protected)"?\s*[:=]')
            or exists (select from unnest(v_args) as a where a ~* '[?&](visibility=public|private=false|is_private=false|public=true|access_level=)')
            -- a settings change with credentials on someone's API
            or v_method in ('PUT', 'PATCH') and exists (select from jsonb_array_elements_text(coalesce(v_vals -> '-H', '[]') || coalesce(v_vals -> '--header', '[]')) as h
                                                        where h ~* '^(authorization|private-token|x-api-key|x-auth-token|circle-token|x-vault-token):')) then
      v_out := v_out || coord.guard_effect('remote-change', array[v_method]);
    elsif v_method = 'DELETE' then
      if exists (select from unnest(v_args) as a where a ~ '/(_all|\*|_data|[^/]*\*)(/|$|\?)'
                 or a ~ '(:9200|elastic|opensearch|/_index|:7700/indexes|/indexes/|:8108/collections|:6333/collections|/collections/[^/]+/?$|/databases/[^/]+/?$|/buckets/[^/]+/?$)') then
        v_out := v_out || coord.guard_effect('db-destroy', array['DELETE']);
      elsif v_remote then
        v_out := v_out || coord.guard_effect('remote-change', array['DELETE']);
      end if;
    end if;
  end if;
  -- HTTP calls that deploy or publish: deploy hooks, registries' upload and update endpoints
  if v_prog in ('curl', 'wget', 'http', 'https', 'xh', 'curlie', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod')
     and coalesce(v_method, case when v_vals ?| array['-d', '--data', '--data-raw', '--json', '-F', '--form', '--post-data', '-T'] then 'POST' end, 'GET') <> 'GET' then
    if exists (select from unnest(v_args) as a
               where a ~* '^(https?://)?(circleci\.com/api/v2/project/.*/pipeline|api\.github\.com/repos/[^/]+/[^/]+/(dispatches|actions/workflows/[^/]+/dispatches)|gitlab\.com/api/v4/projects/[^/]+/(pipeline|trigger/pipeline)|api\.travis-ci\.com/repo/.*/requests|api\.buildkite\.com/v2/organizations/.*/builds)'
                 and array_to_string(v_words, ' ') ~* '(deploy|prod|release)'
                  or a ~* '^(https?://)?(api\.render\.com/deploy|api\.netlify\.com/build_hooks|api\.vercel\.com/v[0-9]+/integrations/deploy|api\.heroku\.com/apps/[^/]+/(builds|releases)|[^/]*\.pages\.dev/deploy|api\.cloudflare\.com/client/v4/pages/webhooks/deploy_hooks|api\.digitalocean\.com/v2/apps/[^/]+/deployments|api\.railway\.app|backboard\.railway\.app|api\.fly\.io/v1/apps/[^/]+/machines)') then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', 'deploy hook', 'c', jsonb_build_array('unknown-env')));
    end if;
    if exists (select from unnest(v_args) as a
               where a ~* '^(https?://)?(packagist\.org/api/(update-package|create-package)|upload\.pypi\.org|test\.pypi\.org/legacy|registry\.npmjs\.org/[^ ]|crates\.io/api/v1/crates/new|rubygems\.org/api/v1/gems|hex\.pm/api/(packages|publish)|www\.nuget\.org/api/v2/package|api\.nuget\.org/v3/package|uploads\.github\.com/repos/[^/]+/[^/]+/releases|api\.github\.com/repos/[^/]+/[^/]+/releases|oss\.sonatype\.org|central\.sonatype\.com/api|galaxy\.ansible\.com/api|open-vsx\.org/api/-/publish|marketplace\.visualstudio\.com/_apis/gallery/publishers)') then
      v_out := v_out || coord.guard_effect('publish', array['registry API']);
    end if;
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_flow_effects(jsonb, jsonb) is 'Guardrail effects of data flows through one command: code from the network or decoded text run, reverse shells, uploads and secrets sent away, instance metadata credentials, API deletions, interpreter code, servers exposing the machine.';
revoke all on function coord.guard_flow_effects(jsonb, jsonb) from public;
