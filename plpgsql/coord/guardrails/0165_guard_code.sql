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
  v_i integer;
  v_low text;
begin
  -- a call in a comment does not run
  v_code := coord.guard_code_comments(p_lang, v_code);
  if v_code = '' then
    return jsonb_build_object('commands', '[]'::jsonb, 'effects', '[]'::jsonb);
  end if;
  -- Every check below is gated by LIKE on the lower-cased code first: the backend caches only 32
  -- compiled regular expressions and this pipeline has far more, so a regex that cannot match
  -- is never run (and never compiled).
  v_low := lower(v_code);
  v_home := v_low like any (array['%expanduser%', '%homedir%', '%home()%', '%getenv(%home%', '%environ[%home%', '%env.home%',
                                  '%$home%', '%env:userprofile%', '%~/%', '%dir.home%']);
  -- the home directory, however the language asks for it, is the literal "~"
  if v_home or v_low like any (array['%process.env%', '%user_home%', '%path.home%', '%getenv%', '%env[%', '%$env(%',
                                     '%deno.env%', '%user.home%', '%getfolderpath%']) then
    v_code := regexp_replace(v_code, '(?i)\$env:USERPROFILE|\$HOME(?![A-Za-z0-9_])', case when p_lang = 'powershell' then '~' else '"~"' end, 'g');
    v_code := regexp_replace(v_code, '(os\.homedir\(\)|require\(.os.\)\.homedir\(\)|process\.env\.HOME|process\.env\[.HOME.\]|System\.user_home\(\)|homedir\(\)|Path\.home\(\)|os\.path\.expanduser\(.~.\)|os\.environ\[.HOME.\]|os\.getenv\(.HOME.\)|\$env\(HOME\)|ENV\[.HOME.\]|Sys\.getenv\(.HOME.\)|Deno\.env\.get\(.HOME.\)|System\.getProperty\(.user\.home.\)|Environment\.GetFolderPath\([^)]*UserProfile[^)]*\)|Dir\.home|getenv\(.HOME.\))', '"~"', 'gi');
    v_low := lower(v_code);
  end if;
  -- strings put together from pieces are the whole string: 'o' + 's', "sys" . "tem", "~" + '/.ssh'
  -- (PowerShell's &('I'+'EX') is judged as a string invoked, below)
  for v_i in 1 .. case when p_lang = 'powershell' or not v_low like any (array['%''%+%''%', '%"%+%"%', '%''%.%''%', '%"%.%"%', '%''%+%"%', '%"%+%''%']) then 0 else 6 end loop
    v_m := array[v_code];
    v_code := regexp_replace(v_code, '''([^''\n]*)''\s*(?:\+|\.\.?)\s*''([^''\n]*)''', '''\1\2''', 'g');
    v_code := regexp_replace(v_code, '"([^"\n]*)"\s*(?:\+|\.\.?)\s*"([^"\n]*)"', '"\1\2"', 'g');
    v_code := regexp_replace(v_code, '"([^"\n]*)"\s*\+\s*''([^''"\n]*)''', '"\1\2"', 'g');
    v_code := regexp_replace(v_code, '''([^''"\n]*)''\s*\+\s*"([^"\n]*)"', '"\1\2"', 'g');
    exit when v_code = v_m[1];
  end loop;
  -- a function looked up by name is that function: getattr(__import__('os'), 'system')(...)
  if strpos(v_low, 'getattr') > 0 then
    v_code := regexp_replace(v_code, 'getattr\s*\(\s*(?:__import__\s*\(\s*["''][a-z]+["'']\s*\)|[A-Za-z_.]+)\s*,\s*["''](system|popen|exec[a-z]*|spawn[a-z]*|remove|unlink|rmtree)["'']\s*\)', 'os.\1', 'gi');
  end if;
  v_low := lower(v_code);
  -- Deno.Command('rm', { args: ['-rf', '/'] }): the program and its arguments
  for v_m in select regexp_matches(v_code, 'Deno\.Command\(\s*["'']([^"'']+)["'']\s*,\s*\{[^}]*args\s*:\s*\[([^\]]*)\]', 'g')
             where strpos(v_code, 'Deno.Command') > 0 loop
    v_commands := v_commands || array_to_string(array[coord.guard_quote(v_m[1])] || array(
      select coord.guard_quote(coalesce(x[1], x[2])) from regexp_matches(v_m[2], '"([^"]*)"|''([^'']*)''', 'g') as x), ' ');
  end loop;
  -- PowerShell: the code is what runs outside its strings (Write-Host "iex ..." runs nothing);
  -- a call of a string expression &('I'+'EX') hides what runs
  if p_lang = 'powershell' then
    v_m := case when strpos(v_low, 'directory]::delete') > 0 then regexp_match(v_code, '\[(?:System\.)?IO\.Directory\]::Delete\(\s*["'']([^"'']+)["'']\s*,\s*\$true', 'i') end;
    if v_m is not null then
      v_effects := v_effects || coord.guard_effect('delete-tree', array[v_m[1]]);
    end if;
    for v_m in select regexp_matches(v_code, '\[(?:System\.)?IO\.File\]::(WriteAll[A-Za-z]*|AppendAll[A-Za-z]*|Delete|Create|Open)\(\s*["'']([^"'']+)["'']', 'gi')
               where strpos(v_low, 'io.file]::') > 0 loop
      v_effects := v_effects || coord.guard_effect(case when lower(v_m[1]) = 'delete' then 'delete' else 'write' end, array[v_m[2]]);
    end loop;
    if strpos(v_low, 'setenvironmentvariable') > 0 and v_code ~* 'SetEnvironmentVariable\([^)]*(machine|user)' then
      v_effects := v_effects || coord.guard_effect('persist', array['environment']);
    end if;
    if v_low like any (array['%clearlog%', '%clear-eventlog%', '%wevtutil%', '%limit-eventlog%']) and v_code ~* '(ClearLog|Clear-EventLog|wevtutil\s+cl|Limit-EventLog)' then
      v_effects := v_effects || coord.guard_effect('history-tamper', array['event log']);
    end if;
    if strpos(v_low, 'win32_shadowcopy') > 0 and v_low like any (array['%.delete(%', '%remove-ciminstance%', '%remove-wmiobject%']) then
      v_effects := v_effects || coord.guard_effect('disk-destroy', array['C:\System Volume Information']);
    end if;
    if strpos(v_low, 'getenvironmentvariables') > 0 then
      v_effects := v_effects || coord.guard_effect('env-dump', array['(environment)']);
    end if;
    if strpos(v_low, 'minidump') > 0 and strpos(v_low, 'lsass') > 0 then
      v_effects := v_effects || coord.guard_effect('secret-dump', array['lsass']);
    end if;
    if strpos(v_code, '+') > 0 and v_code ~* '(&|\.)\s*\(\s*["''][^"'']*["'']\s*\+'
       or strpos(v_low, '-join') > 0 and v_code ~* '-join\s*\(?[^)]*\)\s*\|\s*(iex|invoke-expression)' then
      v_effects := v_effects || coord.guard_effect('exec-code', array['string invoked']);
    end if;
    v_code := regexp_replace(v_code, '"[^"]*"|''[^'']*''', '""', 'g');
  end if;
  -- each language's calls, preceded by something that cannot continue a name
  v_exec_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(os\.system|os\.popen|subprocess\.[a-z_]+|commands\.getoutput|commands\.getstatusoutput|pty\.spawn|os\.exec[a-z]*|os\.spawn[a-z]*|\.system|\.popen|getoutput|check_output|check_call|Popen)'
    when 'perl' then '(?:^|[^A-Za-z0-9_$])(system|exec|qx|readpipe)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(system|exec|spawn|IO\.popen|Open3\.[a-z0-9_]+|Kernel\.system|Process\.spawn)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(execSync|exec|spawnSync|spawn|execFileSync|execFile|fork|execaSync|execa|Deno\.run|Bun\.spawn|Bun\.spawnSync|\$\.system|doShellScript|Bun\.\$)'
    when 'php' then '(?:^|[^A-Za-z0-9_])(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)'
    when 'lua' then '(?:^|[^A-Za-z0-9_])(os\.execute|io\.popen)'
    when 'awk' then '(?:^|[^A-Za-z0-9_])(system)'
    when 'applescript' then '(do shell script)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(system|system2|shell)'
    when 'powershell' then null
    -- any other language: the usual names of "run this command"
    else '(?:^|[^A-Za-z0-9_])(system|exec|execute|run|spawn|popen|shell|cmd|callCommand|shell-command|call-process|Runtime\.getRuntime\(\)\.exec|ProcessBuilder|System\.cmd|os:cmd|os\.execute|process|sh)' end;
  v_tree_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(shutil\.rmtree|rmtree|send2trash)'
    when 'perl' then '(?:^|[^A-Za-z0-9_])(rmtree|remove_tree)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(FileUtils\.rm_rf|FileUtils\.rm_r|FileUtils\.remove_dir|FileUtils\.remove_entry|rm_rf|rm_r)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(rmSync|rmdirSync|rimraf|rimraf\.sync|fs\.rm|promises\.rm|[a-z]\.rm|removeSync|remove|emptyDirSync|deleteSync|del\.sync|Deno\.remove)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(unlink)'
    when 'powershell' then null
    else '(?:^|[^A-Za-z0-9_])(rm_rf!?|rmtree|delete-directory|deleteRecursively|remove_dir_all|File\.rm_rf!?|FileUtils\.deleteDirectory|rimraf|rm|unlink|remove-dir|fs:del_dir_r|Directory\.Delete|file delete -force)' end;
  v_delete_sinks := case p_lang
    when 'python' then '(?:^|[^A-Za-z0-9_])(os\.remove|os\.unlink|os\.rmdir|unlink|remove)'
    when 'perl' then '(?:^|[^A-Za-z0-9_])(unlink|rmdir)'
    when 'ruby' then '(?:^|[^A-Za-z0-9_])(File\.delete|File\.unlink|FileUtils\.rm|Dir\.rmdir)'
    when 'js' then '(?:^|[^A-Za-z0-9_])(unlinkSync|unlink)'
    when 'php' then '(?:^|[^A-Za-z0-9_])(unlink|rmdir)'
    when 'lua' then '(?:^|[^A-Za-z0-9_])(os\.remove)'
    when 'r' then '(?:^|[^A-Za-z0-9_])(file\.remove)'
    when 'powershell' then null
    else '(?:^|[^A-Za-z0-9_])(delete-file|File\.rm!?|file:delete|remove)' end;
  v_write_sinks := case p_lang
    when 'python' then '(open\([^)]*[''"][wax]b?\+?[''"]|write_text|write_bytes)'
    when 'js' then '(writeFileSync|appendFileSync|writeFile|appendFile|createWriteStream|Deno\.writeTextFileSync|Deno\.writeTextFile|Deno\.writeFileSync|Deno\.writeFile|Bun\.write)'
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

  -- sinks the code cannot contain are not looked for
  if not v_low like any (array['%rm%', '%remov%', '%unlink%', '%delet%', '%rimraf%', '%trash%', '%empty%', '%del%']) then
    v_tree_sinks := null;
    v_delete_sinks := null;
  end if;
  if not v_low like any (array['%open%', '%write%', '%append%', '%file_put%']) then
    v_write_sinks := null;
  end if;
  if not v_low like any (array['%open%', '%read%', '%path%', '%file%']) then
    v_read_sinks := null;
  end if;

  -- calls that run shell commands
  if v_exec_sinks is not null then
    for v_m in select regexp_matches(v_code, v_exec_sinks || '\s*[(\[{]?\s*((?:[''"`][^''"`]*[''"`]\s*,?\s*)+|[^;)]*)', 'g')
               where v_low like any (array['%system%', '%exec%', '%popen%', '%spawn%', '%subprocess%', '%commands.%', '%pty.%',
                                           '%getoutput%', '%check_%', '%qx%', '%readpipe%', '%open3%', '%fork%', '%deno.%',
                                           '%bun.%', '%$.%', '%doshellscript%', '%passthru%', '%proc_open%', '%do shell script%',
                                           '%shell%', '%run%', '%cmd%', '%process%', '%callcommand%', '%call-process%', '%os:cmd%',
                                           '%sh%', '%execute%']) loop
      v_call := v_m[2];
      v_lits := array(select coalesce(x[1], x[2], x[3]) from regexp_matches(coalesce(v_call, ''), '"([^"]*)"|''([^'']*)''|`([^`]*)`', 'g') as x);
      -- os.execvp("sh", ["sh", "-c", ...]), os.execl("/bin/sh", "sh"): the program, then its argv
      if cardinality(v_lits) > 2 and v_lits[1] = v_lits[2]
         or cardinality(v_lits) >= 2 and v_m[1] ~ 'exec[lv]p?e?$' and regexp_replace(v_lits[1], '^.*/', '') = regexp_replace(v_lits[2], '^.*/', '') then
        v_lits := v_lits[2:];
      end if;
      if cardinality(v_lits) = 1 and btrim(v_lits[1]) <> '' then
        v_commands := v_commands || v_lits[1];
      elsif cardinality(v_lits) > 1 then
        v_commands := v_commands || array_to_string(array(select coord.guard_quote(l) from unnest(v_lits) with ordinality as x (l, o) order by x.o), ' ');
      elsif v_m[1] !~ '^(Popen|fork|remove|spawn|exec)$' or p_lang <> 'python' then
        v_effects := v_effects || coord.guard_effect('exec-code', array[v_m[1]]);
      end if;
    end loop;
    -- a string told to run itself: "rm -rf /".execute() (Groovy), "rm -rf /".! (Scala)
    for v_m in select regexp_matches(v_code, '"([^"]+)"\s*\.\s*(?:execute\(\)|!!?)', 'g')
               where strpos(v_code, 'execute()') > 0 or strpos(v_code, '!') > 0 loop
      v_commands := v_commands || v_m[1];
    end loop;
    -- Tcl: exec runs the rest of its line
    if p_lang not in ('python', 'perl', 'ruby', 'js', 'php', 'lua', 'awk', 'applescript', 'r', 'sed') then
      for v_m in select regexp_matches(v_code, '(?:^|[\n;\[{])\s*exec\s+([^\n;\]}]+)', 'g') where strpos(v_code, 'exec') > 0 loop
        v_commands := v_commands || v_m[1];
      end loop;
    end if;
    -- backticks and %x() in perl, ruby, php (and julia's `cmd`) run their text
    if p_lang not in ('python', 'js', 'lua', 'awk', 'applescript', 'r', 'sed', 'powershell') then
      for v_m in select regexp_matches(v_code, '`([^`]+)`|%x[({]([^)}]*)[)}]|qx[({/]([^)}/]*)[)}/]', 'g')
                 where strpos(v_code, '`') > 0 or strpos(v_code, '%x') > 0 or strpos(v_code, 'qx') > 0 loop
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
      if strpos(v_code, '/inet') > 0 and v_code ~ '/inet6?/(tcp|udp)/' then
        v_effects := v_effects || coord.guard_effect('revshell', array['/inet/tcp']);
      end if;
    end if;
    if p_lang = 'applescript' and strpos(v_low, 'login item') > 0 then
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
    v_walked := case when v_code !~ (v_delete_sinks || '\s*\(') then '{}'::text[] else array(select coalesce(x[1], x[2]) from regexp_matches(v_code, '(?:walk|glob|rglob|scandir|listdir|readdirSync|Dir\.glob|Dir\[|glob)\s*[(\[]\s*(?:"([^"]+)"|''([^'']+)'')', 'g') as x) end;
    -- a glob built on the home directory (Dir.glob(File.join(Dir.home, "**", "*"))) walks it all
    if cardinality(v_walked) = 0 and v_home and v_code ~* '(glob|walk|rglob|find)\s*[(\[]' and v_code ~* v_delete_sinks then
      v_walked := array['~'];
    end if;
    if cardinality(v_walked) > 0 then
      v_effects := v_effects || coord.guard_effect('delete-tree', v_walked);
    end if;
  end if;
  -- open(path, 'w'), os.truncate(path, 0): the path is written
  if p_lang = 'python' and v_low like any (array['%open%', '%truncate%']) then
    for v_m in select regexp_matches(v_code, '(?:open|truncate|io\.open|codecs\.open)\s*\(\s*(["''])([^"'']+)\1\s*,\s*(?:mode\s*=\s*)?(?:["'']([rwaxb+t]+)["'']|[0-9])', 'g') loop
      if v_m[3] is null or v_m[3] ~ '[wax+]' then
        v_effects := v_effects || coord.guard_effect('write', array[v_m[2]]);
      end if;
    end loop;
  end if;
  -- unlink handed to map/array_map over a glob: everything the glob finds goes
  for v_m in select regexp_matches(v_code, '["''](unlink|os\.remove|os\.unlink|rmdir|remove)["'']\s*,\s*(?:glob|Dir\.glob|glob\.glob)\s*\(\s*["'']([^"'']+)["'']', 'g')
             where strpos(v_low, 'glob') > 0 and v_low like any (array['%unlink%', '%remove%', '%rmdir%']) loop
    v_effects := v_effects || coord.guard_effect('delete-tree', array[regexp_replace(v_m[2], '/\*[^/]*$', '')]);
  end loop;
  -- AppleScript and R that turn off the machine or publish
  if strpos(v_low, 'tell ') > 0 and v_code ~* 'tell (app|application) "(system events|finder)" to (shut down|restart|log out|sleep)' then
    v_effects := v_effects || coord.guard_effect('shutdown', array['osascript']);
  end if;
  if v_low like any (array['%devtools::%', '%usethis::%', '%rhub::%', '%twine%'])
     and v_code ~* '(devtools::(submit_cran|release)|usethis::use_release|rhub::|twine\.commands\.upload)\s*\(' then
    v_effects := v_effects || coord.guard_effect('publish', array['package']);
  end if;
  if v_write_sinks is not null then
    -- module names (require('fs')) are no file a write reaches
    for v_m in select regexp_matches(regexp_replace(v_code, '(require|import|__import__)\s*\(\s*["''][^"'']*["'']\s*\)', 'module', 'g'), '(["''])([^"'']+)\1[^;]{0,40}?' || v_write_sinks || '|' || v_write_sinks || '\s*\(?\s*(["''])([^"'']+)', 'g') loop
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
  if v_low like any (array['%sock%', '%tcp%', '%net.%', '%createconnection%', '%io::socket%', '%new net%'])
     and v_code ~* '(socket|fsockopen|tcpsocket|net\.connect|net\.socket|new net\.|createconnection|/dev/tcp/|io::socket|stream_socket_client|tcpclient|net\.sockets)'
     and v_code ~* '(subprocess|pty\.spawn|os\.dup2|/bin/(ba|z|da|k)?sh|cmd\.exe|powershell|child_process|exec\s*\(|system\s*\(|popen|spawn|proc_open|shell_exec|\.pipe\(|sh -i|dup2|fileno|iex|invoke-expression)' then
    v_effects := v_effects || coord.guard_effect('revshell', array['socket']);
  end if;
  -- downloaded or decoded code handed to eval/exec
  if v_low like any (array['%url%', '%request%', '%http%', '%fetch%', '%curl%', '%lwp%', '%iwr%', '%irm%', '%download%',
                             '%webclient%', '%bitstransfer%', '%source%', '%include%', '%load%', '%evaluate%'])
     and (v_code ~* '(`\s*(curl|wget)\s|%x\(\s*(curl|wget)|uri\.open|urlopen|urllib|requests\.get|httpx|urlretrieve|https?\.get|require\(.https?.\)|fetch\s*\(|net::http|open-uri|file_get_contents\s*\(\s*[''"]https?:|curl_exec|lwp::|http::tiny|invoke-webrequest|invoke-restmethod|\miwr\M|\mirm\M|downloadstring|downloadfile|net\.webclient|start-bitstransfer|download\(|source_url|new url\(|url\(.https?)'
     and v_code ~* '(exec\s*[( ]|eval\s*[( ]|\(eval\)|system\s*\(|subprocess|new function|runinthiscontext|compile\s*\(|\.run\s*\(|\miex\M|invoke-expression|start-process|\.invoke\(|scriptblock|include\(|evaluate\(|source\(|source_url|\.text\)|load\()'
     or v_code ~* '(source|include|load|evaluate)\s*\(\s*["'']https?://') then
    v_effects := v_effects || coord.guard_effect('exec-remote', array['(downloaded code)']);
  elsif v_low like any (array['%decode%', '%unpack%', '%pack(%', '%atob%', '%base64%', '%fromcharcode%', '%decompress%', '%marshal%',
                              '%hex%', '%gzipstream%', '%deflatestream%'])
        and v_code ~* '(pack\s*\(\s*["'']H\*|b64decode|base64_decode|decode64|unpack\s*\(\s*[''"]m|atob\s*\(|buffer\.from\([^)]*base64|fromcharcode|codecs\.decode|zlib\.decompress|marshal\.loads|decode\(\s*[''"]hex|bytes\.fromhex|unhexlify|frombase64string|gzipstream|deflatestream)'
        and v_code ~* '(exec\s*[( ]|eval\s*[( ]|system\s*\(|subprocess|new function|compile\s*\(|assert\s*\(|create_function|\miex\M|invoke-expression|scriptblock|\.invoke\()' then
    v_effects := v_effects || coord.guard_effect('exec-decoded', array['(decoded code)']);
  end if;
  -- the environment: printed, or sent away
  if strpos(v_low, 'env') > 0 and v_code ~* '(os\.environ|process\.env|\$_env|\$_server|%env|getenv\(\)|env\.to_h|get-childitem\s+env:|\menv:)' then
    if v_code ~* '(urlopen|requests\.(post|get|put)|httpx|fetch\s*\(|https?\.request|net::http|socket|curl_|invoke-webrequest|invoke-restmethod|smtplib)' then
      v_effects := v_effects || jsonb_build_array(jsonb_build_object('a', 'send', 't', '(environment)', 'c', jsonb_build_array('credential')));
    elsif v_code ~* '(print|console\.(log|dir)|puts|\mp\M|pp|json\.dumps|json\.stringify|dict|var_dump|print_r|dumper|write|echo)\s*\(?\s*(dict\(|json\.dumps\(|json\.stringify\()?\s*(os\.environ|process\.env|env|\$_env|\$_server|%env|getenv\(\))\s*\)?' then
      v_effects := v_effects || coord.guard_effect('env-dump', array['(environment)']);
    end if;
  end if;
  if strpos(v_low, 'chmod') > 0 and v_code ~* '(os\.chmod|fs\.chmodsync|chmod)\s*\([^)]*(0o?777|0o?666|511|438)' then
    v_effects := v_effects || coord.guard_effect('perms-open', array['$(...)']);
  end if;
  if v_low like any (array['%keyring%', '%keychain%', '%win32cred%', '%secretstorage%', '%credread%', '%storedcredential%', '%credentials%'])
     and v_code ~* '(keyring\.get_password|keyring get|seckeychain|win32cred|secretstorage|credread|get-storedcredential|\.credentials\.show|credentials:show)' then
    v_effects := v_effects || coord.guard_effect('secret-dump', array['keyring']);
  end if;
  if v_low like any (array['%setuid%', '%setreuid%']) and v_code ~* '(os\.setuid\s*\(\s*0|setreuid\s*\(\s*0|posix_setuid\s*\(\s*0)' then
    v_effects := v_effects || coord.guard_effect('privesc', array['setuid(0)']);
  end if;
  if strpos(v_low, 'fork') > 0 and v_code ~* '(os\.fork\(\)|\mfork\M|process\.fork)' and v_code ~* '(while|for |iter\(|loop|until|\[os\.fork|repeat)' then
    v_effects := v_effects || coord.guard_effect('fork-bomb');
  end if;
  return jsonb_build_object('commands', to_jsonb(v_commands), 'effects', v_effects);
end;
$$;

comment on function coord.guard_code(text, text) is 'Guardrail normalizer for interpreter code: the shell commands a snippet runs and its other effects (deletes, writes, reads, reverse shells, downloaded or decoded code run, the environment printed or sent, fork bombs).';
revoke all on function coord.guard_code(text, text) from public;
