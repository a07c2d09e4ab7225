-- Guardrail normalizer, step 3: one simple command (after unwrapping) as an operation.
-- Returns {canon, prog, sub, args, flags, vals, redir, words}:
-- * prog: the program: base name of the binary (/bin/rm, ./rm, \rm and C:\x\RM.EXE are rm),
--   lower-cased, interpreter versions dropped (python3.11 and pypy3 are python, pip3 is pip);
-- * sub: for tools with subcommands (git push, kubectl delete, ...) the first operand, found
--   after the tool's global options;
-- * args: every operand in order (the subcommand first), each a coord.guard_word (paths
--   collapsed); everything after -- is an operand; -5 and the like are operands;
-- * flags: short clusters split (-rf -> -r -f), spellings mapped by coord.guard_flag_map
--   (--force -> -f, -R -> -r for rm), sorted and deduplicated; vals: {flag: [values]} for flags
--   that take a value (-n prod, --namespace=prod, --x=v);
-- * redir: [[operator, target]] (>, >>, <, 2>&1 ...);
-- * words: the words after the program as written (word-normalized), for tools whose
--   arguments are not getopt-style (find, dd, kill, terraform, PowerShell cmdlets, cmd /switches),
--   whose args are then every word not starting with - and whose flags every word that does;
-- * raw: the words after the program as the shell gave them (substitutions still marked);
-- * canon: the canonical text "prog [sub] flags operands redirects" custom pattern rules are
--   written against (coord.guard_quote quoting; flags with values as -n prod / --x=v).
create or replace function coord.guard_parse(p_words text[], p_redirects text[] default '{}')
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_verbatim constant text[] := array['kill', 'find', 'echo', 'printf', 'dd', 'terraform', 'tofu', 'terragrunt',
                                      'test', '[', '[[', 'expr', 'java', 'go', 'printenv', 'true', 'false',
                                      'openssl', 'certutil', 'erl', 'gdb', 'regsvr32', 'rundll32', 'mshta', 'msiexec',
                                      'cscript', 'wscript', 'forfiles', 'manage-bde', 'auditpol', 'fsutil', 'networksetup', 'socketfilterfw', 'bitsadmin', 'del', 'erase', 'rd', 'format', 'reg', 'schtasks', 'net', 'netsh',
                                      'bcdedit', 'vssadmin', 'wmic', 'cipher', 'icacls', 'takeown', 'attrib',
                                      'diskpart', 'sc', 'taskkill', 'wevtutil', 'robocopy', 'xcopy', 'cmd',
                                      'powershell', 'pwsh', 'dscl', 'dseditgroup', 'sysadminctl', 'defaults', 'mpcmdrun',
                                      'ipconfig', 'systemsetup', 'kickstart'];
  v_subtools constant text[] := array['git', 'kubectl', 'oc', 'docker', 'podman', 'nerdctl', 'buildah', 'helm', 'npm',
                                      'yarn', 'pnpm', 'bun', 'cargo', 'gem', 'poetry', 'twine', 'uv', 'hatch', 'flit',
                                      'gh', 'glab', 'systemctl', 'aws', 'gcloud', 'az', 'gsutil', 'dotnet', 'nft',
                                      'ufw', 'vercel', 'netlify', 'fly', 'flyctl', 'heroku', 'wrangler', 'firebase',
                                      'serverless', 'sls', 'pulumi', 'cdk', 'doctl', 'helmfile', 'kustomize',
                                      'launchctl', 'security', 'vault', 'op', 'bw', 'pass', 'mongosh', 'mongo',
                                      'redis-cli', 'crontab', 'pip', 'conda', 'mamba', 'brew', 'apt', 'apt-get',
                                      'snap', 'flatpak', 'gpg', 'gpg2', 'kubeadm', 'minikube', 'kind', 'k3d',
                                      'eksctl', 'nomad', 'consul', 'railway', 'render', 'supabase', 'prisma',
                                      'rails', 'rake', 'alembic', 'sequelize', 'knex', 'typeorm', 'flyway', 'liquibase',
                                      'mix', 'goreleaser', 'lerna', 'changeset', 'vsce', 'ovsx', 'mvn', 'gradle',
                                      'gradlew', 'nuget', 'terraform', 'ansible-galaxy', 'jf', 'skaffold', 'tilt',
                                      'argocd', 'flux', 'sam', 'amplify', 'copilot', 'eb', 'ssh-keygen', 'deno'];
  v_cmd_tools constant text[] := array['bitsadmin', 'certutil', 'regsvr32', 'rundll32', 'mshta', 'msiexec', 'cscript',
                                       'wscript', 'forfiles', 'manage-bde', 'auditpol', 'fsutil', 'del', 'erase', 'rd', 'rmdir.exe', 'format', 'reg', 'schtasks', 'net', 'netsh',
                                       'bcdedit', 'vssadmin', 'wmic', 'cipher', 'icacls', 'takeown', 'attrib',
                                       'diskpart', 'sc', 'taskkill', 'wevtutil', 'robocopy', 'xcopy', 'cmd', 'ipconfig'];
  v_cmdlet_verbs constant text[] := array['get', 'set', 'remove', 'new', 'add', 'clear', 'stop', 'start', 'invoke', 'format',
    'copy', 'move', 'rename', 'out', 'write', 'import', 'export', 'test', 'enable', 'disable', 'restart', 'register',
    'unregister', 'install', 'uninstall', 'update', 'expand', 'compress', 'convertto', 'convertfrom', 'select', 'where',
    'foreach', 'sort', 'measure', 'resolve', 'split', 'join', 'wait', 'mount', 'dismount', 'initialize', 'reset', 'grant',
    'revoke', 'block', 'unblock', 'push', 'pop', 'publish', 'send', 'receive', 'connect', 'disconnect', 'save', 'show',
    'lock', 'unlock', 'suspend', 'resume', 'enter', 'find', 'restore', 'backup', 'optimize', 'repair', 'read', 'edit',
    'protect', 'unprotect'];
  v_switch text;
  v_n integer := coalesce(cardinality(p_words), 0);
  v_name text;
  v_key text;
  v_sub text;
  v_flags text[] := '{}';
  v_vals jsonb := '{}';
  v_args text[] := '{}';
  v_words text[];
  v_redir jsonb := '[]';
  v_redir_canon text[] := '{}';
  v_after boolean := false;
  v_i integer := 2;
  v_j integer;
  v_w text;
  v_flag text;
  v_val text;
  v_alias text;
  v_opt jsonb;
  v_flagmap jsonb := coord.guard_flag_map();
  v_m text[];
