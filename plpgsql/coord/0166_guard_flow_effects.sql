-- Guardrail effects of data flowing into, out of and through one command (p_ctx as in
-- coord.guard_effects):
--   exec-remote    code from the network runs: a shell or interpreter reading a download on
--                  stdin, running a file downloaded earlier in the same text, or fed by a socket
--   exec-decoded   a shell or interpreter runs decoded text (base64 -d, xxd -r, ...)
--   exec-piped     a shell runs what an unknown program prints
--   exec-code      interpreter code runs something nobody can read in advance (coord.guard_code)
--   revshell       a shell wired to a socket (nc -e, ncat --exec, socat exec:, sh -i | nc, ...)
--   send           files or secrets leave the machine (curl -d @f / -F / -T, wget --post-file,
--                  secrets or the environment piped into a network tool)
--   network-expose listeners and tunnels that expose this machine (ssh -R, servers bound to
--                  0.0.0.0 serving /, ~ or a system directory)
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
                                          'swift', 'kotlin', 'elixir', 'erl', 'guile', 'sbcl', 'racket'];
  v_netcats constant text[] := array['nc', 'ncat', 'socat', 'telnet', 'openssl', 'cryptcat', 'pwncat', 'sbd',
                                     'gnutls-cli', 'ssh', 'rsh', 'rlogin', 'nc.traditional', 'nc.openbsd', 'busybox'];
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_words text[] := array(select jsonb_array_elements_text(p_op -> 'words'));
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_in text := p_ctx ->> 'in';
  v_downloads text[] := array(select jsonb_array_elements_text(coalesce(p_ctx -> 'downloads', '[]')));
  v_out jsonb := '[]';
  v_lang text;
  v_code text;
  v_x text;
  v_script text;
  v_remote boolean;
