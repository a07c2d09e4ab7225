-- Guardrail normalizer, step 2: peel wrappers off one simple command until the command that
-- really runs is in front. Returns a JSON array of what to check:
--   {"w": [words]}   a simple command (canonicalized by coord.guard_canonical)
--   {"sh": text}     shell text to lex and check again (sh -c, bash -lc, eval, su -c, ssh host
--                    cmd, watch, find -exec, kubectl exec --, docker exec CONTAINER cmd, a shell reading a here-document
--                    or piped-in echo text)
--   {"sql": text}    SQL to check (psql -c, mysql -e, sqlite3 db "...", SQL fed on stdin)
--   {"exec": text}   a command whose output is run (bash <(curl ...), $(curl ...) in command
--                    position): checked as "text | sh"
-- Wrappers removed: keywords (if then do else while until ! { time), NAME=value prefixes,
-- sudo, doas, pkexec, env, nohup, nice, ionice, chrt, taskset, timeout, stdbuf, unbuffer,
-- strace, ltrace, flock, command, exec, builtin, busybox, xargs (with piped-in echo words
-- appended), setsid, unshare, nsenter, fakeroot, chroot DIR, runuser, systemd-run, proxychains,
-- torsocks, firejail, catchsegv (an unknown wrapper would otherwise be taken for the command
-- and the real command's flags hoisted onto it); su/runuser/script -c and sg GROUP CMD run
-- shell text. A wrapper with nothing after it is itself the command (env, sudo -i).
create or replace function coord.guard_unwrap(p_words text[], p_stdin text default null)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_shells constant text[] := array['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish', 'rbash', 'tcsh', 'csh'];
  w text[] := p_words;
  v_items jsonb := '[]';
  v_name text;
  v_n integer;
  v_i integer;
  v_guard integer := 0;
  v_x text;
  v_values text[];
  v_skip integer;
  v_cmd boolean;
  v_start integer;
begin
  loop
    v_guard := v_guard + 1;
    v_n := coalesce(cardinality(w), 0);
    exit when v_n = 0 or v_guard > 40;
    v_name := w[1];
    -- a substitution in command position runs whatever it prints
    if v_name ~ ('^' || chr(30) || '.*' || chr(31) || '$') then
      v_x := substr(v_name, 2, char_length(v_name) - 2);
      if v_x ~ '^\s*(which|command -v|type -P|type -p|echo|printf)\s+[^\s;|&]+\s*$' then
        w[1] := regexp_replace(v_x, '^\s*(which|command -v|type -P|type -p|echo|printf)\s+([^\s;|&]+)\s*$', '\2');
        continue;
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('exec', v_x));
    end if;
    -- brace expansion in command position: {rm,-rf,/}
    if v_name ~ '^\{[^{}]*,[^{}]*\}$' then
      w := string_to_array(substr(v_name, 2, char_length(v_name) - 2), ',') || w[2:];
      continue;
    end if;
    if v_name !~ '^/+$' then
      v_name := regexp_replace(v_name, '^.*/', '');
    end if;
    if v_name ~ '^[A-Za-z_][A-Za-z0-9_]*=' then
      w := w[2:];
      continue;
    end if;
    if v_name in ('then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'nohup', 'builtin', 'busybox',
                  'unbuffer', 'stdbuf', 'strace', 'ltrace', 'time', 'exec', 'command', 'sudo', 'doas', 'pkexec',
                  'nice', 'ionice', 'chrt', 'taskset', 'timeout', 'flock', 'xargs', 'env',
                  'setsid', 'unshare', 'nsenter', 'fakeroot', 'chroot', 'runuser', 'systemd-run', 'proxychains',
                  'proxychains4', 'torsocks', 'firejail', 'catchsegv') then
      if v_name = 'command' and exists (select from unnest(w[2:]) as a where a ~ '^-[a-zA-Z]*[vV]') then
        exit;
      end if;
      if v_name = 'runuser' and array_position(w, '-c') < v_n then  -- runuser USER -c CMD, as su
        return v_items || jsonb_build_array(jsonb_build_object('sh', w[array_position(w, '-c') + 1]));
      end if;
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
                                      '--working-directory', '--on-active', '--on-calendar', '--timer-property']
        when 'proxychains' then array['-f']
        when 'proxychains4' then array['-f']
        when 'torsocks' then array['-u', '-p', '-a', '-P']
        else '{}'::text[] end;
      v_skip := case when v_name in ('timeout', 'chrt', 'taskset', 'flock', 'chroot') then 1 else 0 end;
      v_i := 2;
      while v_i <= v_n loop
        v_x := w[v_i];
        if v_x = '--' then
          v_i := v_i + 1;
          exit;
        elsif v_name = 'env' and v_x ~ '^[A-Za-z_][A-Za-z0-9_]*=' then
          v_i := v_i + 1;
        elsif v_name = 'env' and v_x in ('-S', '--split-string') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh',
            array_to_string(w[v_i + 1:], ' ')));
        elsif v_name in ('flock', 'runuser') and v_x in ('-c', '--command') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1]));
        elsif v_x ~ '^[-+]' and v_x <> '-' then
          v_i := v_i + case when v_x = any (v_values) or (v_x like '--%' and split_part(v_x, '=', 1) = any (v_values)
                                                           and strpos(v_x, '=') = 0) then 2 else 1 end;
        else
          exit;
        end if;
      end loop;
      v_i := v_i + v_skip;
      if v_i > v_n then
        if v_name in ('env', 'sudo', 'doas', 'time', 'command') then
          v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
        elsif v_name = 'xargs' then
          v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(array['echo']
            || coalesce(regexp_split_to_array(nullif(btrim(p_stdin), ''), '\s+'), '{}'))));
        end if;
        return v_items;
      end if;
      if v_name = 'xargs' and p_stdin is not null and not (w[2:v_i - 1] && array['-I', '-a', '--replace', '--arg-file']) then
        w := w[v_i:] || coalesce(regexp_split_to_array(nullif(btrim(p_stdin), ''), '\s+'), '{}');
      else
        w := w[v_i:];
      end if;
      continue;
    end if;
    if v_name = any (v_shells) then
      v_cmd := false;
      v_i := 2;
      while v_i <= v_n and w[v_i] ~ '^[-+]' loop
        if w[v_i] in ('--', '-') then
          v_i := v_i + 1;
          exit;
        elsif w[v_i] in ('-o', '+o', '-O', '+O', '--rcfile', '--init-file') then
          v_i := v_i + 2;
        else
          v_cmd := v_cmd or w[v_i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$' or w[v_i] = '--command';
          v_i := v_i + 1;
        end if;
      end loop;
      if v_cmd and v_i <= v_n then
        return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i]));
      elsif v_i <= v_n and w[v_i] ~ ('^' || chr(30) || '.*' || chr(31) || '$') then
        return v_items || jsonb_build_array(jsonb_build_object('exec', substr(w[v_i], 2, char_length(w[v_i]) - 2)));
      elsif v_i > v_n and p_stdin is not null then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', p_stdin));
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name = 'eval' then
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[2:], ' ')));
    end if;
    if v_name = 'watch' then
      v_i := 2;
      while v_i <= v_n and w[v_i] ~ '^-' loop
        v_i := v_i + case when w[v_i] in ('-n', '--interval', '-q', '--equexit') then 2 else 1 end;
      end loop;
      return v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i:], ' ')));
    end if;
    if v_name in ('source', '.') and v_n >= 2 and w[2] ~ ('^' || chr(30) || '.*' || chr(31) || '$') then
      return v_items || jsonb_build_array(jsonb_build_object('exec', substr(w[2], 2, char_length(w[2]) - 2)));
    end if;
    if v_name in ('su', 'script') then
      for v_i in 2 .. v_n loop
        if w[v_i] in ('-c', '--command') and v_i < v_n then
          return v_items || jsonb_build_array(jsonb_build_object('sh', w[v_i + 1]));
        elsif w[v_i] like '--command=%' then
          return v_items || jsonb_build_array(jsonb_build_object('sh', substr(w[v_i], 11)));
        end if;
      end loop;
    end if;
    if v_name = 'sg' and v_n >= 3 then
      return v_items || jsonb_build_array(jsonb_build_object('sh', w[3]));
    end if;
    if v_name in ('ssh', 'mosh') then
      v_i := 2;
      while v_i <= v_n and w[v_i] ~ '^-' loop
        v_i := v_i + case when w[v_i] ~ '^-[BbcDEeFIiJLlmOopQRSWw]$' then 2 else 1 end;
      end loop;
      if v_i < v_n then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh', array_to_string(w[v_i + 1:], ' ')));
        w := w[1:v_i];
      end if;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    if v_name = 'find' then
      v_i := 2;
      while v_i <= v_n loop
        if w[v_i] in ('-exec', '-execdir', '-ok', '-okdir') then
          v_start := v_i + 1;
          v_i := v_start;
          while v_i <= v_n and w[v_i] not in (';', '+') loop
            v_i := v_i + 1;
          end loop;
          v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
            array_to_string(array(select coord.guard_quote(x) from unnest(w[v_start:v_i - 1]) with ordinality as a (x, o)
                                  order by a.o), ' ')));
        end if;
        v_i := v_i + 1;
      end loop;
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
    end if;
    -- docker exec [OPTIONS] CONTAINER COMMAND... (no -- needed): the command runs in the container
    if v_name in ('docker', 'podman') and v_n >= 3 and w[2] = 'exec' and not ('--' = any (w)) then
      v_i := 3;
      while v_i <= v_n and w[v_i] ~ '^-' loop
        v_i := v_i + case when w[v_i] in ('-e', '-u', '-w', '--env', '--user', '--workdir', '--env-file',
                                          '--detach-keys') then 2 else 1 end;
      end loop;
      if v_i < v_n then
        v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
          array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o)
                                order by a.o), ' ')));
        return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i])));
      end if;
    end if;
    if v_name in ('kubectl', 'oc', 'docker', 'podman') and 'exec' = any (w) and '--' = any (w) then
      v_i := array_position(w, '--');
      v_items := v_items || jsonb_build_array(jsonb_build_object('sh',
        array_to_string(array(select coord.guard_quote(x) from unnest(w[v_i + 1:]) with ordinality as a (x, o)
                              order by a.o), ' ')));
      return v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w[1:v_i - 1])));
    end if;
    if v_name in ('psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cockroach') then
      v_cmd := false;
      for v_i in 2 .. v_n loop
        if (v_name = 'psql' and w[v_i] in ('-c', '--command')) or (v_name in ('mysql', 'mariadb') and w[v_i] in ('-e', '--execute'))
           or (v_name in ('sqlite3', 'duckdb') and w[v_i] = '-cmd') then
          if v_i < v_n then
            v_items := v_items || jsonb_build_array(jsonb_build_object('sql', w[v_i + 1]));
            v_cmd := true;
          end if;
        elsif w[v_i] ~ '^(--command|--execute)=' then
          v_items := v_items || jsonb_build_array(jsonb_build_object('sql', substr(w[v_i], strpos(w[v_i], '=') + 1)));
          v_cmd := true;
        elsif (v_name = 'psql' and w[v_i] ~ '^-c.') or (v_name in ('mysql', 'mariadb') and w[v_i] ~ '^-e.') then
          v_items := v_items || jsonb_build_array(jsonb_build_object('sql', substr(w[v_i], 3)));
          v_cmd := true;
        end if;
      end loop;
      if v_name in ('sqlite3', 'duckdb') then
        v_values := array(select a from unnest(w[2:]) with ordinality as x (a, o) where a !~ '^-' order by o);
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
    v_items := v_items || jsonb_build_array(jsonb_build_object('w', to_jsonb(w)));
  end if;
  return v_items;
end;
$$;

comment on function coord.guard_unwrap(text[], text) is 'Guardrail normalizer: peels sudo, env, nohup, xargs, sh -c and other wrappers off a simple command; returns the commands, shell text, SQL and run-the-output commands to check.';
revoke all on function coord.guard_unwrap(text[], text) from public;
