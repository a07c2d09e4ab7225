-- Code handed to an interpreter (python -c, perl -e, ruby -e, node -e, php -r, lua -e,
-- awk 'program', osascript -e, Rscript -e, a here-document on stdin, a PowerShell text):
-- what it runs and what it does. Returns {"commands": [shell text to check as commands],
-- "effects": [guardrail effects]}:
--  * shell-execution calls (os.system, subprocess.*, child_process.*, system, exec, backticks,
--    shell_exec, os.execute, do shell script, awk's system() and | getline) give their string
--    literals as a command (one literal: shell text; several: an argument vector); such a
--    call with no literal is exec-code (what runs is unknown); a bare shell is exec-code too;
--  * deletion calls (shutil.rmtree, fs.rmSync, FileUtils.rm_rf, unlink, ...) give delete or
--    delete-tree of their literals ($(...) when there is none: the target is unknown), and of the
--    directories walked (os.walk('/home'), glob('/etc/*')) when files found there are deleted;
--  * file writes and reads of literal paths give write and read (~ + a literal when the code
--    builds the path from the home directory);
--  * a socket together with a shell or process spawn is a reverse shell; downloaded or decoded
--    code handed to eval/exec runs code nobody has seen; the environment printed is env-dump,
--    sent over the network is a send of secrets; fork() in a loop is a fork bomb.
create or replace function coord.guard_code(p_lang text, p_code text)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_code text := left(coalesce(p_code, ''), 20000);
  v_commands text[] := '{}';
  v_effects jsonb := '[]';
  v_m text[];
  v_call text;
  v_lits text[];
  v_exec_sinks text;
  v_delete_sinks text;
  v_tree_sinks text;
  v_write_sinks text;
  v_read_sinks text;
  v_home boolean;
  v_walked text[];
begin
  if v_code = '' then
    return jsonb_build_object('commands', '[]'::jsonb, 'effects', '[]'::jsonb);
  end if;
  v_home := v_code ~* '(expanduser|homedir|home\(\)|getenv\(.home|environ\[.home|env\.home|\$home|env:userprofile|~/)';
  -- each language's calls, preceded by something that cannot continue a name
  v_exec_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(os\.system|os\.popen|subprocess\.[a-z_]+|commands\.getoutput|commands\.getstatusoutput|pty\.spawn|os\.exec[a-z]*|os\.spawn[a-z]*|\.system|\.popen|getoutput|check_output|check_call|Popen)'
    when 'perl' then '(?:^|[^A-Za-z0-9_$])(system|exec|qx|readpipe)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(system|exec|spawn|IO\.popen|Open3\.[a-z0-9_]+|Kernel\.system|Process\.spawn)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(execSync|exec|spawnSync|spawn|execFileSync|execFile|fork|execaSync|execa|Deno\.run|Bun\.spawn|Bun\.spawnSync)'
    when 'php' then '(?:^|[^A-Za-z0-9_])(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)'
    when 'lua' then '(?:^|[^A-Za-z0-9_])(os\.execute|io\.popen)'
    when 'awk' then '(?:^|[^A-Za-z0-9_])(system)'
    when 'applescript' then '(do shell script)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(system|system2|shell)'
    else null end;
  v_tree_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(shutil\.rmtree|rmtree|send2trash)'
    when 'perl' then '(?:^|[^A-Za-z0-9_])(rmtree|remove_tree)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(FileUtils\.rm_rf|FileUtils\.rm_r|FileUtils\.remove_dir|FileUtils\.remove_entry|rm_rf|rm_r)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(rmSync|rmdirSync|rimraf|rimraf\.sync|fs\.rm|promises\.rm|removeSync|remove|emptyDirSync|deleteSync|del\.sync|Deno\.remove)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(unlink)'
    else null end;
  v_delete_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(os\.remove|os\.unlink|os\.rmdir|unlink|remove)'
    when 'perl' then '(?:^|[^A-Za-z0-9_])(unlink|rmdir)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(File\.delete|File\.unlink|FileUtils\.rm|Dir\.rmdir)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(unlinkSync|unlink)'
    when 'php' then '(?:^|[^A-Za-z0-9_])(unlink|rmdir)'
    when 'lua' then '(?:^|[^A-Za-z0-9_])(os\.remove)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(file\.remove)'
    else null end;
  v_write_sinks := case p_lang
    when 'python' then '(open\([^)]*[''"][wax]b?\+?[''"]|write_text|write_bytes)'
    when 'js' then '(writeFileSync|appendFileSync|writeFile|appendFile|createWriteStream)'
    when 'ruby' then '(File\.write|File\.open\([^)]*[''"][wa]|IO\.write)'
    when 'php' then '(file_put_contents)'
    when 'perl' then '(open\s*\(?\s*[A-Za-z$]*\s*,\s*[''"]>)'
    else null end;
  v_read_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(open|read_text|read_bytes|Path|pathlib\.Path)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(readFileSync|readFile|createReadStream|Deno\.readTextFile|Bun\.file)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(File\.read|IO\.read|File\.open|File\.readlines)'
    when 'php' then '(?:^|[^A-Za-z0-9_])(file_get_contents|readfile|fopen|file)'
    when 'perl' then '(?:^|[^A-Za-z0-9_])(open)'
    else null end;

  -- calls that run shell commands
  if v_exec_sinks is not null then
    for v_m in select regexp_matches(v_code, v_exec_sinks || '\s*[(\[{]?\s*((?:[''"`][^''"`]*[''"`]\s*,?\s*)+|[^;)]*)', 'g') loop
      v_call := v_m[2];
      v_lits := array(select coalesce(x[1], x[2], x[3]) from regexp_matches(coalesce(v_call, ''), '"([^"]*)"|''([^'']*)''|`([^`]*)`', 'g') as x);
      if cardinality(v_lits) = 1 and btrim(v_lits[1]) <> '' then
        v_commands := v_commands || v_lits[1];
      elsif cardinality(v_lits) > 1 then
        v_commands := v_commands || array_to_string(array(select coord.guard_quote(l) from unnest(v_lits) with ordinality as x (l, o) order by x.o), ' ');
      elsif v_m[1] !~ '^(Popen|fork|remove|spawn|exec)$' or p_lang <> 'python' then
        v_effects := v_effects || coord.guard_effect('exec-code', array[v_m[1]]);
      end if;
    end loop;
    -- backticks and %x() in perl, ruby, php run their text
    if p_lang in ('perl', 'ruby', 'php') then
      for v_m in select regexp_matches(v_code, '`([^`]+)`|%x[({]([^)}]*)[)}]|qx[({/]([^)}/]*)[)}/]', 'g') loop
        v_commands := v_commands || coalesce(v_m[1], v_m[2], v_m[3]);
      end loop;
    end if;
    -- awk pipes: print | "cmd", "cmd" | getline
    if p_lang = 'awk' then
      for v_m in select regexp_matches(v_code, '\|\s*"([^"]+)"|"([^"]+)"\s*\|\s*getline', 'g') loop
        v_commands := v_commands || coalesce(v_m[1], v_m[2]);
      end loop;
      for v_m in select regexp_matches(v_code, '>>?\s*"([^"]+)"', 'g') loop
        v_effects := v_effects || coord.guard_effect('write', array[v_m[1]]);
      end loop;
      if v_code ~ '/inet6?/(tcp|udp)/' then
        v_effects := v_effects || coord.guard_effect('revshell', array['/inet/tcp']);
      end if;
    end if;
    if p_lang = 'applescript' and v_code ~* 'login item' then
      v_effects := v_effects || coord.guard_effect('persist', array['login item']);
    end if;
  end if;
  -- GNU sed's e command runs its text
  if p_lang = 'sed' then
    for v_m in select regexp_matches(v_code, '(?:^|[;\n}])\s*(?:[0-9]+|\$)?(?:,[0-9$]+)?\s*e\s+([^;\n}]+)', 'g') loop
      v_commands := v_commands || v_m[1];
    end loop;
  end if;
  -- a bare interactive shell started from code
  if exists (select from unnest(v_commands) as c where btrim(c) ~ '^(/(usr/)?bin/)?(ba|z|da|k|c|tc|fi)?sh( -[il]+)?$') then
    v_effects := v_effects || coord.guard_effect('exec-code', array['shell']);
  end if;

  -- the targets of deletions: path-like literals; the home directory when the call builds on
  -- it (os.homedir(), Path.home(), expanduser('~')); otherwise unknown
  if v_tree_sinks is not null then
    for v_m in select regexp_matches(v_code, v_tree_sinks || '\s*\(?\s*([^;]*)', 'g') loop
      -- module names of require('os') and the like are not paths
      v_lits := array(select coalesce(x[1], x[2]) from regexp_matches(
                        regexp_replace(split_part(v_m[2], ';', 1), '(require|import|__import__|getenv|get)\s*\(\s*["''][^"'']*["'']\s*\)', '', 'g'),
                        '"([^"]*)"|''([^'']*)''', 'g') as x);
      if split_part(v_m[2], ')', 1) ~* '(homedir|home\(|expanduser|getenv\(.home|environ\[.home|env\.home)' and cardinality(v_lits) = 0 then
        v_lits := array['~'];
      end if;
      v_effects := v_effects || coord.guard_effect('delete-tree', case when cardinality(v_lits) > 0 then v_lits[1:1]
                                                                       else array['$(...)'] end);
    end loop;
  end if;
  if v_delete_sinks is not null then
    for v_m in select regexp_matches(v_code, v_delete_sinks || '\s*\(?\s*([^;)]*)', 'g') loop
      v_lits := array(select coalesce(x[1], x[2]) from regexp_matches(
                        regexp_replace(v_m[2], '(require|import|__import__|getenv|get)\s*\(\s*["''][^"'']*["'']\s*\)', '', 'g'),
                        '"([^"]*)"|''([^'']*)''', 'g') as x);
      v_effects := v_effects || coord.guard_effect('delete', case when cardinality(v_lits) > 0 then v_lits else array['$(...)'] end);
    end loop;
    -- files found by walking a directory and deleted: the directory goes
    v_walked := array(select coalesce(x[1], x[2]) from regexp_matches(v_code, '(?:walk|glob|rglob|scandir|listdir|readdirSync|Dir\.glob|Dir\[|glob)\s*[(\[]\s*(?:"([^"]+)"|''([^'']+)'')', 'g') as x);
    if cardinality(v_walked) > 0 then
      v_effects := v_effects || coord.guard_effect('delete-tree', v_walked);
    end if;
  end if;
  if v_write_sinks is not null then
    for v_m in select regexp_matches(v_code, '(["''])([^"'']+)\1[^;]{0,40}?' || v_write_sinks || '|' || v_write_sinks || '\s*\(?\s*(["''])([^"'']+)', 'g') loop
      v_effects := v_effects || coord.guard_effect('write', array[coalesce(v_m[2], v_m[6])]);
    end loop;
  end if;
  if v_read_sinks is not null then
    for v_m in select regexp_matches(v_code, v_read_sinks || '\s*\(([^;]{0,200})', 'g') loop
      v_lits := array(select coalesce(x[1], x[2]) from regexp_matches(split_part(v_m[2], ')', 1), '"([^"]*)"|''([^'']*)''', 'g') as x);
      v_effects := v_effects || coord.guard_effect('read', v_lits)
                             || case when v_home then coord.guard_effect('read', array(select '~/' || ltrim(l, '/~') from unnest(v_lits) as l where l ~ '^/?\.'))
                                     else '[]'::jsonb end;
    end loop;
  end if;

  -- a socket wired to a shell or a spawned process is a remote shell
  if v_code ~* '(socket|fsockopen|tcpsocket|net\.connect|net\.socket|new net\.|createconnection|/dev/tcp/|io::socket|stream_socket_client|tcpclient|net\.sockets)'
     and v_code ~* '(subprocess|pty\.spawn|os\.dup2|/bin/(ba|z|da|k)?sh|cmd\.exe|powershell|child_process|exec\s*\(|system\s*\(|popen|spawn|proc_open|shell_exec|\.pipe\(|sh -i|dup2|fileno|iex|invoke-expression)' then
    v_effects := v_effects || coord.guard_effect('revshell', array['socket']);
  end if;
  -- downloaded or decoded code handed to eval/exec
  if v_code ~* '(urlopen|urllib|requests\.get|httpx|urlretrieve|https?\.get|require\(.https?.\)|fetch\s*\(|net::http|open-uri|file_get_contents\s*\(\s*[''"]https?:|curl_exec|lwp::|http::tiny|invoke-webrequest|invoke-restmethod|\miwr\M|\mirm\M|downloadstring|downloadfile|net\.webclient|start-bitstransfer)'
     and v_code ~* '(exec\s*[( ]|eval\s*[( ]|system\s*\(|subprocess|new function|runinthiscontext|compile\s*\(|\.run\s*\(|\miex\M|invoke-expression|start-process|\.invoke\(|scriptblock)' then
    v_effects := v_effects || coord.guard_effect('exec-remote', array['(downloaded code)']);
  elsif v_code ~* '(b64decode|base64_decode|decode64|unpack\s*\(\s*[''"]m|atob\s*\(|buffer\.from\([^)]*base64|fromcharcode|codecs\.decode|zlib\.decompress|marshal\.loads|decode\(\s*[''"]hex|bytes\.fromhex|unhexlify|frombase64string|gzipstream|deflatestream)'
        and v_code ~* '(exec\s*[( ]|eval\s*[( ]|system\s*\(|subprocess|new function|compile\s*\(|assert\s*\(|create_function|\miex\M|invoke-expression|scriptblock|\.invoke\()' then
    v_effects := v_effects || coord.guard_effect('exec-decoded', array['(decoded code)']);
  end if;
  -- the environment: printed, or sent away
  if v_code ~* '(os\.environ|process\.env|\$_env|\$_server|%env|getenv\(\)|env\.to_h|get-childitem\s+env:|\menv:)' then
    if v_code ~* '(urlopen|requests\.(post|get|put)|httpx|fetch\s*\(|https?\.request|net::http|socket|curl_|invoke-webrequest|invoke-restmethod|smtplib)' then
      v_effects := v_effects || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(environment)', 'c', jsonb_build_array('credential')));
    elsif v_code ~* '(print|console\.(log|dir)|puts|\mp\M|pp|json\.dumps|json\.stringify|dict|var_dump|print_r|dumper|write|echo)\s*\(?\s*(dict\(|json\.dumps\(|json\.stringify\()?\s*(os\.environ|process\.env|env|\$_env|\$_server|%env|getenv\(\))\s*\)?' then
      v_effects := v_effects || coord.guard_effect('env-dump', array['(environment)']);
    end if;
  end if;
  if v_code ~* '(os\.chmod|fs\.chmodsync|chmod)\s*\([^)]*(0o?777|0o?666|511|438)' then
    v_effects := v_effects || coord.guard_effect('perms-open', array['$(...)']);
  end if;
  if v_code ~* '(os\.setuid\s*\(\s*0|setreuid\s*\(\s*0|posix_setuid\s*\(\s*0)' then
    v_effects := v_effects || coord.guard_effect('privesc', array['setuid(0)']);
  end if;
  if v_code ~* '(os\.fork\(\)|\mfork\s*\(\s*\)|process\.fork)' and v_code ~* '(while|for |iter\(|loop|\[os\.fork)' then
    v_effects := v_effects || coord.guard_effect('fork-bomb');
  end if;
  return jsonb_build_object('commands', to_jsonb(v_commands), 'effects', v_effects);
end;
$$;

comment on function coord.guard_code(text, text) is 'Guardrail normalizer for interpreter code: the shell commands a snippet runs and its other effects (deletes, writes, reads, reverse shells, downloaded or decoded code run, the environment printed or sent, fork bombs).';
revoke all on function coord.guard_code(text, text) from public;
