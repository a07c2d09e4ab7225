-- Guardrail effects of setting a shell variable (NAME=value, export, declare, and prefixes
-- of a command): turning history off (HISTFILE, HISTSIZE=0), preloading code into every
-- process (LD_PRELOAD, DYLD_INSERT_LIBRARIES), and switching off TLS verification or pointing
-- package managers at other registries (GIT_SSL_NO_VERIFY, NODE_TLS_REJECT_UNAUTHORIZED=0,
-- PIP_INDEX_URL, npm_config_registry, GOINSECURE, ...). A variable whose value is a command
-- some program runs (GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF, PAGER, EDITOR, ...) also does what that
-- command does: its value is checked as shell text (it is one: git and the rest run it with sh);
-- a program there in a scratch directory anyone can write (/tmp/d.sh) is exec-code.
-- A startup file a shell runs (BASH_ENV, ENV, ZDOTDIR) or code node or the JVM preload
-- (NODE_OPTIONS --require ./x, JAVA_TOOL_OPTIONS -javaagent:) runs code the text does not show:
-- exec-code, and the file name is checked as the text '. NAME' (bash expands $(...) in it).
-- So does what ruby, perl, python, Lua and PHP load before the program: RUBYOPT -r FILE,
-- PERL5DB, LUA_INIT, a PYTHONWARNINGS category in a module, and module search paths
-- (PYTHONPATH, PERL5LIB, RUBYLIB, NODE_PATH, -I in RUBYOPT/PERL5OPT, ...) into a scratch
-- directory anyone can write (LD_LIBRARY_PATH there is privesc, as LD_PRELOAD). PERL5OPT=-MName
-- loads an installed module, and PYTHONSTARTUP is read only by an interactive prompt (not by
-- python SCRIPT, -c, -m or -i SCRIPT, and an agent's shell has no terminal): neither is flagged.
create or replace function coord.guard_assignment_effects(p_name text, p_value text)
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when upper(p_name) = 'HISTFILE' or upper(p_name) = 'HISTIGNORE' and strpos(coalesce(p_value, ''), '*') > 0
         or upper(p_name) in ('HISTSIZE', 'HISTFILESIZE', 'SAVEHIST') and coalesce(p_value, '') in ('', '0')
      then coord.guard_effect('history-tamper', array[p_name])
    when upper(p_name) = 'PROMPT_COMMAND' and p_value ~ 'history|HISTFILE'
      then coord.guard_effect('history-tamper', array[p_name])
    when upper(p_name) in ('LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'DYLD_LIBRARY_PATH')
      then coord.guard_effect('privesc', array[p_name])
    -- git configuration through the environment: hooks, fsmonitor and ssh commands run code
    when upper(p_name) = 'GIT_CONFIG_PARAMETERS' and p_value ~* '(core\.(hookspath|fsmonitor|sshcommand|pager|editor|askpass|gitproxy)|protocol\.[a-z]+\.allow|http\.sslverify|credential\.helper|uploadpack\.packobjectshook|sequence\.editor|diff\.external|[a-z]+\.textconv|filter\.)'
         or upper(p_name) ~ '^GIT_CONFIG_(KEY|VALUE)_[0-9]+$' and p_value ~* '^(core\.(hookspath|fsmonitor|sshcommand|pager|editor|askpass|gitproxy)|protocol\.[a-z]+\.allow|http\.sslverify|credential\.helper|uploadpack\.packobjectshook|sequence\.editor|diff\.external|[a-z.]+\.textconv|filter\.[a-z]+\.(clean|smudge|process))$'
         or upper(p_name) in ('GIT_SSH_COMMAND', 'GIT_PROXY_COMMAND', 'GIT_EXTERNAL_DIFF', 'GIT_ASKPASS', 'SSH_ASKPASS')
            and p_value ~* '(\||;|&|curl|wget|nc |/tmp/|\$\(|stricthostkeychecking=no|userknownhostsfile=/dev/null)'
         or upper(p_name) in ('GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG', 'GIT_EXEC_PATH', 'GIT_TEMPLATE_DIR')
            and coalesce(p_value, '') !~ '^(~|\$HOME)?/?(\.gitconfig|\.config/git/config)?$' and coalesce(p_value, '') <> '/dev/null'
      then coord.guard_effect('git-unsafe', array[p_name])
    when upper(p_name) in ('GIT_SSL_NO_VERIFY', 'NODE_TLS_REJECT_UNAUTHORIZED', 'PYTHONHTTPSVERIFY', 'CURL_CA_BUNDLE',
                           'REQUESTS_CA_BUNDLE', 'NPM_CONFIG_STRICT_SSL', 'YARN_ENABLE_STRICT_SSL', 'GOINSECURE',
                           'GONOSUMDB', 'GONOSUMCHECK', 'GOSUMDB', 'GOFLAGS', 'DOCKER_CONTENT_TRUST', 'GIT_SSL_CAINFO',
                           'PIP_TRUSTED_HOST', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'UV_INDEX_URL', 'UV_EXTRA_INDEX_URL',
                           'UV_INSECURE_HOST', 'NPM_CONFIG_REGISTRY', 'YARN_REGISTRY', 'YARN_NPM_REGISTRY_SERVER',
                           'BUNDLE_MIRROR__ALL', 'GOPROXY', 'CARGO_REGISTRIES_CRATES_IO_PROTOCOL', 'HELM_REPOSITORY_CONFIG',
                           'CONDA_CHANNELS', 'POETRY_REPOSITORIES_DEFAULT_URL', 'PIP_NO_VERIFY', 'NODE_EXTRA_CA_CERTS',
                           'SSL_CERT_FILE', 'AWS_CA_BUNDLE', 'HEX_UNSAFE_HTTPS', 'HEX_MIRROR', 'HEX_REPO_URL',
                           'HOMEBREW_BOTTLE_DOMAIN', 'HOMEBREW_API_DOMAIN', 'HOMEBREW_ARTIFACT_DOMAIN', 'HOMEBREW_BREW_GIT_REMOTE',
                           'HOMEBREW_CORE_GIT_REMOTE', 'BUN_CONFIG_REGISTRY', 'NPM_CONFIG_STRICT_SSL', 'PNPM_CONFIG_REGISTRY',
                           'CARGO_HTTP_CHECK_REVOKE', 'CARGO_NET_GIT_FETCH_WITH_CLI', 'NUGET_CERT_REVOCATION_MODE',
                           'COMPOSER_DISABLE_TLS', 'PUB_HOSTED_URL', 'FLUTTER_STORAGE_BASE_URL', 'GEM_SOURCE', 'MAVEN_OPTS',
                           'PIP_CERT', 'CONDA_SSL_VERIFY', 'RUSTUP_DIST_SERVER', 'RUSTUP_UPDATE_ROOT', 'NVM_NODEJS_ORG_MIRROR',
                           'ELECTRON_MIRROR', 'PUPPETEER_DOWNLOAD_HOST', 'SASS_BINARY_SITE')
         and not (upper(p_name) = 'NODE_TLS_REJECT_UNAUTHORIZED' and p_value = '1')
         and not (upper(p_name) = 'GIT_SSL_NO_VERIFY' and lower(coalesce(p_value, '')) in ('', '0', 'false'))
         and not (upper(p_name) = 'DOCKER_CONTENT_TRUST' and p_value = '1')
         and not (upper(p_name) = 'GOFLAGS' and coalesce(p_value, '') !~ 'insecure')
         and not (upper(p_name) in ('HEX_UNSAFE_HTTPS', 'COMPOSER_DISABLE_TLS') and lower(coalesce(p_value, '')) in ('', '0', 'false', 'no'))
         and not (upper(p_name) in ('MAVEN_OPTS') and coalesce(p_value, '') !~* '(insecure|trustall|allowall|ssl\.ignore|wagon\.http\.ssl)')
         and not (upper(p_name) in ('CARGO_HTTP_CHECK_REVOKE', 'CONDA_SSL_VERIFY', 'CARGO_NET_GIT_FETCH_WITH_CLI') and lower(coalesce(p_value, '')) not in ('false', '0', 'no'))
         and not (upper(p_name) = 'CARGO_NET_GIT_FETCH_WITH_CLI')
         and not (upper(p_name) like 'HOMEBREW\_%' and coalesce(p_value, '') ~ '^https://(ghcr\.io|formulae\.brew\.sh|github\.com/Homebrew)')
         and not (upper(p_name) in ('GOPROXY') and p_value ~ '^(https://proxy\.golang\.org|https://goproxy\.io|https://goproxy\.cn)')
         and not (upper(p_name) in ('NPM_CONFIG_REGISTRY', 'YARN_REGISTRY', 'YARN_NPM_REGISTRY_SERVER')
                  and p_value ~ '^https://registry\.(npmjs\.org|yarnpkg\.com)/?$')
         and not (upper(p_name) in ('PIP_INDEX_URL', 'UV_INDEX_URL') and p_value ~ '^https://pypi\.org/simple/?$')
      then coord.guard_effect('supply-chain', array[p_name])
    else '[]'::jsonb end
  || case when upper(p_name) in ('GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_PROXY_COMMAND', 'GIT_EXTERNAL_DIFF', 'GIT_ASKPASS',
                                 'SSH_ASKPASS', 'SUDO_ASKPASS', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_PAGER', 'PAGER',
                                 'MANPAGER', 'SYSTEMD_PAGER', 'EDITOR', 'VISUAL', 'SUDO_EDITOR', 'FCEDIT', 'BROWSER',
                                 'LESSOPEN', 'LESSCLOSE', 'PROMPT_COMMAND', 'RSYNC_RSH', 'CVS_RSH',
                                 -- the editors and pagers of kubectl, gh, the AWS CLI, psql, svn,
                                 -- and the xtrace prompt, whose $(...) bash -x runs
                                 'KUBE_EDITOR', 'GH_EDITOR', 'GH_PAGER', 'GH_BROWSER', 'AWS_PAGER', 'PSQL_PAGER',
                                 'PSQL_EDITOR', 'SVN_EDITOR', 'SVN_SSH', 'HGEDITOR', 'CVSEDITOR', 'PS4')
               and btrim(regexp_replace(btrim(coalesce(p_value, '')), '^\|+-?', '')) <> ''
          -- (what only reads its input, as a pager or editor does, adds nothing; LESSOPEN's
          -- |- and || prefixes are less's, not the command's)
          then coalesce((select jsonb_agg(e) from coord.guard_shell_units(regexp_replace(btrim(p_value), '^\|+-?', ''), 1) as u,
                                                  jsonb_array_elements(u.effects) as e
                         where not (e ->> 'a' = 'read' and e -> 'c' = '["none"]')), '[]')
               -- (a program in a scratch directory anyone can write runs what nobody here read)
               || case when coord.guard_scratch_path(substring(regexp_replace(btrim(p_value), '^\|+-?', '') from '^[''"]?([^\s''"]+)'))
                       then coord.guard_effect('exec-code', array[p_name]) else '[]' end
          else '[]' end
  -- a startup file a shell started later runs (bash -c reads BASH_ENV, zsh always ZDOTDIR/.zshenv,
  -- sh/ksh/mksh ENV when interactive), or code node and the JVM load first: what it holds is read
  -- by nobody here (exec-code), and its name is expanded first, so what runs there is checked too
  || case when upper(p_name) = 'BASH_ENV' and btrim(coalesce(p_value, '')) not in ('', '/dev/null')
            or upper(p_name) = 'ENV' and coalesce(p_value, '') ~ '[/$`~]|^\.' and btrim(p_value) <> '/dev/null'
            or upper(p_name) = 'ZDOTDIR' and btrim(coalesce(p_value, '')) not in ('', '~', '$HOME', '${HOME}')
          then coord.guard_effect('exec-code', array[p_name])
               || coalesce((select jsonb_agg(e)
                            from coord.guard_shell_units('. ' || case when upper(p_name) = 'ZDOTDIR' then rtrim(p_value, '/') || '/.zshenv'
                                                                      else p_value end, 1) as u,
                                 jsonb_array_elements(u.effects) as e), '[]')
          when upper(p_name) = 'NODE_OPTIONS'
               and p_value ~ '(^|\s)(-r|--require|--import|--loader|--experimental-loader)(=|\s+)[''"]?(\.{0,2}/|~|\$|data:|https?:|file:)'
            or upper(p_name) in ('JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS') and p_value ~ '-(javaagent|agentpath):'
            -- ruby's and perl's options variables: -r a file (RUBYOPT) as NODE_OPTIONS --require,
            -- -I a scratch directory (below)
            or upper(p_name) = 'RUBYOPT' and p_value ~ '(^|\s)-r\s*[''"]?(\.{0,2}/|~|\$)'
            -- code itself: perl's debugger (with -d), Lua's start-up chunk (or @file)
            or upper(p_name) in ('PERL5DB', 'LUA_INIT', 'LUA_INIT_5_1', 'LUA_INIT_5_2', 'LUA_INIT_5_3', 'LUA_INIT_5_4')
               and btrim(coalesce(p_value, '')) <> ''
            -- a warnings filter whose category names a module imports that module
            or upper(p_name) = 'PYTHONWARNINGS' and p_value ~ '::[A-Za-z_][A-Za-z0-9_]*\.'
            -- where modules and the runtime load from: a scratch directory anyone can write into
            -- (/tmp, /var/tmp, /dev/shm, $TMPDIR) holds code this text does not show
            or upper(p_name) in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE', 'PERL5LIB', 'PERLLIB', 'RUBYLIB', 'NODE_PATH',
                                 'GEM_PATH', 'GEM_HOME', 'PHP_INI_SCAN_DIR', 'PHPRC', 'LUA_PATH', 'LUA_CPATH', 'CLASSPATH')
               and coord.guard_scratch_path(p_value)
            or upper(p_name) in ('RUBYOPT', 'PERL5OPT') and p_value ~ '(^|\s)-I'
               and coord.guard_scratch_path(array_to_string(array(select m[1] from regexp_matches(p_value, '(?:^|\s)-I\s*([^\s]+)', 'g') as m), ':'))
          then coord.guard_effect('exec-code', array[p_name])
          -- the dynamic linker's search path into a scratch directory: as LD_PRELOAD, a library
          -- nobody reviewed is loaded into every program
          when upper(p_name) = 'LD_LIBRARY_PATH' and coord.guard_scratch_path(p_value)
          then coord.guard_effect('privesc', array[p_name])
          else '[]' end;
$$;

comment on function coord.guard_assignment_effects(text, text) is 'Guardrail effects of a shell variable assignment: history off, preloaded libraries, TLS verification off, other package registries, and what the command in GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF, PAGER, EDITOR and the like does; startup files and preloaded code (BASH_ENV, ENV, ZDOTDIR, NODE_OPTIONS --require, JAVA_TOOL_OPTIONS -javaagent) as exec-code.';
revoke all on function coord.guard_assignment_effects(text, text) from public;