begin
  if v_n = 0 then
    return null;
  end if;
  v_name := coord.guard_word(p_words[1]);
  -- (string functions rather than regular expressions on this path: see coord.guard_path)
  if ltrim(v_name, '/') <> '' and strpos(v_name, '$(') = 0 and (strpos(v_name, '/') > 0 or strpos(v_name, '\') > 0) then
    v_name := regexp_replace(v_name, '^.*[/\\]', '');
  end if;
  if strpos(v_name, '$') = 0 then
    v_name := lower(v_name);
    if right(v_name, 4) in ('.exe', '.com', '.bat', '.cmd') then
      v_name := left(v_name, -4);
    end if;
    if v_name like any (array['python_%', 'pip_%', 'perl_%', 'ruby_%', 'php_%', 'lua_%', 'node_%', 'pypy_%', 'ipython_%'])
       and v_name ~ '^(python|pip|perl|ruby|php|lua|node|pypy|ipython)[0-9][0-9.]*$' then
      v_name := regexp_replace(v_name, '^(python|pip|perl|ruby|php|lua|node|pypy|ipython)[0-9][0-9.]*$', '\1');
    end if;
    v_name := case v_name when 'pypy' then 'python' when 'nodejs' then 'node' when 'flyctl' then 'fly'
                          when 'sls' then 'serverless' when 'gradlew' then 'gradle' when 'mvnw' then 'mvn'
                          when 'gpg2' then 'gpg' when 'netcat' then 'nc' when 'docker-compose' then 'docker-compose'
                          when 'podman-compose' then 'docker-compose' when 'gawk' then 'awk' when 'mawk' then 'awk'
                          when 'nawk' then 'awk' when 'gsed' then 'sed' when 'gtar' then 'tar' when 'bsdtar' then 'tar'
                          when 'batcat' then 'bat' when 'mariadb' then 'mysql' when 'pwsh' then 'powershell'
                          when 'nerdctl' then 'docker' when 'podman' then 'docker' when 'k' then 'kubectl'
                          when 'kubectl.exe' then 'kubectl' when 'python.exe' then 'python' when 'hub' then 'git'
                          when 'ntl' then 'netlify' when 'doas' then 'sudo' when 'run0' then 'sudo'
                          when 'dcfldd' then 'dd' when 'dc3dd' then 'dd' when 'fdfind' then 'fd'
                          when 'iptables-legacy' then 'iptables' when 'iptables-nft' then 'iptables'
                          when 'ip6tables-legacy' then 'ip6tables' when 'ip6tables-nft' then 'ip6tables'
                          when 'rscript' then 'rscript' else v_name end;
  end if;
  v_key := v_name;
  v_words := array(select coord.guard_word(x) from unnest(p_words[2:]) with ordinality as w (x, o) order by w.o);
  if cardinality(p_redirects) > 0 then
    select coalesce(jsonb_agg(jsonb_build_array(m[1], coord.guard_word(m[2])) order by r.o), '[]'),
           coalesce(array_agg(m[1] || coord.guard_quote(coord.guard_word(m[2])) order by r.o), '{}')
    into v_redir, v_redir_canon
    from unnest(p_redirects) with ordinality as r (x, o)
    cross join lateral regexp_match(r.x, '^([0-9&]*(?:<<<|<<-|<<|>>|>\||>&|<&|<>|>|<))(.*)$', 's') as m;
  end if;

  -- tools whose arguments are not getopt-style, and PowerShell cmdlets (Verb-Noun)
  if v_name = any (v_verbatim)
     or strpos(v_name, '-') > 1 and split_part(v_name, '-', 1) = any (v_cmdlet_verbs)
        and split_part(v_name, '-', 3) = '' and split_part(v_name, '-', 2) <> '' then
    -- cmd.exe tools take /switches (/s /q /f:x); elsewhere a leading / is a path. PowerShell
    -- and cmd.exe are case-insensitive: their words are compared in lower case.
    v_switch := case when v_name = any (v_cmd_tools) then '^(-.|/[A-Za-z?][A-Za-z0-9-]*(:.*)?$)' else '^-.' end;
    if v_name = any (v_cmd_tools) or v_name ~ '^[a-z]+-[a-z]' then
      v_words := array(select lower(w) from unnest(v_words) with ordinality as x (w, o) order by x.o);
    end if;
    return jsonb_build_object(
      'prog', v_name, 'cmd', coord.guard_word(p_words[1]), 'sub', null, 'words', to_jsonb(v_words), 'redir', v_redir, 'raw', to_jsonb(p_words[2:]),
      'args', to_jsonb(array(select w from unnest(v_words) with ordinality as x (w, o) where w !~ v_switch order by o)),
      'flags', to_jsonb(array(select distinct lower(split_part(w, case when w ~ '^/' then ':' else '=' end, 1)) collate "C"
                              from unnest(v_words) as w where w ~ v_switch order by 1)),
      'vals', '{}'::jsonb,
      'canon', array_to_string(array[coord.guard_quote(v_name)]
                               || array(select coord.guard_quote(x) from unnest(v_words) with ordinality as w (x, o)
                                        order by w.o)
                               || v_redir_canon, ' '));
  end if;

  while v_i <= v_n loop
    v_w := p_words[v_i];
    if v_after then
      v_args := v_args || coord.guard_word(v_w);
    elsif v_w = '--' then
      v_after := true;
    elsif left(v_w, 2) = '--' and char_length(v_w) > 2 then
      v_flag := split_part(v_w, '=', 1);
      v_val := case when strpos(v_w, '=') > 0 then substr(v_w, strpos(v_w, '=') + 1) end;
      v_opt := coalesce(v_flagmap -> v_key -> v_flag, v_flagmap -> v_name -> v_flag);
      if coalesce((v_opt ->> 1)::boolean, false) and v_val is null and v_i < v_n then
        v_i := v_i + 1;
        v_val := p_words[v_i];
      end if;
      -- a switch set to false is its negation: --draft=false is --no-draft, --dry-run=false runs
      if not coalesce((v_opt ->> 1)::boolean, false) and lower(coalesce(v_val, '')) in ('false', '0', 'no', 'off') then
        v_flag := '--no-' || substr(v_flag, 3);
        v_opt := null;
        v_val := null;
      end if;
      foreach v_alias in array case when jsonb_typeof(v_opt -> 0) = 'array' then array(select jsonb_array_elements_text(v_opt -> 0)) else array[v_flag] end loop
        v_flags := v_flags || v_alias;
        if v_val is not null then
          v_vals := jsonb_set(v_vals, array[v_alias], coalesce(v_vals -> v_alias, '[]') || to_jsonb(coord.guard_word(v_val)));
        end if;
      end loop;
    elsif (left(v_w, 1) = '-' and substr(v_w, 2, 1) not in ('', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
           or v_name in ('perl', 'ruby') and v_w ~ '^-0[0-7]*[a-zA-Z]')
          and not (v_name = 'chmod' and v_w ~ '^-[rwxXstugoa]+$') then
      -- perl -0pi: the record separator digits go, the letters are flags
      if v_name in ('perl', 'ruby') then
        v_w := regexp_replace(v_w, '^-0[0-7]*', '-');
      end if;
      v_j := 2;
      while v_j <= char_length(v_w) loop
        v_flag := '-' || substr(v_w, v_j, 1);
        v_opt := coalesce(v_flagmap -> v_key -> v_flag, v_flagmap -> v_name -> v_flag);
        if coalesce((v_opt ->> 1)::boolean, false) then
          v_val := substr(v_w, v_j + 1);
          if v_val = '' then
            v_val := case when v_i < v_n then p_words[v_i + 1] end;
            v_i := v_i + case when v_i < v_n then 1 else 0 end;
          end if;
          foreach v_alias in array case when jsonb_typeof(v_opt -> 0) = 'array' then array(select jsonb_array_elements_text(v_opt -> 0)) else array[v_flag] end loop
            v_flags := v_flags || v_alias;
            if v_val is not null then
              v_vals := jsonb_set(v_vals, array[v_alias],
                                  coalesce(v_vals -> v_alias, '[]') || to_jsonb(coord.guard_word(v_val)));
            end if;
          end loop;
          exit;
        end if;
        foreach v_alias in array case when jsonb_typeof(v_opt -> 0) = 'array' then array(select jsonb_array_elements_text(v_opt -> 0)) else array[v_flag] end loop
          v_flags := v_flags || v_alias;
        end loop;
        v_j := v_j + 1;
      end loop;
    elsif v_sub is null and v_name = any (v_subtools) and left(v_w, 1) <> '-' then
      v_sub := v_w;
      v_key := v_name || ' ' || v_w;
      v_args := v_args || v_w;
    else
      v_args := v_args || coord.guard_word(v_w);
    end if;
    v_i := v_i + 1;
  end loop;
  v_flags := array(select distinct f collate "C" from unnest(v_flags) as f order by 1);
  return jsonb_build_object(
    'prog', v_name, 'cmd', coord.guard_word(p_words[1]), 'sub', v_sub, 'args', to_jsonb(v_args), 'flags', to_jsonb(v_flags), 'vals', v_vals,
    'redir', v_redir, 'words', to_jsonb(v_words), 'raw', to_jsonb(p_words[2:]),
    'canon', array_to_string(
      array[case when right(v_name, 2) = '()' and v_name !~ '[ ''"]' then v_name else coord.guard_quote(v_name) end]
      || case when v_sub is null then '{}'::text[] else array[coord.guard_quote(v_sub)] end
      || array(select f || coalesce(case when f like '--%' then '=' else ' ' end
                                    || (select string_agg(coord.guard_quote(x), ' ' || f || case when f like '--%' then '=' else ' ' end)
                                        from jsonb_array_elements_text(v_vals -> f) as x), '')
               from unnest(v_flags) as f order by f collate "C")
      || array(select coord.guard_quote(x) from unnest(v_args) with ordinality as w (x, o)
               where not (w.o = 1 and v_sub is not null) order by w.o)
      || v_redir_canon, ' '));
end;
$$;

comment on function coord.guard_parse(text[], text[]) is 'Guardrail normalizer: one simple command as an operation {canon, prog, sub, args, flags, vals, redir, words}: program, subcommand, canonical flags with their values, operands, redirections; canon is the canonical text custom pattern rules match.';
revoke all on function coord.guard_parse(text[], text[]) from public;