begin
  -- a program that was downloaded earlier in the same text
  if v_prog = any (v_downloads) then
    v_out := v_out || coord.guard_effect('exec-remote', array[v_prog]);
  end if;

  -- shells and interpreters: what they run
  if v_prog = any (v_shells) or v_prog = any (v_interpreters) then
    v_script := (select a from unnest(v_args) with ordinality as x (a, o) order by x.o limit 1);
    if v_prog in ('source', '.') or v_prog = any (v_shells) or v_prog = any (v_interpreters) then
      if regexp_replace(coalesce(v_script, ''), '^.*/', '') = any (v_downloads) or v_script = any (v_downloads) then
        v_out := v_out || coord.guard_effect('exec-remote', array[v_script]);
      end if;
    end if;
    if (v_script is null or v_script in ('-', '/dev/stdin', '/proc/self/fd/0') or v_prog in ('iex', 'invoke-expression'))
       and not (v_vals ?| array['-c', '-e', '-E', '-r', '--eval', '-p', '--print', '--command', '-command']) then
      v_out := v_out || case v_in
        when 'download' then coord.guard_effect('exec-remote', array['(stdin)'])
        when 'decode' then coord.guard_effect('exec-decoded', array['(stdin)'])
        when 'secret' then '[]'::jsonb
        when 'env' then '[]'::jsonb
        when 'other' then coord.guard_effect('exec-piped', array['(stdin)'])
        else '[]'::jsonb end;
    end if;
    v_lang := case when v_prog in ('python', 'ipython') then 'python' when v_prog = 'perl' then 'perl'
                   when v_prog in ('ruby', 'irb') then 'ruby' when v_prog in ('node', 'deno', 'bun') then 'js'
                   when v_prog = 'php' then 'php' when v_prog = 'lua' then 'lua' when v_prog = 'osascript' then 'applescript'
                   when v_prog = 'rscript' then 'r' end;
    v_code := coalesce(v_vals -> '-c' ->> 0, v_vals -> '-e' ->> 0, v_vals -> '-E' ->> 0, v_vals -> '--eval' ->> 0,
                       v_vals -> '-p' ->> 0, v_vals -> '-r' ->> 0,
                       case when v_prog = 'deno' and v_args[1] = 'eval' then v_args[2] end);
    if v_lang is not null and v_code is not null and not (v_prog = 'ruby' and v_vals ? '-r' and not v_vals ? '-e') then
      v_out := v_out || coalesce(coord.guard_code(v_lang, v_code) -> 'effects', '[]');
    end if;
    -- module servers exposing a directory to the network
    if v_prog = 'python' and v_vals -> '-m' ->> 0 = 'http.server'
       and exists (select from jsonb_array_elements(coord.guard_effect('serve', array(
                     select jsonb_array_elements_text(coalesce(v_vals -> '--directory', v_vals -> '-d', '[]'))))) as e
                   where e -> 'c' ?| array['root', 'home', 'system', 'home-data', 'credential']) then
      v_out := v_out || coord.guard_effect('network-expose', array['http.server']);
    end if;
    if v_prog = 'php' and v_vals ? '-S' and exists (
         select from jsonb_array_elements(coord.guard_effect('serve', array(
           select jsonb_array_elements_text(coalesce(v_vals -> '-t', '[]'))))) as e
         where e -> 'c' ?| array['root', 'home', 'system', 'home-data']) then
      v_out := v_out || coord.guard_effect('network-expose', array['php -S']);
    end if;
  elsif v_prog = 'awk' and not v_vals ? '-f' and cardinality(v_args) >= 1 then
    v_out := v_out || coalesce(coord.guard_code('awk', v_args[1]) -> 'effects', '[]');
  end if;

  -- sockets wired to shells
  if v_prog = any (v_netcats) then
    if v_vals ?| array['-e', '-c', '--exec', '--sh-exec', '--lua-exec']
       or v_flags && array['-e', '-c', '--exec', '--sh-exec', '--lua-exec'] and v_prog <> 'ssh'
       or v_prog = 'socat' and exists (select from unnest(v_words) as w where w ~* '(^|,|\s)(exec|system):')
       or v_in = 'shell' and v_prog <> 'ssh'
       or v_prog = 'busybox' and v_args[1] in ('nc', 'telnetd') and v_words && array['-e'] then
      v_out := v_out || coord.guard_effect('revshell', array[v_prog]);
    end if;
    if v_in in ('secret', 'env') then
      v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(stdin)', 'c', jsonb_build_array('credential')));
    end if;
    if v_prog = 'ssh' and (v_vals ? '-R' or v_flags && array['-R']) then
      v_out := v_out || coord.guard_effect('network-expose', array['ssh -R']);
    end if;
  end if;

  -- uploads: files and what flows in leave through curl, wget, httpie
  if v_prog in ('curl', 'wget', 'http', 'https', 'httpie', 'xh', 'curlie', 'aria2c') then
    v_remote := not exists (select from unnest(v_args) as a where a ~* '^(https?://)?(localhost|127\.[0-9.]+|\[?::1\]?|0\.0\.0\.0)([:/]|$)')
                or exists (select from unnest(v_args) as a where a ~* '^https?://' and a !~* '^https?://(localhost|127\.|\[?::1|0\.0\.0\.0)');
    if v_remote then
      for v_x in
        select x from jsonb_each(v_vals) as e, jsonb_array_elements_text(e.value) as x
        where e.key in ('-d', '--data', '--data-binary', '--data-raw', '--data-urlencode', '--data-ascii', '-F', '--form',
                        '--form-string', '-T', '--upload-file', '--json', '--post-file', '--body-file', '--body-data')
      loop
        v_x := case when v_x ~ '^[^=@]*=@' then substring(v_x from '=@([^;]*)')
                    when v_x like '@%' then substr(v_x, 2)
                    when v_x ~ '^[^=]*=<' then null
                    else case when p_op -> 'vals' ? '-T' or p_op -> 'vals' ? '--upload-file' or p_op -> 'vals' ? '--post-file'
                                   or p_op -> 'vals' ? '--body-file' then v_x end end;
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
    end if;
  end if;
  if v_prog in ('mail', 'mailx', 'sendmail', 'mutt', 'nc', 'ncat', 'socat', 'telnet', 'scp', 'sftp', 'ftp', 'tftp', 'lftp',
                'smbclient', 'curl', 'wget', 'ssh', 'nslookup', 'dig', 'host', 'ping')
     and v_in in ('secret', 'env') and v_prog not in ('nc', 'ncat', 'socat', 'telnet', 'ssh') then
    v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(stdin)', 'c', jsonb_build_array('credential')));
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_flow_effects(jsonb, jsonb) is 'Guardrail effects of data flows through one command: code from the network or decoded text run, reverse shells, uploads and secrets piped out, interpreter one-liners, servers exposing the machine.';
revoke all on function coord.guard_flow_effects(jsonb, jsonb) from public;
