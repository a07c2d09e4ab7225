-- Code handed to an interpreter on its command line (python -c, perl -e, ruby -e, node -e,
-- php -r, lua -e, awk 'program', osascript -e, Rscript -e): what it runs and what it does.
-- Returns {"commands": [shell text to check as commands], "effects": [guardrail effects]}:
--  * shell-execution calls (os.system, subprocess.*, child_process.*, system, exec, backticks,
--    shell_exec, os.execute, do shell script, awk's system() and | getline) give their string
--    literals as a command; such a call with no literal is exec-code (what runs is unknown);
--  * deletion calls (shutil.rmtree, fs.rmSync, FileUtils.rm_rf, unlink, ...) give delete or
--    delete-tree of their literals ($(...) when there is none: the target is unknown);
--  * file writes and reads of literal paths give write and read;
--  * a socket together with a shell or process spawn is a reverse shell; downloaded or decoded
--    code handed to eval/exec runs code nobody has seen; dumping the environment is env-dump.
create or replace function coord.guard_code(p_lang text, p_code text)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_code text := coalesce(p_code, '');
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
begin
  if v_code = '' then
    return jsonb_build_object('commands', '[]'::jsonb, 'effects', '[]'::jsonb);
  end if;
  v_exec_sinks := case p_lang
    when 'python' then '(os\.system|os\.popen|subprocess\.[a-z_]+|commands\.getoutput|commands\.getstatusoutput|pty\.spawn|os\.exec[a-z]*|os\.spawn[a-z]*|getoutput|check_output|check_call|Popen|call|run)'
    when 'perl' then '(system|exec|qx|readpipe)'
    when 'ruby' then '(system|exec|spawn|%x|IO\.popen|Open3\.[a-z0-9_]+|Kernel\.system|Process\.spawn|`)'
    when 'js' then '(execSync|exec|spawnSync|spawn|execFileSync|execFile|fork|child_process\.[a-zA-Z]+|\$)'
    when 'php' then '(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)'
    when 'lua' then '(os\.execute|io\.popen)'
    when 'awk' then '(system)'
    when 'applescript' then '(do shell script)'
    when 'r' then '(system|system2|shell)'
    else null end;
  v_tree_sinks := case p_lang
    when 'python' then '(shutil\.rmtree|rmtree|send2trash)'
    when 'perl' then '(rmtree|remove_tree)'
    when 'ruby' then '(FileUtils\.rm_rf|FileUtils\.rm_r|FileUtils\.remove_dir|FileUtils\.remove_entry|rm_rf|rm_r)'
    when 'js' then '(rmSync|rmdirSync|rimraf|fs\.rm|fs\.promises\.rm|remove|removeSync|emptyDirSync|del\.sync|deleteSync)'
    when 'r' then '(unlink)'
    else null end;
  v_delete_sinks := case p_lang
    when 'python' then '(os\.remove|os\.unlink|os\.rmdir|unlink|remove)'
    when 'perl' then '(unlink|rmdir)'
    when 'ruby' then '(File\.delete|File\.unlink|FileUtils\.rm|Dir\.rmdir)'
    when 'js' then '(unlinkSync|unlink)'
    when 'php' then '(unlink|rmdir)'
    when 'lua' then '(os\.remove)'
    when 'r' then '(file\.remove)'
    else null end;
  v_write_sinks := case p_lang
    when 'python' then '(open\([^)]*[''"][wax]b?\+?[''"]|write_text|write_bytes)'
    when 'js' then '(writeFileSync|appendFileSync|writeFile|appendFile|createWriteStream)'
    when 'ruby' then '(File\.write|File\.open\([^)]*[''"][wa]|IO\.write)'
    when 'php' then '(file_put_contents)'
    when 'perl' then '(open\s*\(?\s*[A-Za-z$]*\s*,\s*[''"]>)'
    else null end;
  v_read_sinks := case p_lang
    when 'python' then '(open|read_text|read_bytes|Path)'
    when 'js' then '(readFileSync|readFile|createReadStream)'
    when 'ruby' then '(File\.read|IO\.read|File\.open|File\.readlines)'
    when 'php' then '(file_get_contents|readfile|fopen|file)'
    when 'perl' then '(open)'
    else null end;

  -- calls that run shell commands: each call's string literals make one command
  if v_exec_sinks is not null then
    for v_m in select regexp_matches(v_code, '(^|[^A-Za-z0-9_.])' || v_exec_sinks || '\s*[(\[{]?\s*(([''"`][^''"`]*[''"`]\s*,?\s*)+|[^;)]*)', 'g') loop
      v_call := v_m[3];
      v_lits := array(select coalesce(x[1], x[2], x[3]) from regexp_matches(coalesce(v_call, ''), '"([^"]*)"|''([^'']*)''|`([^`]*)`', 'g') as x);
      if cardinality(v_lits) > 0 and array_to_string(v_lits, '') !~ '^\s*$' then
        v_commands := v_commands || array_to_string(v_lits, ' ');
      elsif v_m[2] not in ('call', 'run', 'remove', 'exec') or p_lang <> 'python' then
        v_effects := v_effects || coord.guard_effect('exec-code', array[v_m[2]]);
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
  end if;

  if v_tree_sinks is not null then
    for v_m in select regexp_matches(v_code, '(^|[^A-Za-z0-9_])' || v_tree_sinks || '\s*\(\s*([^;)]*)', 'g') loop
      v_lits := array(select coalesce(x[1], x[2]) from regexp_matches(v_m[3], '"([^"]*)"|''([^'']*)''', 'g') as x);
      v_effects := v_effects || coord.guard_effect('delete-tree', case when cardinality(v_lits) > 0 then v_lits[1:1] else array['$(...)'] end);
    end loop;
  end if;
  if v_delete_sinks is not null then
    for v_m in select regexp_matches(v_code, '(^|[^A-Za-z0-9_])' || v_delete_sinks || '\s*\(\s*([^;)]*)', 'g') loop
      v_lits := array(select coalesce(x[1], x[2]) from regexp_matches(v_m[3], '"([^"]*)"|''([^'']*)''', 'g') as x);
      v_effects := v_effects || coord.guard_effect('delete', case when cardinality(v_lits) > 0 then v_lits else array['$(...)'] end);
    end loop;
  end if;
  if v_write_sinks is not null then
    for v_m in select regexp_matches(v_code, '(["''])([^"'']+)\1[^;]{0,40}?' || v_write_sinks || '|' || v_write_sinks || '\s*\(?\s*(["''])([^"'']+)', 'g') loop
      v_effects := v_effects || coord.guard_effect('write', array[coalesce(v_m[2], v_m[6])]);
    end loop;
  end if;
  if v_read_sinks is not null then
    for v_m in select regexp_matches(v_code, '(^|[^A-Za-z0-9_.])' || v_read_sinks || '\s*\(\s*(["''])([^"'']+)\3', 'g') loop
      v_effects := v_effects || coord.guard_effect('read', array[v_m[4]]);
    end loop;
  end if;

  -- a socket wired to a shell or a spawned process is a remote shell
  if v_code ~* '(socket|fsockopen|tcpsocket|net\.connect|net\.socket|new net\.|createconnection|/dev/tcp/|io::socket|stream_socket_client|socket\.socket)'
     and v_code ~* '(subprocess|pty\.spawn|os\.dup2|/bin/(ba|z|da|k)?sh|cmd\.exe|powershell|child_process|exec\s*\(|system\s*\(|popen|spawn|proc_open|shell_exec|\.pipe\(|sh -i|dup2|fileno)' then
    v_effects := v_effects || coord.guard_effect('revshell', array['socket']);
  end if;
  -- downloaded or decoded code handed to eval/exec
  if v_code ~* '(urlopen|urllib|requests\.get|httpx|urlretrieve|http\.get|https\.get|fetch\s*\(|net::http|open-uri|file_get_contents\s*\(\s*[''"]https?:|curl_exec|lwp::|http::tiny|invoke-webrequest|downloadstring)'
     and v_code ~* '(exec\s*\(|eval\s*\(|system\s*\(|subprocess|new function|runinthiscontext|compile\s*\(|\.run\s*\()' then
    v_effects := v_effects || coord.guard_effect('exec-remote', array['(downloaded code)']);
  elsif v_code ~* '(b64decode|base64_decode|decode64|unpack\s*\(\s*[''"]m|atob\s*\(|buffer\.from\([^)]*base64|fromcharcode|codecs\.decode|zlib\.decompress|marshal\.loads|decode\(\s*[''"]hex|bytes\.fromhex|unhexlify)'
        and v_code ~* '(exec\s*\(|eval\s*\(|system\s*\(|subprocess|new function|compile\s*\(|assert\s*\(|create_function)' then
    v_effects := v_effects || coord.guard_effect('exec-decoded', array['(decoded code)']);
  end if;
  if v_code ~* '(print|console\.log|puts|p|pp|json\.dumps|json\.stringify|dict|var_dump|print_r|dumper)\s*\(?\s*(dict\()?\s*(os\.environ|process\.env|env|\$_env|\$_server|%env|getenv\(\))\s*\)?' then
    v_effects := v_effects || coord.guard_effect('env-dump', array['(environment)']);
  end if;
  if v_code ~* '(os\.chmod|fs\.chmodsync|chmod)\s*\([^)]*(0o?777|0o?666|511|438)' then
    v_effects := v_effects || coord.guard_effect('perms-open', array['$(...)']);
  end if;
  if v_code ~* '(os\.setuid\s*\(\s*0|setreuid\s*\(\s*0|posix_setuid\s*\(\s*0)' then
    v_effects := v_effects || coord.guard_effect('privesc', array['setuid(0)']);
  end if;
  return jsonb_build_object('commands', to_jsonb(v_commands), 'effects', v_effects);
end;
$$;

comment on function coord.guard_code(text, text) is 'Guardrail normalizer for interpreter one-liners: the shell commands a snippet runs and its other effects (deletes, writes, reads, reverse shells, downloaded or decoded code run, environment dumps).';
revoke all on function coord.guard_code(text, text) from public;
