-- Guardrail effects of tools nobody described, from how command lines are written:
--   destroy-unknown  a subcommand that is a destructive verb (delete, destroy, drop, purge,
--                    remove/rm with force or recursion, wipe, erase, terminate, truncate, flush,
--                    reset, undefine, nuke, revoke, teardown, permanent-delete, ...), in any
--                    spelling (service-instance-delete, DeleteInstance, delete-batch), of a
--                    CLI that is not a package or toolchain manager and has no entry in
--                    authz.guard_verbs (those say exactly what they do)
--   deploy           a deploy-like subcommand (deploy, release, promote, converge, apply, up,
--                    ship, rollout, swap) aimed at a named production environment
--   publish          a publish-like subcommand (publish*, upload, push, submit) of an unknown tool
--   supply-chain     switches that turn off verification on installers (--insecure,
--                    --no-check-sigs, --ignore-checksums, --allow-untrusted, --dangerous, ...)
create or replace function coord.guard_generic_effects(p_op jsonb, p_ctx jsonb default '{}')
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  -- package, toolchain and local-environment managers remove things every day
  v_routine constant text[] := array['npm', 'pnpm', 'yarn', 'bun', 'pip', 'pip3', 'pipx', 'uv', 'uvx', 'poetry', 'pdm',
    'conda', 'mamba', 'micromamba', 'cargo', 'rustup', 'go', 'gem', 'bundle', 'composer', 'brew', 'port', 'apt', 'apt-get',
    'aptitude', 'dnf', 'yum', 'zypper', 'pacman', 'apk', 'snap', 'flatpak', 'nix-env', 'choco', 'winget', 'scoop', 'nvm',
    'fnm', 'volta', 'pyenv', 'rbenv', 'nodenv', 'goenv', 'jenv', 'asdf', 'mise', 'rtx', 'sdk', 'dotnet', 'jupyter', 'code',
    'git', 'hg', 'svn', 'sl', 'kind', 'minikube', 'k3d', 'multipass', 'tmux', 'screen', 'zellij', 'ssh-keygen',
    'ssh-add', 'gpg', 'pass', 'keychain', 'trash', 'make', 'just', 'task', 'rake', 'invoke', 'tox', 'nox', 'pytest',
    'jest', 'vitest', 'cypress', 'playwright', 'xcodebuild', 'gradle', 'mvn', 'ant', 'sbt', 'lein', 'cabal', 'stack',
    'opam', 'dune', 'nimble', 'luarocks', 'cpan', 'cpanm', 'pod', 'flutter', 'dart', 'deno', 'docker', 'kubectl',
    'helm', 'terraform', 'tofu', 'git-lfs', 'pre-commit', 'direnv', 'nvim', 'vim', 'emacs', 'code-insiders',
    'ollama', 'huggingface-cli', 'hf', 'jq', 'yq', 'sed', 'awk', 'find', 'fd', 'rm', 'rmdir', 'unlink', 'crontab',
    'systemctl', 'launchctl', 'service', 'chmod', 'chown', 'ln', 'cp', 'mv', 'redis-cli', 'alembic', 'prisma',
    'rails', 'bin/rails', 'python', 'node', 'ruby', 'perl', 'php', 'java', 'gh', 'glab', 'aws', 'gcloud', 'az', 'echo',
    'printf', 'history', 'hash', 'alias', 'unalias', 'unset', 'set', 'export', 'type', 'which', 'man', 'help', 'ls',
    'cat', 'grep', 'rg', 'ag', 'head', 'tail', 'less', 'more', 'wc', 'sort', 'uniq', 'diff', 'patch', 'tar', 'zip',
    'unzip', 'gzip', 'kubectx', 'kubens', 'k9s', 'lazygit', 'tig', 'direnv', 'pnpx', 'npx', 'corepack', 'nvm.sh',
    'virtualenv', 'venv', 'conan', 'vcpkg', 'cmake', 'ninja', 'meson', 'bazel', 'buck', 'pants', 'nx', 'turbo', 'lerna',
    'rush', 'changeset', 'storybook', 'eslint', 'prettier', 'ruff', 'black', 'mypy', 'tsc', 'webpack', 'vite', 'esbuild',
    'parcel', 'rollup', 'babel', 'swc', 'biome', 'clang', 'gcc', 'g++', 'cc', 'ld', 'ar', 'strip', 'objdump', 'nm',
    'docker-compose', 'podman-compose', 'skaffold', 'tilt', 'garden', 'devcontainer', 'colima-local', 'lima', 'orb',
    'note', 'todo', 'taskwarrior', 'jira', 'linear', 'gcalcli', 'xdg-mime', 'update-alternatives', 'hugo', 'jekyll',
    'mkdocs', 'sphinx-build', 'pdoc', 'godoc', 'rustdoc', 'cargo-watch', 'watchexec', 'entr', 'nodemon', 'pm2-dev',
    'kill', 'pkill', 'killall', 'ps', 'top', 'htop', 'lsof', 'netstat', 'ss', 'ip', 'ifconfig', 'nmcli', 'iptables',
    -- database clients: what they run is checked as SQL
    'psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cockroach', 'clickhouse-client', 'clickhouse', 'cqlsh', 'sqlcmd',
    'snowsql', 'trino', 'presto', 'vsql', 'beeline', 'usql', 'pgcli', 'mycli', 'litecli'];
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select lower(a) from jsonb_array_elements_text(p_op -> 'args') as a);
  v_flags text[] := array(select lower(f) from jsonb_array_elements_text(p_op -> 'flags') as f);
  v_words text[] := array(select lower(w) from jsonb_array_elements_text(p_op -> 'words') as w);
  v_verbs text[];
  v_out jsonb := '[]';
