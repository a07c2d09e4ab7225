-- What a target is, for guardrail rules: the classes of one canonical word (a path, a remote,
-- a URL), several at once when they apply (~/.bashrc is persistence and home-data). Rules are
-- "what it does x what it touches"; this function is the second half. Classes:
--   root         / and what expands to everything below it (/*, /.*, /e*, C:\)
--   system       operating-system trees (/etc, /usr, /var, /boot, /opt, /home itself, C:\Windows, ...)
--   device       block devices and kernel memory (/dev/sda, /dev/nvme0n1, /dev/mem, \\.\PhysicalDrive0)
--   home         a home directory itself (~, ~/*, ~user, /home/NAME, /Users/NAME, C:\Users\NAME)
--   home-data    a direct child of a home directory that is not a cache (~/.ssh, ~/.config, ~/work)
--   workspace    the whole working tree or above it (., *, ./*, .*, .., ~+, $PWD)
--   outside      a path above the working tree (../other-project)
--   git          the repository database (.git and anything inside it)
--   credential   secrets: private keys, cloud/registry/cluster credentials, .env files, password
--                and browser stores, shadow files, terraform state, /proc/*/environ
--   tool-config  configuration of credentials and package sources (~/.aws/config, pip.conf)
--   persistence  what runs later on its own: shell rc files, cron, systemd and launchd units,
--                autostart entries, authorized_keys, git hooks, PowerShell profiles
--   privilege    who may do what: sudoers, passwd/shadow/group, PAM, polkit
--   security     security configuration: SELinux, AppArmor, audit, firewall, sshd, kernel parameters
--   ci           CI/CD configuration (.github/workflows, .gitlab-ci.yml, Jenkinsfile, ...)
--   history      shell histories and system logs
--   tmp, cache, null   places that are safe to destroy or write (/tmp/x, ~/.cache, node_modules, /dev/null)
--   remote, local-url  another machine (host:path, user@host:path with no / before the colon,
--                s3://, a URL), or this one
--   dynamic      known only at run time ($(...), ${X%...}, $UNSET, ~-): the worst must be assumed;
--                dynamic-prefix: $PREFIX/etc, classified as /etc as well
-- A word that is none of these gets no class ({}): an ordinary project file.
-- Written with LIKE, = ANY and string functions rather than regular expressions: PostgreSQL
-- keeps 32 compiled regular expressions per backend, and a check uses this function for every
-- target, so regular expressions here would push the others out and be recompiled each time.
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
  v_p text;
  v_base text;
  v_ext text;
  v_c1 text;
  -- children of a home directory that hold caches and downloads, not work
  v_caches constant text[] := array['.cache', '.npm', '.yarn', '.pnpm-store', '.m2', '.gradle', '.cargo', '.rustup', '.pyenv',
                                    '.nvm', '.bun', '.deno', 'downloads', 'tmp', '.trash', 'node_modules', '.pytest_cache',
                                    '.mypy_cache', '.ruff_cache', 'go', '.vscode-server', '.cache/', 'appdata', 'caches',
                                    '*', '.*'];
begin
  if v is null or v = '' then
    return '{}';
  end if;
  -- Windows spellings become POSIX-like ones: C:\Windows -> c:/windows, %USERPROFILE% -> ~
  if strpos(v, '\') > 0 or substr(v, 2, 1) = ':' or left(v, 1) = '%' or lower(left(v, 5)) = '$env:' then
    v := lower(replace(v, '\', '/'));
    -- %NAME% and $env:NAME at the start stand for the directories they name
    v_first := lower(coalesce(substring(v from '^%([a-z_()0-9]+)%'), substring(v from '^\$env:([a-z_()0-9]+)'),
                              case when v like '$home/%' or v = '$home' then 'home' end));
    if v_first is not null then
      v := case v_first
             when 'userprofile' then '~' when 'home' then '~' when 'homepath' then '~'
             when 'appdata' then '~/appdata/roaming' when 'localappdata' then '~/appdata/local'
             when 'temp' then '/tmp' when 'tmp' then '/tmp'
             when 'systemroot' then 'c:/windows' when 'windir' then 'c:/windows' when 'systemdrive' then 'c:'
             when 'programfiles' then 'c:/program files' when 'programfiles(x86)' then 'c:/program files (x86)'
             when 'programdata' then 'c:/programdata' when 'public' then 'c:/users/public'
             else '$' || v_first end
           || regexp_replace(v, '^(%[a-z_()0-9]+%|\$env:[a-z_()0-9]+|\$home)', '');
    end if;
    v := rtrim(v, '/');
    if char_length(v) = 2 and substr(v, 2, 1) = ':' then
      v := v || '/';
    end if;
    if v like '//./physicaldrive%' or v like '//./_:' then
      return array['device'];
    end if;
  end if;

  -- the Windows registry: machine-wide keys and a user's whole software hive are the system's
  if lower(left(v, 2)) = 'hk'
     and (lower(v) ~ '^(hklm|hkey_local_machine|hkcr|hkey_classes_root|hku|hkey_users)(:|\\|/|$)'
          or lower(v) ~ '^(hkcu|hkey_current_user)(:)?[\\/]?(software)?[\\/]?$') then
    return array['system'];
  end if;
  -- run-time values: substitutions, parameter expansions with operators, unknown variables
  if v like '/dev/tcp/%' or v like '/dev/udp/%' then
    return case when split_part(v, '/', 4) in ('localhost', '127.0.0.1', '::1', '0.0.0.0') then array['local-url'] else array['remote'] end;
  end if;
  v_c1 := left(v, 1);
  -- ${X:-default} is the default when X is unset: both must be safe; ${X:?} fails when unset
  if v like '${%' and v ~ '^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-=?])' then
    v_first := substring(v from '^\$\{([A-Za-z_][A-Za-z0-9_]*)');
    v_p := substring(v from '^\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=?]([^}]*)\}');
    v_base := substr(v, strpos(v, '}') + 1);
    if v_first in ('CARGO_TARGET_DIR', 'GOCACHE', 'GOMODCACHE', 'PIP_CACHE_DIR', 'UV_CACHE_DIR', 'npm_config_cache', 'YARN_CACHE_FOLDER',
                   'CCACHE_DIR', 'SCCACHE_DIR', 'BUN_INSTALL_CACHE_DIR', 'PNPM_STORE_DIR', 'DENO_DIR', 'TURBO_CACHE_DIR', 'NX_CACHE_DIRECTORY') then
      -- build and package caches: the default names the kind of directory
      return array['cache'];
    elsif v_first in ('TMPDIR', 'TMP', 'TEMP', 'HOME', 'PWD', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR') then
      return coord.guard_classify(coord.guard_path(case v_first when 'HOME' then '~' when 'PWD' then '.'
                                                                when 'XDG_CACHE_HOME' then '~/.cache' else '/tmp' end || v_base));
    elsif v ~ '^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?' then
      return array['dynamic-prefix'] || case when v_base ~ '^/.' then coord.guard_prefixed(v_base) else '{}'::text[] end
             || case when v_base in ('', '/', '/*') then array['dynamic'] else '{}'::text[] end;
    else
      return array['dynamic'] || case when coalesce(v_p, '') <> '' then coord.guard_classify(coord.guard_path(v_p || v_base)) else '{}'::text[] end;
    end if;
  end if;
  -- a run-time value inside a path stands for any name there: /$d is /*
  if strpos(v, '$') > 1 or strpos(v, '`') > 1 then
    v := regexp_replace(v, '\$(\([^)]*\)|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|\.\.\.\))|`[^`]*`', '*', 'g');
  end if;
  -- nushell: $env.HOME is the home directory; $nu.config-path and $nu.env-path run at start
  if lower(v) like '$env.home%' then
    return coord.guard_classify(coord.guard_path('~' || substr(v, 10)));
  end if;
  if lower(v) like any (array['$nu.config-path%', '$nu.env-path%', '$nu.loginshell-path%']) then
    return array['persistence'];
  end if;
  -- PowerShell's profile scripts; Python's .pth files run at every start, wherever they are
  if lower(v) like '$profile%' then
    return array['persistence'];
  end if;
  if v_c1 in ('$', '`') and lower(v) like '%.pth' then
    return array['dynamic', 'persistence'];
  end if;
  if v_c1 in ('$', '`') or left(v, 2) in ('~-', '<(') then
    if v like '$TMPDIR%' or v like '$TMP%' or v like '$TEMP%' then
      v := '/tmp' || coalesce('/' || nullif(split_part(v, '/', 2), ''), '/x');
    elsif v = '$PWD' or v like '$PWD/%' then
      v := '.' || substr(v, 5);
    elsif v_c1 = '$' and strpos(v, '/..') > 0 then
      return array['dynamic'];
    elsif v_c1 = '$' and substr(v, 2, 1) not in ('(', '{', '`') and strpos(v, '/') > 0 and strpos(v, '/') < char_length(v) then
      -- $PREFIX/etc is /etc when PREFIX is empty: classify what follows as well (as a real
      -- system tree only: $BUILD_DIR/output is no /output anybody has)
      return array['dynamic-prefix'] || coord.guard_prefixed(substr(v, strpos(v, '/')));
    else
      return array['dynamic'];
    end if;
  end if;
  if v = '~+' or v like '~+/%' then
    v := '.' || substr(v, 3);
  end if;
  if strpos(v, '://') > 0 then
    if v like any (array['%://localhost%', '%://127.%', '%://[::1]%', '%://0.0.0.0%', '%://::1%'])
       -- (a bracketed IPv6 literal of this machine in another spelling: [0:0:0:0:0:0:0:1], [::ffff:127.0.0.1])
       or strpos(v, '://[') > 0 and (coord.guard_url_host(v) = '::1' or coord.guard_url_host(v) like '127.%') then
      return array['local-url'];
    end if;
    return array['remote'];
  end if;
  -- (host:path has its colon before any slash, as scp and rsync read it: src/:/x is a path, the
  -- top of src's repository and x in it)
  if strpos(v, ':') > 1 and v_c1 not in ('/', '.', '~') and substr(v, 2, 1) <> ':' and strpos(left(v, strpos(v, ':')), '/') = 0 then
    return array['remote'];
  end if;

  -- safe sinks
  if v in ('/dev/null', '/dev/zero', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/random', '/dev/urandom', '/dev/full',
           'nul', '$null') or v like '/dev/fd/%' or v like '/proc/self/fd/%' then
    return array['null'];
  end if;

  if v like '~/..%' then
    v := coord.guard_path('/home/x/' || substr(v, 3));
    v_c1 := left(v, 1);
  end if;
  if v in ('/', '/*', '/.*', '/.', '//', 'c:/', 'c:/*', 'c:/.*', 'd:/', 'd:/*')
     or v_c1 = '/' and (strpos(split_part(v, '/', 2), '*') > 0 or strpos(split_part(v, '/', 2), '?') > 0
                        or strpos(split_part(v, '/', 2), '[') > 0) then
    v_classes := v_classes || 'root'::text;
  end if;
  if v_c1 = '/' then
    v_first := split_part(v, '/', 2);
    if v_first in ('etc', 'usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'boot', 'proc', 'sys', 'opt', 'root',
                   'snap', 'run', 'mnt', 'media', 'System', 'Library', 'Applications', 'Volumes', 'private', 'cores', 'nix',
                   'lost+found', 'efi')
       or v_first = 'srv' and split_part(v, '/', 4) = ''
       or v_first = 'var' and not (v like '/var/tmp/_%' or v like '/var/www/_%')
       or v_first = 'dev' and v not like '/dev/shm/_%'
       or v in ('/home', '/home/', '/home/*', '/Users', '/Users/', '/Users/*', '/tmp', '/tmp/', '/var/tmp')
       -- any other directory right below / (/data, /backup) and everything in it
       or split_part(v, '/', 3) in ('', '*', '.*') and v_first not in ('tmp', 'home', 'Users', '') then
      v_classes := v_classes || 'system'::text;
    end if;
    -- what servers keep (web roots, shares, backups, data) up to three levels down: /srv/nfs/shared,
    -- /var/www/html/*; deeper is an application's own file
    if (v_first in ('srv', 'data', 'mnt', 'media', 'opt', 'backup', 'backups') or v like '/var/www/%' or v like '/var/backups/%')
       and split_part(regexp_replace(v, '/[*.]*$', ''), '/', 5) = '' and v not like '/var/www/%/%/%' then
      v_classes := v_classes || 'server-data'::text;
    end if;
    if v like any (array['/dev/sd%', '/dev/hd%', '/dev/vd%', '/dev/xvd%', '/dev/nvme%', '/dev/mmcblk%', '/dev/disk%',
                         '/dev/rdisk%', '/dev/md%', '/dev/dm-%', '/dev/loop%', '/dev/mapper/%', '/dev/sr%', '/dev/mem',
                         '/dev/kmem', '/dev/port', '/dev/nbd%', '/dev/zd%', '/dev/bcache%']) then
      v_classes := v_classes || 'device'::text;
    end if;
  elsif v like '_:/%' then
    v_first := split_part(v, '/', 2);
    if v_first in ('windows', 'program files', 'program files (x86)', 'programdata', 'system volume information', 'boot',
                   'recovery', 'inetpub', 'perflogs') or v_first = 'users' and split_part(v, '/', 3) in ('', '*')
       or v_first not in ('users', 'temp', 'tmp') and split_part(v, '/', 3) in ('', '*') then
      v_classes := v_classes || 'system'::text;
    end if;
  end if;
  -- home directories and what is directly in them
  if v in ('~', '~/', '~/*', '~/.*', '/root', '/root/', '/root/*', '/home/*/*', '/Users/*/*', '/home/*/.*', '/Users/*/.*')
     or v like '~/**%' or v like '/home/*/**%'
     or v_c1 = '~' and substr(v, 2, 1) not in ('', '/') and (strpos(v, '/') in (0, char_length(v)) or split_part(v, '/', 2) in ('*', '.*') and split_part(v, '/', 3) = '')
     or (v like '/home/_%' or v like '/Users/_%' or v like '_:/users/_%')
        and split_part(v, '/', 3) not in ('', '*') and split_part(v, '/', 4) in ('', '*') and split_part(v, '/', 5) = ''
        and not v like '_:/users/%/%' then
    v_classes := v_classes || 'home'::text;
  elsif v like '_:/users/_%' and split_part(v, '/', 4) in ('', '*') then
    v_classes := v_classes || 'home'::text;
  elsif (v_c1 = '~' and strpos(v, '/') > 1 and split_part(v, '/', 3) = '' and split_part(v, '/', 2) <> '')
        or ((v like '/home/_%/_%' or v like '/Users/_%/_%' or v like '/root/_%') and split_part(v, '/', case when v like '/root/%' then 4 else 5 end) = '')
        or (v like '_:/users/_%/_%' and split_part(v, '/', 5) = '') then
    v_base := split_part(v, '/', case when v_c1 = '~' then 2 when v like '/root/%' then 3 when v like '_:/%' then 4 else 4 end);
    if lower(v_base) <> all (v_caches) then
      v_classes := v_classes || 'home-data'::text;
    end if;
  end if;
  -- what is worth most one level further down (application data, mail, keychains), and
  -- everything inside a home directory's own child (~/Documents/*)
  v_p := lower(v);
  if not 'home-data' = any (v_classes) and (v_c1 = '~' or v_p like '/home/%' or v_p like '/users/%' or v_p like '/root/%' or v_p like '_:/users/%')
     and (v_p ~ '^(~|/home/[^/]+|/users/[^/]+|/root|[a-z]:/users/[^/]+)/(appdata/(roaming|local)|library/(application support|keychains|mail|messages|mobile documents|containers|group containers|preferences|cookies)|\.local/(share|state)|\.config)(/\*|/\.\*)?$'
          or v_p ~ '^(~|/home/[^/*]+|/users/[^/*]+|/root|[a-z]:/users/[^/]+)/[^/*]+/(\*|\.\*|\*\*)$'
             and substring(v_p from '^(?:~|/home/[^/*]+|/users/[^/*]+|/root|[a-z]:/users/[^/]+)/([^/*]+)/') <> all (v_caches)) then
    v_classes := v_classes || 'home-data'::text;
  end if;
  if v in ('.', './', '*', './*', '.*', './.*', '..', '../', '../*', ':/', './..', '**', './**', '*/', '{*}', '../..', '../../',
           '../../*', '../../..', '*.*', '.[!.]*', '.??*', '.[^.]*')
     or v like '../../%' and replace(replace(v, '../', ''), '..', '') in ('', '*') then
    v_classes := v_classes || 'workspace'::text;
  elsif v like '../%' then
    v_classes := v_classes || 'outside'::text;
  end if;
  if v = '.git' or v like '.git/%' or v like '%/.git' or v like '%/.git/%' then
    v_classes := v_classes || 'git'::text;
  end if;

  -- the rest works on a lower-case copy with a leading / so that '%/.ssh/%' also finds .ssh/x
  v_p := '/' || ltrim(lower(v), '/');
  v_base := reverse(split_part(reverse(v_p), '/', 1));
  v_ext := case when strpos(v_base, '.') > 0 then reverse(split_part(reverse(v_base), '.', 1)) end;
  if v_base = any (array['.netrc', '_netrc', '.pgpass', '.my.cnf', '.git-credentials', '.npmrc', '.yarnrc.yml', '.pypirc',
                         '.boto', '.s3cfg', '.vault-token', '.htpasswd', 'credentials', 'credentials.json', 'credentials.toml',
                         'credentials.db', 'credentials.tfrc.json', 'application_default_credentials.json', 'access_tokens.db',
                         'legacy_credentials', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'id_ecdsa_sk', 'id_ed25519_sk',
                         'master.key', 'secring.gpg', 'trustdb.gpg', 'login.keychain', 'login.keychain-db', 'key3.db',
                         'key4.db', 'logins.json', 'cookies.sqlite', 'login data', 'cookies', 'web data', 'local state',
                         'shadow', 'shadow-', 'gshadow', 'gshadow-', 'master.passwd', 'ntds.dit', 'environ', '.dev.vars',
                         '.secret', '.secrets', 'key.pem', 'privkey.pem', 'secrets.json', 'secrets.yaml', 'secrets.yml',
                         'secrets.toml', 'secrets.env', 'secrets.txt', 'secret.json', 'secret.yaml', 'secret.yml',
                         '.bash_secrets', 'rclone.conf', '.env', 'kubeconfig', 'terraform.tfstate', '.credentials',
                         'token.json', 'tokens.json', '.token', 'sam', '*.pem', '*.key', '*.p12', '*.pfx', 'id_*', '*.ppk',
                         '*.kdbx', '*credentials*', '*.tfstate'])
     or v_base like '.env.%' and v_base not in ('.env.example', '.env.sample', '.env.template', '.env.dist', '.env.defaults',
                                                 '.env.schema', '.env.test.example', '.env.local.example', '.env.example.local',
                                                 '.env.sample.local')
     or v_ext in ('key', 'p12', 'pfx', 'jks', 'keystore', 'ppk', 'kdbx', 'keytab', 'tfstate', 'env') and v_base <> '.env'
        and v_base !~ '(example|sample|template|dist|defaults|schema)'
     or v_base like '%.tfstate.backup'
     or v_base like any (array['%private%.pem', '%priv%.pem', '%secret%.pem', '%private%.asc', '%secret%.asc', '%private%.gpg',
                               '%secret%.gpg', '%private%.key', '%-key.pem', '%\_key.pem', 'client\_secret%.json',
                               'service-account%.json', 'service\_account%.json', 'serviceaccount%.json', '%-adminsdk%.json',
                               '%credentials%.json', '%credentials%.yaml', '%credentials%.yml', '%credentials%.xml',
                               '%credentials%.csv', '%credentials%.ini', 'kubeconfig%'])
        and v_base !~ '(example|sample|template|dummy|fake|mock|fixture)'
     or v_p like any (array['%/.ssh', '%/.gnupg', '%/.gnupg/%', '%/.aws/credentials', '%/.aws/sso/%', '%/.aws/cli/cache%',
                            '%/.azure', '%/.azure/%', '%/.config/gcloud', '%/.config/gcloud/%', '%/.kube/%config%',
                            '%/.docker/config.json', '%/.config/gh/hosts.yml', '%/.config/hub', '%/.gem/credentials',
                            '%/.cargo/credentials%', '%/.m2/settings.xml', '%/.gradle/gradle.properties',
                            '%/.terraform.d/credentials%', '%/.password-store%', '%/.config/op/%', '%/.local/share/keyrings%',
                            '%/keychains/%', '%/.mozilla/firefox/%/key_.db', '%/.mozilla/firefox/%/logins.json',
                            '%/.mozilla/firefox/%/cookies.sqlite', '%/google-chrome/%', '%/chromium/%', '/etc/ssl/private%',
                            '%/letsencrypt/live/%privkey%', '%/letsencrypt/archive/%privkey%', '/run/secrets/%',
                            '/var/run/secrets/%', '/proc/%/environ', '/proc/%/mem', '%/system32/config/sam',
                            '%/system32/config/system', '%/system32/config/security', '%/.local/share/com.vercel.cli/%',
                            '%/.config/doctl/%', '%/.fly/config.yml', '%/.netlify/config.json', '%/.config/netlify/%',
                            '%/.config/heroku/%', '%/.wrangler/config/%', '%/.config/.wrangler/%', '%/.streamlit/secrets.toml',
                            '%/.oci/config', '%/.config/configstore/firebase-tools.json', '%/.npm/\_auth%', '%/.config/gh/%',
                            '%/.aws/config.bak', '/etc/ssh/ssh\_host\_%\_key', '%/.aws', '%/.kube', '%/.docker',
                            '%/.composer/auth.json', '%/.config/composer/auth.json', '%/.local/share/keyrings',
                            '%/.config/rclone', '%/.ansible/%vault%', '%/.vault-password%', '%/.config/glab-cli/config.yml',
                            '%/.databrickscfg', '%/.snowsql/config', '%/.config/hcloud/cli.toml', '/etc/kubernetes/admin.conf',
                            '/etc/kubernetes/%.conf', '/etc/kubernetes/pki/%', '/etc/rancher/k3s/k3s.yaml', '%/.config/sops/age/keys.txt',
                            '%/.config/scw/config.yaml', '%/.aliyun/config.json', '%/.bluemix/config.json', '%/.config/linode-cli',
                            '%/.terraform.d/credentials.tfrc.json', '%/.config/atlascli/%', '%/.mongodb/atlascli/%',
                            '%/.config/neonctl/%', '%/.config/planetscale/%', '%/.railway/config.json', '%/.render/%',
                            '%/.config/flyctl/%', '%/.supabase/access-token', '%/.config/supabase/%', '%/.pulumi/credentials.json',
                            '%/.config/infisical/%', '%/.doppler/%', '%/.ngrok2/ngrok.yml', '%/.config/ngrok/ngrok.yml',
                            '%/.cloudflared/%.json', '%/.wrangler/%', '%/.config/configstore/%', '%/.npm/\_logs%token%',
                            '%/.m2/settings-security.xml', '%/.ivy2/.credentials', '%/.sbt/%credentials%', '%/.lein/credentials%',
                            '%/.nuget/nuget/nuget.config', '%/appdata/roaming/nuget/nuget.config', '%/.git-credential%',
                            '%/appdata/roaming/gcloud/%', '%/appdata/roaming/microsoft/credentials/%',
                            '%/appdata/local/microsoft/credentials/%', '%/appdata/roaming/microsoft/protect/%',
                            '%/.config/gh/%', '%/.local/share/atuin/key', '/var/lib/jenkins/secrets/%', '%/keychains',
                            '%/.codex/auth.json', '%/.claude/.credentials.json', '%/.config/github-copilot/%.json',
                            '%/.config/stripe/config.toml', '/etc/gitlab/gitlab-secrets.json', '/etc/wireguard/%',
                            '/etc/networkmanager/system-connections%', '%/github cli/hosts.yml', '%/.config/gh-copilot/%',
                            '%/.aider%.env', '%/.config/openai/%', '%/.cursor/mcp.json', '%/.wakatime.cfg', '%/.config/anthropic/%',
                            '/var/lib/jenkins/credentials.xml', '%/.vnc/passwd', '%/.my.cnf', '%/.mylogin.cnf'])
     or v_p like '%/.ssh/%' and v_base not like '%.pub' and v_base not like 'known\_hosts%'
        and v_base not in ('config', 'authorized_keys', 'authorized_keys2', 'rc', 'environment') then
    v_classes := v_classes || 'credential'::text;
  end if;

  if v_base = any (array['.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile', '.zshrc', '.zprofile', '.zshenv',
                         '.zlogin', '.zlogout', '.kshrc', '.cshrc', '.tcshrc', '.login', '.xinitrc', '.xprofile', '.xsession',
                         '.xsessionrc', '.inputrc', '.pam_environment', '.gitconfig', '.vimrc', '.tmux.conf', '.npmrc.js',
                         '.emacs', '.bash_aliases', '.zsh_aliases', '.exrc', '.gvimrc', '.nanorc', '.screenrc', '.wgetrc',
                         '.curlrc', '.pythonstartup', '.perldb', '.irbrc', '.pryrc', '.gdbinit', '.lldbinit', '.mailrc',
                         '.muttrc', '.ideavimrc', '.sqliterc', '.psqlrc', '.mysqlrc', '.rprofile', '.lesskey'])
        and (v_p like '/~/%' or v_p like '/~_%/%' or v_p like '/home/%' or v_p like '/root/%' or v_p like '/users/%'
             or v_p like '/_:/users/%' or v_p like '/etc/skel/%') and split_part(v_p, '/', case when v_p like '/~%' then 4 when v_p like '/root/%' then 4 when v_p like '/_:/%' then 6 else 5 end) = ''
     or v_base in ('microsoft.powershell_profile.ps1', 'profile.ps1') or v_base like '%\_profile.ps1'
     or v_p like '%/.ssh/authorized\_keys%' or v_p in ('/etc/ld.so.preload', '/etc/rc.local', '/etc/anacrontab', '/etc/crontab')
     or v_base in ('usercustomize.py', 'sitecustomize.py') or v_base like '%.pth' and v_p like '%-packages/%'
     or v_p like any (array['%/.config/nushell/%.nu', '%/.config/nvim/init.%', '%/.config/nvim/lua/%', '%/.vim/plugin/%',
                            '%/.emacs.d/init.el', '%/.emacs.d/early-init.el', '%/.config/emacs/init.el', '%/.oh-my-zsh/custom/%',
                            '%/.zshrc.d/%', '%/.bashrc.d/%', '%/.config/powershell/%profile.ps1', '%/documents/windowsPowerShell/%',
                            '%/documents/powershell/%', '%/.config/direnv/direnvrc', '%/.direnvrc', '%/.config/git/hooks/%',
                            '%/.git-templates/hooks/%', '%/.local/share/applications/%.desktop', '/etc/skel/%',
                            '%/.config/fish/functions/%', '%/.local/share/bash-completion/completions/%', '%/.config/nvim/plugin/%',
                            '%/.config/nvim/after/%', '%/.config/tmux/tmux.conf', '%/.config/nushell/%', '%/.config/zsh/%',
                            '%/.config/starship.toml', '%/.oh-my-zsh/plugins/%',
                            '%/library/application support/com.apple.backgroundtaskmanagementagent/%',
                            '/library/startupitems/%', '/etc/periodic/%', '/etc/launchd.conf', '%/.launchd.conf',
                            '/etc/motd', '/etc/issue'])
     or (v_p like any (array['%/.config/fish/config.fish', '%/.config/fish/conf.d/%', '%/.config/autostart/%',
                             '%/.config/systemd/%', '%/.ssh/rc', '%/.ssh/environment', '%/.ssh/config', '%/.git/hooks/%',
                             '%/.husky/%', '%/.config/git/config', '%/library/launchagents/%', '%/library/launchdaemons/%',
                             '%/start menu/programs/startup/%', '%/.git/config', '%/.git/info/attributes',
                             '/etc/cron%', '/etc/systemd/%', '/etc/init.d/%', '/etc/init/%', '/etc/rc_.d/%', '/etc/rc.d/%',
                             '/etc/profile', '/etc/profile.d/%', '/etc/bash.bashrc', '/etc/bashrc', '/etc/zsh/%',
                             '/etc/environment', '/etc/xdg/autostart/%', '/etc/update-motd.d/%', '/etc/apt/apt.conf.d/%',
                             '/etc/modules-load.d/%', '/etc/udev/rules.d/%', '/var/spool/cron%', '/usr/lib/systemd/%',
                             '/lib/systemd/%', '/etc/inittab'])
         and v_p not like '%/.husky/\_%') then
    v_classes := v_classes || 'persistence'::text;
  end if;
  if v_p like any (array['/etc/sudoers', '/etc/sudoers.d', '/etc/sudoers.d/%', '/etc/passwd', '/etc/passwd-', '/etc/shadow',
                         '/etc/shadow-', '/etc/group', '/etc/group-', '/etc/gshadow', '/etc/gshadow-', '/etc/pam.d', '/etc/pam.d/%',
                         '/etc/security/%', '/etc/polkit-1/%', '/etc/doas.conf', '/etc/subuid', '/etc/subgid', '/etc/login.defs']) then
    v_classes := v_classes || 'privilege'::text;
  end if;
  if v_p like any (array['%/com.apple.tcc/tcc.db', '/library/preferences/com.apple.alf%', '/etc/pf.conf', '/etc/pf.anchors/%',
                         '/etc/selinux%', '/etc/apparmor%', '/etc/audit/%', '/etc/ufw/%', '/etc/iptables/%', '/etc/nftables.conf',
                         '/etc/firewalld/%', '/etc/fail2ban/%', '/etc/ssh/sshd\_config%', '/etc/sysctl.conf', '/etc/sysctl.d/%',
                         '/etc/hosts', '/etc/hosts.allow', '/etc/hosts.deny', '/etc/resolv.conf', '/etc/nsswitch.conf',
                         '/etc/ld.so.conf%', '/proc/sys/%', '/sys/kernel/security/%']) then
    v_classes := v_classes || 'security'::text;
  end if;
  if v_p like any (array['%/.github/workflows/%', '%/.github/actions/%', '%/.github/codeowners', '%/codeowners',
                         '%/.gitlab-ci.yml', '%/.gitlab-ci.yaml', '%/.gitlab/ci/%', '%/jenkinsfile%', '%/.circleci/%',
                         '%/azure-pipelines%.yml', '%/azure-pipelines%.yaml', '%/.azure-pipelines/%', '%/.travis.yml',
                         '%/.travis.yaml', '%/bitbucket-pipelines.yml', '%/bitbucket-pipelines.yaml', '%/.buildkite/%',
                         '%/.drone.yml', '%/.drone.yaml', '%/.woodpecker.yml', '%/.woodpecker/%', '%/cloudbuild.yaml',
                         '%/cloudbuild.yml', '%/buildspec.yml', '%/buildspec.yaml', '%/appveyor.yml', '%/.appveyor.yml',
                         '%/.semaphore/%', '%/.tekton/%', '%/codefresh.yml', '%/.harness/%', '%/wercker.yml',
                         '%/.pre-commit-config.yaml', '%/.gitlab/%.yml', '%/.gitea/workflows/%', '%/.forgejo/workflows/%',
                         '%/.github/workflows', '%/.circleci', '%/.gitlab-ci%.yml', '%/.gitlab-ci%.yaml', '%/.drone.star',
                         '%/codemagic.yaml', '%/codemagic.yml', '%/bitrise.yml', '%/.cirrus.yml', '%/.cirrus.star',
                         '%/.teamcity/%', '%/.gocd/%', '%/.concourse/%', '%/concourse/%pipeline%.yml', '%/.spinnaker/%',
                         '%/.github/renovate.json', '%/renovate.json', '%/.vscode/tasks.json', '%/.devcontainer/%',
                         '%/taskfile.yml', '%/.gitpod.yml', '%/.replit', '%/netlify.toml', '%/vercel.json', '%/fly.toml',
                         '%/app.yaml', '%/.platform.app.yaml', '%/serverless.yml', '%/.ebextensions/%', '%/procfile',
                         '%/cloudbuild%.yaml', '%/cloudbuild%.yml', '%/buildspec%.yml', '%/buildspec%.yaml'])
     and v_base !~ '(example|sample)' and v_base !~ '\.(md|txt|rst|html|adoc)$'
     -- test fixtures and examples are no pipeline of this repository
     and not v_p like any (array['%/fixtures/%', '%/testdata/%', '%/test-data/%', '%/examples/%', '%/samples/%', '%/__fixtures__/%']) then
    v_classes := v_classes || 'ci'::text;
  end if;
  if v_p like any (array['%/.aws/config', '%/.pip/pip.conf', '%/.config/pip/pip.conf', '/etc/pip.conf', '%/.docker/daemon.json',
                         '/etc/docker/daemon.json', '%/.condarc', '%/.cargo/config', '%/.cargo/config.toml', '%/.yarnrc',
                         '%/.bunfig.toml', '%/.gemrc', '%/.config/gh/config.yml', '%/.mavenrc', '%/.gradle/init.d/%',
                         '%/.config/git/credentials', '/etc/apt/sources.list', '/etc/apt/sources.list.d/%', '/etc/yum.repos.d/%',
                         '%/.azure/config', '%/.config/gcloud/configurations/%', '%/.terraformrc', '%/terraform.rc',
                         '%/.config/nix/nix.conf', '/etc/nix/nix.conf', '%/.nuget/nuget.config', '%/.config/composer/config.json',
                         '%/.composer/config.json', '%/.hex/hex.config', '%/.config/uv/uv.toml', '/etc/uv/uv.toml', '%/.netrc',
                         '%/.gitconfig', '/etc/gitconfig', '%/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts', '%/.gnupg/gpg.conf',
                         '/etc/docker/daemon.json', '%/.docker/config.json', '%/.config/containers/registries.conf',
                         '/etc/containers/registries.conf', '/etc/hosts', '%/.kube/config', '/etc/environment']) then
    v_classes := v_classes || 'tool-config'::text;
  end if;
  if v_base like '.%\_history' or v_base in ('.histfile', 'consolehost_history.txt', '.lesshst', '.viminfo', 'fish_history',
                                             'wtmp', 'btmp', 'lastlog', 'utmp')
     or v_p like any (array['/var/log', '/var/log/%', '/var/adm/%', '%/system32/winevt%', '%/.local/share/atuin/%.db',
                            '%/.mcfly/history%', '%/mcfly/history%', '%/psreadline/%history%', '%/.config/fish/fish_history',
                            '%/.local/share/fish/fish_history', '%/.bash_sessions/%', '%/.zsh_sessions/%',
                            '%/nushell/history.txt', '%/nushell/history.sqlite3']) then
    v_classes := v_classes || 'history'::text;
  end if;
  if cardinality(v_classes) = 0 then
    if v_p like any (array['/tmp/_%', '/var/tmp/_%', '/dev/shm/_%', '/private/tmp/_%', '/_:/temp/%', '/_:/tmp/%']) then
      return array['tmp'];
    end if;
    if v_p like any (array['%/node\_modules', '%/node\_modules/%', '%/\_\_pycache\_\_%', '%/.cache', '%/.cache/%',
                           '%/.pytest\_cache%', '%/.mypy\_cache%', '%/.ruff\_cache%', '%/.tox', '%/.tox/%', '%/.nox%',
                           '%/.gradle/caches%', '%/.m2/repository%', '%/.npm/\_cacache%', '%/.cargo/registry%',
                           '%/library/caches%', '%/target', '%/target/%', '%/dist', '%/dist/%', '%/build', '%/build/%',
                           '%/.next', '%/.next/%', '%/.nuxt%', '%/.turbo%', '%/coverage', '%/coverage/%', '%/.venv',
                           '%/.venv/%', '%/venv', '%/venv/%']) then
      return array['cache'];
    end if;
  end if;
  return v_classes;
end;
$$;

comment on function coord.guard_classify(text) is 'Guardrail targets: the classes of one canonical word (root, system, device, home, home-data, workspace, outside, git, credential, tool-config, persistence, privilege, security, ci, history, tmp, cache, null, remote, local-url, dynamic, dynamic-prefix); {} for an ordinary project file.';
revoke all on function coord.guard_classify(text) from public;
