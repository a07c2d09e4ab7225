-- What a target is, for guardrail rules: the classes of one canonical word (a path, a remote,
-- a URL), several at once when they apply (~/.bashrc is persistence and home-data). Rules are
-- "what it does x what it touches"; this function is the second half. Classes:
--   root         / and what expands to everything below it (/*, /.*, /e*, C:\)
--   system       operating-system trees (/etc, /usr, /var, /boot, /opt, /home itself, C:\Windows, ...)
--   device       block devices and kernel memory (/dev/sda, /dev/nvme0n1, /dev/mem, \\.\PhysicalDrive0)
--   home         a home directory itself (~, ~/*, ~user, /home/NAME, /Users/NAME, C:\Users\NAME)
--   home-data    a direct child of a home directory that is not a cache (~/.ssh, ~/.config, ~/work)
--   workspace    the whole working tree or above it (., *, ./*, .*, .., ~+, $PWD)
--   git          the repository database (.git and anything inside it)
--   credential   secrets: private keys, cloud/registry/cluster credentials, .env files, password
--                and browser stores, shadow files, terraform state, /proc/*/environ
--   persistence  what runs later on its own: shell rc files, cron, systemd and launchd units,
--                autostart entries, authorized_keys, git hooks, PowerShell profiles, Run keys
--   privilege    who may do what: sudoers, passwd/shadow/group, PAM, polkit
--   security     security configuration: SELinux, AppArmor, audit, firewall, sshd, kernel parameters
--   ci           CI/CD configuration (.github/workflows, .gitlab-ci.yml, Jenkinsfile, ...)
--   history      shell histories and system logs
--   tmp, cache, null   places that are safe to destroy or write (/tmp/x, ~/.cache, node_modules, /dev/null)
--   remote       another machine (host:path, user@host:path, s3://, gs://, a URL)
--   dynamic      known only at run time ($(...), ${X%...}, $UNSET, ~-): the worst must be assumed
-- A word that is none of these gets no class ({}), i.e. an ordinary project file.
create or replace function coord.guard_classify(p_target text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := p_target;
  v_classes text[] := '{}';
  v_first text;
begin
  if v is null or v = '' then
    return '{}';
  end if;
  -- Windows spellings become POSIX-like ones: C:\Windows -> c:/windows, %USERPROFILE% -> ~
  if v ~* '^([a-z]:|\$env:|%[a-z_]+%|\\\\)' or strpos(v, '\') > 0 and v !~ '^[^\\]*\$' then
    v := lower(replace(v, '\', '/'));
    v := regexp_replace(v, '^(\$env:(userprofile|home)|%(userprofile|homepath)%)', '~');
    v := regexp_replace(v, '^(\$env:(temp|tmp)|%(temp|tmp)%)', '/tmp');
    v := regexp_replace(v, '^(\$env:(systemroot|windir)|%(systemroot|windir)%)', 'c:/windows');
    v := regexp_replace(v, '^(\$env:(programfiles|programdata|appdata|localappdata)|%(programfiles|programdata|appdata|localappdata)%)',
                        'c:/programdata');
    v := regexp_replace(v, '^(\$env:systemdrive|%systemdrive%)', 'c:');
    v := regexp_replace(v, '/+$', '');
    if v ~ '^[a-z]:$' then
      v := v || '/';
    end if;
  end if;

  -- run-time values: substitutions, parameter expansions with operators, unknown variables
  if v ~ '^(\$\(|`|\$\{|\$[A-Za-z_]|~-|<\()' and v !~ '^\$(TMPDIR|TMP|TEMP|PWD)(/|$)' then
    if v ~ '^\$[A-Za-z_][A-Za-z0-9_]*/.' then
      -- $PREFIX/etc is /etc when PREFIX is empty: classify what follows as well
      return array['dynamic-prefix'] || coord.guard_classify(regexp_replace(v, '^\$[A-Za-z_][A-Za-z0-9_]*', ''));
    end if;
    return array['dynamic'];
  end if;
  v := regexp_replace(v, '^\$(TMPDIR|TMP|TEMP)(/|$)', '/tmp\2');
  v := regexp_replace(v, '^(\$PWD|~\+)(/|$)', '.\2');
  if v ~ '^[a-z][a-z0-9+.-]*://' then
    if v ~* '^[a-z]+://(localhost|127\.[0-9.]+|\[?::1\]?|0\.0\.0\.0)([:/]|$)' then
      return array['local-url'];
    end if;
    return array['remote'];
  end if;
  if v ~ '^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:' or v ~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+:[^/]' or v ~ '^[a-z][a-z0-9-]+:/' and v !~ '^[a-z]:/' then
    return array['remote'];
  end if;

  -- safe sinks
  if v ~ '^(/dev/(null|zero|stdout|stderr|tty|fd/[0-9]+|random|urandom|full)|/proc/self/fd/[0-9]+|nul|\$null)$' then
    return array['null'];
  end if;

  if v ~ '^(/|/\*|/\.\*|/\.|//+|[a-z]:/|[a-z]:/\*|[a-z]:/\.\*)$' or v ~ '^/[^/]*[*?[][^/]*$' and v !~ '^/(tmp|var/tmp)' then
    v_classes := v_classes || 'root'::text;
  end if;
  v_first := substring(v from '^/([^/]+)');
  if v_first in ('etc', 'usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'boot', 'proc', 'sys', 'opt', 'srv',
                 'root', 'snap', 'run', 'mnt', 'media', 'System', 'Library', 'Applications', 'Volumes', 'private', 'cores',
                 'nix', 'lost+found', 'efi')
     or v_first = 'var' and v !~ '^/var/tmp/.' or v_first = 'dev' and v !~ '^/dev/shm/.'
     or v ~ '^/(home|Users|tmp|var/tmp)/?\*?$'
     or v ~ '^[a-z]:/(windows|program files|program files \(x86\)|programdata|users/?\*?$|users$|system volume information|boot|recovery)(/|$)' then
    v_classes := v_classes || 'system'::text;
  end if;
  if v ~ '^/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-|loop|mapper/|sr|mem$|kmem$|port$|nbd|zd|bcache)'
     or v ~ '^//\./(physicaldrive|[a-z]:)' or v ~* '^\\\\\.\\' then
    v_classes := v_classes || 'device'::text;
  end if;
  if v ~ '^(~|~/|~/\*|~/\.\*|~[A-Za-z_][A-Za-z0-9_.-]*/?|/home/[^/*]+/?|/Users/[^/*]+/?|/root/?|/root/\*|/home/[^/]+/\*|/Users/[^/]+/\*|[a-z]:/users/[^/*]+/?(\*)?)$' then
    v_classes := v_classes || 'home'::text;
  elsif v ~ '^(~|~[A-Za-z_][A-Za-z0-9_.-]*|/home/[^/]+|/Users/[^/]+|/root|[a-z]:/users/[^/]+)/[^/]+$'
        and v !~ '^[^/]+/(\.cache|\.npm|\.yarn|\.pnpm-store|\.m2|\.gradle|\.cargo|\.rustup|\.pyenv|\.nvm|\.bun|\.deno|\.local|Library|Downloads|tmp|\.Trash|node_modules|\.pytest_cache|\.mypy_cache|\.ruff_cache|go)$'
        and v !~ '^/(home|Users)/[^/]+/(\.cache|Downloads|tmp)$' then
    v_classes := v_classes || 'home-data'::text;
  end if;
  if v ~ '^(\.|\./|\*|\./\*|\.\*|\./\.\*|\.\.|\.\./|\.\./\*|\.\.(/\.\.)+/?\*?|:/|\./\.\.?|\*\*|\./\*\*|\*/|\{\*\})$' then
    v_classes := v_classes || 'workspace'::text;
  end if;
  if v ~ '(^|/)\.git(/|$)' then
    v_classes := v_classes || 'git'::text;
  end if;

  if v ~* '(^|/)(\.env(\.(?!(example|sample|template|dist|defaults|schema|test\.example)$)[A-Za-z0-9_.-]+)?|[A-Za-z0-9_-]+\.env|\.envrc|\.dev\.vars|\.secrets?|secrets?\.(json|ya?ml|toml|env|txt)|\.netrc|_netrc|\.pgpass|\.my\.cnf|\.git-credentials|\.npmrc|\.yarnrc\.yml|\.pypirc|\.boto|\.s3cfg|\.vault-token|\.htpasswd|credentials(\.json|\.toml|\.db|\.tfrc\.json)?|application_default_credentials\.json|access_tokens\.db|legacy_credentials|client_secret[^/]*\.json|service[-_]?account[^/]*\.json|[^/]*-adminsdk[^/]*\.json|[^/]*credentials[^/]*\.(json|ya?ml|xml|csv)|id_(rsa|dsa|ecdsa|ed25519)(_sk)?|[^/]*\.(key|p12|pfx|jks|keystore|ppk|kdbx|keytab|tfstate|tfstate\.backup)|[^/]*(private|priv|secret)[^/]*\.(pem|asc|gpg)|privkey[^/]*\.pem|[^/]*[-_]key\.pem|key\.pem|master\.key|secring\.gpg|trustdb\.gpg|login\.keychain(-db)?|key[34]\.db|logins\.json|cookies\.sqlite|login data|cookies|web data|local state|shadow-?|gshadow-?|sam|ntds\.dit|environ)$'
     or v ~* '(^|/)(\.ssh/(?!([^/]*\.pub|known_hosts[^/]*|config|authorized_keys2?|rc|environment)$)[^/]+|\.ssh$|\.gnupg(/|$)|\.aws/(credentials|sso/|cli/cache)|\.azure(/|$)|\.config/gcloud(/|$)|gcloud/(credentials|access_tokens|legacy)|\.kube/[^/]*config|kubeconfig[^/]*|\.docker/config\.json|\.config/gh/hosts\.yml|\.config/hub$|\.gem/credentials|\.cargo/credentials|\.m2/settings\.xml|\.gradle/gradle\.properties|\.terraform\.d/credentials|\.password-store(/|$)|\.config/op(/|$)|\.local/share/keyrings|keychains?/|\.mozilla/firefox/[^/]+/(key[34]\.db|logins\.json|cookies\.sqlite)|google-chrome/|chromium/|/etc/ssl/private|/etc/ssh/ssh_host_[^/]*_key$|letsencrypt/(live|archive)/.*privkey|/(var/)?run/secrets/|/proc/[^/]+/(environ|mem)$|/etc/(shadow|gshadow|master\.passwd)|system32/config/(sam|system|security)$|\.local/share/com\.vercel\.cli|\.config/doctl|\.fly/config\.yml|\.netlify/config\.json|\.config/netlify|\.config/heroku|\.wrangler/config|\.config/\.wrangler|\.terraform/terraform\.tfstate|\.streamlit/secrets\.toml|\.config/rclone/rclone\.conf|\.oci/config|\.config/configstore/firebase-tools\.json|\.npm/_auth|\.bash_secrets)' then
    v_classes := v_classes || 'credential'::text;
  end if;

  if v ~* '(^|/)(\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|zlogout|kshrc|cshrc|tcshrc|login|xinitrc|xprofile|xsession|xsessionrc|inputrc|pam_environment)|\.config/fish/(config\.fish|conf\.d/.*)|\.config/autostart/.*|\.config/systemd/.*|\.ssh/(authorized_keys2?|rc|environment|config)|\.git/hooks/.*|\.husky/[^_].*|\.gitconfig|\.config/git/config|library/launch(agents|daemons)/.*|[^/]*_profile\.ps1|microsoft\.powershell_profile\.ps1|start menu/programs/startup/.*)$'
     or v ~* '^/(etc/(cron[^/]*(/.*)?|anacrontab|crontab|systemd/.*|init\.d/.*|init/.*|rc[0-9s]?\.d/.*|rc\.local|profile|profile\.d/.*|bash\.bashrc|bashrc|zsh/.*|environment|ld\.so\.preload|xdg/autostart/.*|update-motd\.d/.*|apt/apt\.conf\.d/.*|modules-load\.d/.*|udev/rules\.d/.*)|var/spool/cron(/.*)?|usr/lib/systemd/.*|lib/systemd/.*|library/launch(agents|daemons)/.*)$'
     or v ~* '(^|/)\.git/(config|info/attributes)$' then
    v_classes := v_classes || 'persistence'::text;
  end if;
  if v ~* '^/etc/(sudoers(\.d)?(/.*)?|passwd-?|shadow-?|group-?|gshadow-?|pam\.d(/.*)?|security(/.*)?|polkit-1(/.*)?|doas\.conf|subuid|subgid|login\.defs)$' then
    v_classes := v_classes || 'privilege'::text;
  end if;
  if v ~* '^/(etc/(selinux|apparmor|apparmor\.d|audit|ufw|iptables|nftables\.conf|firewalld|fail2ban|ssh/sshd_config|sysctl\.conf|sysctl\.d|hosts$|hosts\.allow|hosts\.deny|resolv\.conf|nsswitch\.conf|ld\.so\.conf)|proc/sys/|sys/kernel/security)' then
    v_classes := v_classes || 'security'::text;
  end if;
  if v ~* '(^|/)(\.github/(workflows|actions)/.*|\.github/codeowners|codeowners|\.gitlab-ci\.ya?ml|\.gitlab/ci/.*|jenkinsfile[^/]*|\.circleci/.*|azure-pipelines[^/]*\.ya?ml|\.azure-pipelines/.*|\.travis\.ya?ml|bitbucket-pipelines\.ya?ml|\.buildkite/.*|\.drone\.ya?ml|\.woodpecker(\.ya?ml|/.*)|cloudbuild\.ya?ml|buildspec\.ya?ml|appveyor\.ya?ml|\.semaphore/.*|\.tekton/.*|codefresh\.ya?ml|\.harness/.*|wercker\.ya?ml|\.pre-commit-config\.ya?ml|\.gitlab/.*\.ya?ml)$' then
    v_classes := v_classes || 'ci'::text;
  end if;
  if v ~* '(^|/)(\.[a-z]*_history|\.histfile|\.local/share/fish/fish_history|consolehost_history\.txt|\.lesshst|\.viminfo)$'
     or v ~ '^/var/(log|adm)(/|$)' or v ~ '^/var/log$' or v ~* '^[a-z]:/windows/system32/winevt(/|$)' then
    v_classes := v_classes || 'history'::text;
  end if;
  if cardinality(v_classes) = 0 then
    if v ~ '^/(tmp|var/tmp|dev/shm|private/tmp)/.' or v ~* '^[a-z]:/(temp|tmp)/' then
      return array['tmp'];
    end if;
    if v ~ '(^|/)(node_modules|__pycache__|\.cache|\.pytest_cache|\.mypy_cache|\.ruff_cache|\.tox|\.nox|\.gradle/caches|\.m2/repository|\.npm/_cacache|\.cargo/registry|Library/Caches|target|dist|build|\.next|\.nuxt|\.turbo|coverage|\.venv|venv)(/|$)' then
      return array['cache'];
    end if;
  end if;
  return v_classes;
end;
$$;

comment on function coord.guard_classify(text) is 'Guardrail targets: the classes of one canonical word (root, system, device, home, home-data, workspace, git, credential, persistence, privilege, security, ci, history, tmp, cache, null, remote, local-url, dynamic, dynamic-prefix); {} for an ordinary project file.';
revoke all on function coord.guard_classify(text) from public;