begin
  if v_prog is null then
    return v_out;
  end if;
  -- installers told to trust what they get
  if v_prog in ('pip', 'pip3', 'npm', 'yarn', 'pnpm', 'bun', 'gem', 'bundle', 'composer', 'cargo', 'go', 'apt', 'apt-get',
                'aptitude', 'dnf', 'yum', 'zypper', 'apk', 'pacman', 'snap', 'flatpak', 'choco', 'winget', 'scoop', 'brew',
                'conda', 'mamba', 'micromamba', 'nix', 'nix-env', 'mvn', 'gradle', 'nuget', 'dotnet', 'pod', 'mix', 'conan',
                'vcpkg', 'pipenv', 'poetry', 'uv', 'uvx', 'pdm', 'pipx', 'deno', 'helm', 'rpm', 'dpkg', 'opkg', 'port',
                'luarocks', 'cpan', 'cpanm', 'opam', 'nimble', 'hex', 'rustup', 'asdf', 'mise', 'sdk', 'installer',
                'msiexec', 'add-appxpackage', 'install-module', 'install-package', 'install-script', 'code', 'code-insiders')
     and exists (select from unnest(v_flags || v_words) as f
             where f ~ '(insecure|no-check-sigs|no-check-certificate|ignore-checksums?|ignore-security-hash|allow-untrusted|^--dangerous$|skip-verify|no-gpg-checks?|nogpgcheck|allowinsecure|unsafely-ignore|unsafe[-_]?https|allow-unauthenticated|ssl\.insecure|ssl\.allowall|sslverify=(false|0|no)|--trusted-host|--pypi-mirror|allowemptychecksums|--no-verify-ssl|tls-verify=false|skip-tls)') then
    v_out := v_out || coord.guard_effect('supply-chain', array[v_prog || ' (verification off)']);
  end if;
  -- publishing, whatever the tool (tools with their own knowledge say it themselves)
  if not coalesce((p_ctx ->> 'known')::boolean, false) and exists (select from unnest(v_args[1:2]) as a where (a like 'publish%' or a like '+publish%') and a not like '%local' or a in ('upload', 'submit', 'cm-push', 'push-chart'))
     or not coalesce((p_ctx ->> 'known')::boolean, false) and v_args[1] = 'push' and v_prog not in ('hg', 'sl', 'svn', 'fossil', 'jj', 'tmux', 'adb', 'pulumi', 'git', 'stash')
     or exists (select from unnest(v_args[1:2]) as a where a ~ '^(deliver|supply|altool|upload-app|sign|deploy)$')
        and v_prog in ('fastlane', 'xcrun', 'web-ext', 'eas', 'lein') then
    v_out := v_out || coord.guard_effect('publish', array[v_prog]);
  end if;
  -- a cloud or database resource opened to the whole internet
  if (strpos(array_to_string(v_words || v_args, ' '), '/0') > 0
      and exists (select from unnest(v_words || v_args) as w where w ~ '(^|[^0-9.])0\.0\.0\.0/0([^0-9]|$)|^::/0$')
      or v_words && array['0.0.0.0'] and v_words && array['255.255.255.255'])
     -- listing or describing rules that mention the whole internet changes nothing
     and not exists (select from unnest(v_args[1:3]) as a where a ~ '^(describe|list|get|show|ls)([-_]|$)')
     and v_prog not in ('ip', 'route', 'iptables', 'ip6tables', 'nft', 'ufw', 'nmap', 'ping', 'traceroute') then
    v_out := v_out || coord.guard_effect('cloud-expose', array['0.0.0.0/0']);
  end if;
  if v_prog = any (v_routine) or strpos(v_prog, '-') > 1 and v_prog ~ '^[a-z]+-[a-z]' and v_prog !~ '^(ibmcloud|aliyun)'
     or coalesce((p_ctx ->> 'known')::boolean, false) then
    return v_out;
  end if;
  -- the words of the subcommand: the first three operands, split at - _ . : and case changes
  v_verbs := array(select lower(t) from jsonb_array_elements_text(p_op -> 'args') with ordinality as x (a, o),
                   regexp_split_to_table(regexp_replace(x.a, '([a-z])([A-Z])', '\1 \2', 'g'), '[-_.: ]+') as t
                   where x.o <= 3 and t <> '');
  -- emptying a cache is housekeeping, whatever the verb
  if v_verbs && array['cache', 'caches', 'cached', 'dns-cache', 'tmp', 'temp'] then
    v_verbs := array(select v from unnest(v_verbs) as v where v not in ('flush', 'purge', 'clear', 'delete', 'drop', 'reset', 'rm', 'remove', 'prune', 'wipe'));
  end if;
  if v_verbs && array['delete', 'destroy', 'drop', 'purge', 'wipe', 'erase', 'terminate', 'truncate', 'flush',
                      'flushall', 'nuke', 'undefine', 'teardown', 'decommission', 'deleteall', 'obliterate', 'scrub',
                      'rmr', 'rmdir', 'dropdb', 'revoke', 'permanent']
     or v_verbs && array['rm', 'remove', 'del', 'reset', 'uninstall', 'down', 'rollback', 'revert', 'clear', 'kill',
                         'stop', 'disable', 'detach', 'deregister', 'unregister', 'prune']
        and (v_flags && array['-f', '--force', '-y', '--yes', '-r', '-R', '--recursive', '--all', '-a', '--purge', '-af',
                              '--with-volumes', '--remove-all-storage', '--no-backup', '--confirm', '--batch', '-b',
                              '--skip-final-snapshot', '--hard']
             or exists (select from unnest(v_words) as w where w ~ '(^|[^a-z])(prod|production|live|all|force)([^a-z]|$)')) then
    v_out := v_out || coord.guard_effect('destroy-unknown', array[v_prog || ' ' || array_to_string(v_args[1:3], ' ')]);
  end if;
  if v_verbs && array['deploy', 'release', 'promote', 'converge', 'apply', 'up', 'update', 'ship', 'rollout', 'swap',
                      'push', 'sync', 'run', 'publish', 'launch', 'activate']
     and coord.guard_environment(p_op, true) = 'production' then
    v_out := v_out || jsonb_build_array(jsonb_build_object('a', 'deploy', 't', v_prog, 'c', jsonb_build_array('production')));
  end if;
  return v_out;
end;
$$;

comment on function coord.guard_generic_effects(jsonb, jsonb) is 'Guardrail effects of tools without their own knowledge: destructive subcommands, deploys to a named production, publishing, installers with verification off.';
revoke all on function coord.guard_generic_effects(jsonb, jsonb) from public;
