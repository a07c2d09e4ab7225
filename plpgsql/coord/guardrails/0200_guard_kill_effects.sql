-- Guardrail effects of killing processes: kill-all when every process or the system's own
-- goes (kill -9 -1, kill -- -1, kill 1, kill -s KILL -1, pkill -f ., killall sshd, process ids
-- from an unfiltered ps, Get-Process | Stop-Process, taskkill /im lsass.exe), kill-many when
-- every process of a user goes (pkill -u bob, killall -u bob). Killing one program by name or
-- id is ordinary work.
create or replace function coord.guard_kill_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_words text[] := array(select jsonb_array_elements_text(p_op -> 'words'));
  v_raw text[] := array(select jsonb_array_elements_text(coalesce(p_op -> 'raw', p_op -> 'words')));
  v_args text[] := array(select jsonb_array_elements_text(p_op -> 'args'));
  v_flags text[] := array(select jsonb_array_elements_text(p_op -> 'flags'));
  v_critical constant text[] := array['systemd', 'init', 'sshd', 'ssh', 'dockerd', 'containerd', 'kubelet', 'xorg',
                                      'gnome-shell', 'explorer', 'explorer.exe', 'lsass', 'lsass.exe', 'csrss', 'csrss.exe',
                                      'winlogon', 'winlogon.exe', 'wininit', 'wininit.exe', 'svchost', 'svchost.exe',
                                      'services', 'services.exe', 'smss', 'smss.exe', 'msmpeng', 'msmpeng.exe', 'launchd',
                                      'loginwindow', 'windowserver', 'postgres', 'mysqld', 'sshd.exe'];
  v_pids text[];
  v_i integer := 1;
  v_pattern text;
begin
  if v_prog in ('kill', 'skill') then
    -- kill [-s SIG | -SIG | -n NUM] [--] pid...: a first word like -9 or -KILL is the signal
    if v_words[1] in ('-s', '-n', '--signal') then
      v_i := 3;
    elsif v_words[1] ~ '^-([0-9]+|[A-Za-z][A-Za-z0-9+-]*)$' and v_words[1] not in ('--', '-l', '-L') then
      v_i := 2;
    end if;
    if v_words[v_i] = '--' then
      v_i := v_i + 1;
    end if;
    v_pids := v_raw[v_i:];
    if v_pids && array['-1', '1']
       or exists (select from unnest(v_pids) as p
                  where p ~ '\mps\M' and p ~ '(-e|-A|aux|-ef|ax\M)' and p !~ 'grep|pgrep|-C |--ppid|-p |-u '
                     -- the ids of the system's own daemons, however they are looked up
                     or p ~ '(pidof|pgrep( -[a-z]+)*|pkill( -[a-z]+)*) +[''"]?(systemd|init|sshd|dockerd|containerd|kubelet|postgres|mysqld|mongod|redis-server|nginx|launchd|xorg|\.|\.\*)[''"]?([^a-z0-9_.-]|$)'
                     or p ~ '/(var/)?run/[^ ]*(sshd|postgres|postmaster|mysqld|dockerd|containerd|kubelet|nginx|mongod|redis[^ /]*|crond?|syslogd|rsyslogd)[^ /]*\.pid'
                     or p ~ 'postmaster\.pid') then
      return coord.guard_effect('kill-all');
    end if;
    if cardinality(v_pids) = 0 and p_ctx ->> 'in' = 'pids' then
      return coord.guard_effect('kill-all');
    end if;
  elsif v_prog in ('pkill', 'killall') then
    -- -v inverts the match: everything but the pattern goes
    if v_prog = 'pkill' and v_flags && array['-v', '--inverse'] then
      return coord.guard_effect('kill-all');
    end if;
    v_pattern := (select a from unnest(v_args) as a where a !~ '^-[0-9]+$' and a !~ '^-[A-Z]+$' limit 1);
    if v_pattern is null or v_pattern in ('.', '.*', '^', '$', '') or lower(v_pattern) = any (v_critical) then
      if v_pattern is null and not p_op -> 'vals' ?| array['-u', '-U', '--uid', '--euid', '--user'] then
        return '[]';
      end if;
      return coord.guard_effect(case when v_pattern is null then 'kill-many' else 'kill-all' end);
    end if;
  elsif v_prog in ('stop-process', 'spps', 'stop-service', 'spsv') then
    -- names may come as one comma-separated list (-Name explorer,winlogon)
    v_args := array(select btrim(x) from unnest(v_args) as a, unnest(string_to_array(a, ',')) as x);
    if cardinality(v_args) = 0 and p_ctx ->> 'in' = 'pids' or v_args && array['*'] or exists (
         select from unnest(v_args) as a where a = any (v_critical)) then
      return coord.guard_effect('kill-all');
    end if;
  elsif v_prog = 'taskkill' then
    if exists (select from unnest(v_words) with ordinality as x (w, o)
               where lower(x.w) = '/im' and (v_words[x.o + 1] in ('*', '*.exe') or lower(v_words[x.o + 1]) = any (v_critical))
                  -- filters that take the system's processes, or everything but one
                  or lower(x.w) = '/fi' and v_words[x.o + 1] ~* '^(username eq (system|nt authority|local service|network service)|imagename ne |pid (gt|ge) |status eq running$|memusage gt 0|cputime gt 0)') then
      return coord.guard_effect('kill-all');
    end if;
  end if;
  return '[]';
end;
$$;

comment on function coord.guard_kill_effects(jsonb, jsonb) is 'Guardrail effects of kill, pkill, killall, Stop-Process and taskkill: kill-all (every process or the system''s own), kill-many (every process of a user).';
revoke all on function coord.guard_kill_effects(jsonb, jsonb) from public;
