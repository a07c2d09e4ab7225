-- Guardrail effects of setting a shell variable (NAME=value, export, declare, and prefixes
-- of a command): turning history off (HISTFILE, HISTSIZE=0), preloading code into every
-- process (LD_PRELOAD, DYLD_INSERT_LIBRARIES), and switching off TLS verification or pointing
-- package managers at other registries (GIT_SSL_NO_VERIFY, NODE_TLS_REJECT_UNAUTHORIZED=0,
-- PIP_INDEX_URL, npm_config_registry, GOINSECURE, ...).
create or replace function coord.guard_assignment_effects(p_name text, p_value text)
returns jsonb
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when upper(p_name) in ('HISTFILE', 'HISTIGNORE') or upper(p_name) in ('HISTSIZE', 'HISTFILESIZE', 'SAVEHIST') and coalesce(p_value, '') in ('', '0')
      then coord.guard_effect('history-tamper', array[p_name])
    when upper(p_name) = 'PROMPT_COMMAND' and p_value ~ 'history|HISTFILE'
      then coord.guard_effect('history-tamper', array[p_name])
    when upper(p_name) in ('LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'DYLD_LIBRARY_PATH')
      then coord.guard_effect('privesc', array[p_name])
    when upper(p_name) in ('GIT_SSL_NO_VERIFY', 'NODE_TLS_REJECT_UNAUTHORIZED', 'PYTHONHTTPSVERIFY', 'CURL_CA_BUNDLE',
                           'REQUESTS_CA_BUNDLE', 'NPM_CONFIG_STRICT_SSL', 'YARN_ENABLE_STRICT_SSL', 'GOINSECURE',
                           'GONOSUMDB', 'GONOSUMCHECK', 'GOSUMDB', 'GOFLAGS', 'DOCKER_CONTENT_TRUST', 'GIT_SSL_CAINFO',
                           'PIP_TRUSTED_HOST', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'UV_INDEX_URL', 'UV_EXTRA_INDEX_URL',
                           'UV_INSECURE_HOST', 'NPM_CONFIG_REGISTRY', 'YARN_REGISTRY', 'YARN_NPM_REGISTRY_SERVER',
                           'BUNDLE_MIRROR__ALL', 'GOPROXY', 'CARGO_REGISTRIES_CRATES_IO_PROTOCOL', 'HELM_REPOSITORY_CONFIG',
                           'CONDA_CHANNELS', 'POETRY_REPOSITORIES_DEFAULT_URL', 'PIP_NO_VERIFY', 'NODE_EXTRA_CA_CERTS',
                           'SSL_CERT_FILE', 'AWS_CA_BUNDLE')
         and not (upper(p_name) = 'NODE_TLS_REJECT_UNAUTHORIZED' and p_value = '1')
         and not (upper(p_name) = 'GIT_SSL_NO_VERIFY' and lower(coalesce(p_value, '')) in ('', '0', 'false'))
         and not (upper(p_name) = 'DOCKER_CONTENT_TRUST' and p_value = '1')
         and not (upper(p_name) = 'GOFLAGS' and coalesce(p_value, '') !~ 'insecure')
         and not (upper(p_name) in ('GOPROXY') and p_value ~ '^(https://proxy\.golang\.org|https://goproxy\.io|https://goproxy\.cn)')
         and not (upper(p_name) in ('NPM_CONFIG_REGISTRY', 'YARN_REGISTRY', 'YARN_NPM_REGISTRY_SERVER')
                  and p_value ~ '^https://registry\.(npmjs\.org|yarnpkg\.com)/?$')
         and not (upper(p_name) in ('PIP_INDEX_URL', 'UV_INDEX_URL') and p_value ~ '^https://pypi\.org/simple/?$')
      then coord.guard_effect('supply-chain', array[p_name])
    else '[]'::jsonb end;
$$;

comment on function coord.guard_assignment_effects(text, text) is 'Guardrail effects of a shell variable assignment: history off, preloaded libraries, TLS verification off, other package registries.';
revoke all on function coord.guard_assignment_effects(text, text) from public;
