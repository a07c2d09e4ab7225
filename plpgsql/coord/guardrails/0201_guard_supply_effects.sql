-- Guardrail effects on where software comes from (supply-chain): package managers pointed at a
-- registry or index other than the ecosystem's own (npm/yarn/pnpm registry, pip/uv
-- --index-url), extra indexes and trusted hosts (dependency confusion, no TLS), packages
-- installed from a URL or a git repository rather than a registry, insecure repositories
-- and switched-off signature checks (apt -o Acquire::AllowInsecureRepositories, go env -w
-- GOINSECURE / GOSUMDB=off / GOFLAGS=-insecure), gem sources over http.
create or replace function coord.guard_supply_effects(p_op jsonb)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_args text[] := array(select lower(a) from jsonb_array_elements_text(p_op -> 'args') as a);
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_words text[] := array(select lower(w) from jsonb_array_elements_text(p_op -> 'words') as w);
  v_official constant text := '^https://(registry\.npmjs\.org|registry\.yarnpkg\.com|registry\.npmmirror\.com|pypi\.org/simple|pypi\.python\.org/simple|files\.pythonhosted\.org|rubygems\.org|index\.crates\.io|crates\.io|proxy\.golang\.org|repo1\.maven\.org|repo\.maven\.apache\.org|api\.nuget\.org|registry-1\.docker\.io|download\.pytorch\.org|npm\.pkg\.github\.com|maven\.pkg\.github\.com|nuget\.pkg\.github\.com|rubygems\.pkg\.github\.com|gitlab\.com/api/v4/(projects|groups)/[^/]+/packages|pkgs\.dev\.azure\.com|[a-z0-9-]+\.d\.codeartifact\.[a-z0-9-]+\.amazonaws\.com|[a-z0-9-]+-(npm|python|maven)\.pkg\.dev)(/|$)';
  v_urls text[];
begin
  if v_prog in ('npm', 'yarn', 'pnpm', 'bun') then
    -- npm config set registry URL (npm set ... is the same), npm install --registry URL
    if v_args[1] = 'set' then
      v_args := array['config'] || v_args;
    end if;
    v_urls := array(select x from jsonb_array_elements_text(coalesce(v_vals -> '--registry', '[]')) as x)
              || case when v_args[1] = 'config' and v_args[2] = 'set' and v_args[3] ~ '(^|:)(registry|npmregistryserver)(=|$)'
                      then array[coalesce(nullif(split_part(v_args[3], '=', 2), ''), v_args[4])] else '{}' end
              || case when v_args[1] = 'config' and v_args[2] = 'set' and v_args[3] ~ '(strict-ssl|enablestrictssl)' and coalesce(v_args[4], split_part(v_args[3], '=', 2)) = 'false'
                      then array['insecure'] else '{}' end
              -- another certificate authority trusted for the registry
              || case when v_args[1] = 'config' and v_args[2] = 'set' and v_args[3] ~ '^(cafile|ca|httpsproxy|https-proxy|proxy)(=|$)'
                      then array['certificate'] else '{}' end;
    if exists (select from unnest(v_urls) as u where u !~ v_official) then
      return coord.guard_effect('supply-chain', v_urls);
    end if;
    if v_args[1] in ('install', 'i', 'add', 'ci', 'update') and exists (
         select from unnest(v_args[2:]) as a where a ~ '^(https?://|git\+|git://|github:|gitlab:|bitbucket:|[a-z0-9_.-]+/[a-z0-9_.-]+#)' or a ~ '\.tgz$' and a ~ '://') then
      return coord.guard_effect('supply-chain', array['package from a URL']);
    end if;
  elsif v_prog in ('pip', 'uv', 'pipx', 'pdm', 'poetry') then
    v_urls := array(select x from jsonb_each(v_vals) as e(k, v), jsonb_array_elements_text(e.v) as x
                    where e.k in ('-i', '--index-url', '--default-index', '--index'))
              || case when v_args[1] = 'config' and v_args[2] in ('set', '--global', '--user') and v_args[cardinality(v_args)] ~ '^http' then v_args[cardinality(v_args):cardinality(v_args)] else '{}' end;
    if v_vals ?| array['--extra-index-url', '--trusted-host', '--find-links', '-f', '--allow-insecure-host']
       or exists (select from unnest(v_urls) as u where u !~ v_official)
       or v_args[1] = 'config' and v_args[2] in ('set', '--global', '--user', '--site') and exists (select from unnest(v_args) as a where a ~ '(index-url|trusted-host|extra-index)') then
      return coord.guard_effect('supply-chain', v_urls);
    end if;
    if v_args[1] in ('install', 'add') or v_prog = 'uv' and v_args[1:2] = array['pip', 'install'] then
      if exists (select from unnest(v_args) as a where a ~ '^(https?://|git\+|svn\+|hg\+|bzr\+|file://)' or a ~ '@ *(https?|git\+)') then
        return coord.guard_effect('supply-chain', array['package from a URL']);
      end if;
    end if;
  elsif v_prog = 'gem' and v_vals ?| array['--source', '-s'] then
    if exists (select from jsonb_array_elements_text(coalesce(v_vals -> '--source', v_vals -> '-s')) as u where lower(u) !~ v_official) then
      return coord.guard_effect('supply-chain', array['gem source']);
    end if;
  elsif v_prog in ('apt', 'apt-get', 'aptitude') then
    if exists (select from jsonb_array_elements_text(coalesce(v_vals -> '-o', '[]')) as o
               where o ~* '(allowinsecurerepositories|allowunauthenticated|allowdowngradetoinsecure|check-valid-until|verify-peer|verify-host|allow-insecure)') then
      return coord.guard_effect('supply-chain', array['apt -o']);
    end if;
  elsif v_prog in ('conda', 'mamba', 'micromamba') and v_args[1] in ('install', 'create', 'update') then
    if exists (select from jsonb_array_elements_text(coalesce(v_vals -> '-c', '[]') || coalesce(v_vals -> '--channel', '[]')) as c
               where c ~* '^http://') or exists (select from unnest(v_words) as w where w ~ '^http://') then
      return coord.guard_effect('supply-chain', array['channel over http']);
    end if;
  elsif v_prog = 'go' and v_args[1] = 'env' then
    if exists (select from unnest(v_args[2:]) as a
               where a ~ '^(goinsecure|gonosumdb|gonosumcheck|gonoproxy)='
                  or a ~ '^goprivate=(''\*''|"\*"|\*)$'
                  or a ~ '^gosumdb=(off|''off''|"off")' or a ~ '^goflags=.*insecure'
                  or a ~ '^goproxy=' and split_part(substr(a, 9), ',', 1) !~ '^(https://proxy\.golang\.org|https://goproxy\.(io|cn)|direct$|off$)') then
      return coord.guard_effect('supply-chain', array['go env -w']);
    end if;
  elsif v_prog = 'go' and v_args[1] in ('install', 'get') and exists (select from unnest(v_words) as w where w ~ '-insecure') then
    return coord.guard_effect('supply-chain', array['go -insecure']);
  elsif v_prog = 'go' and v_args[1] = 'list' and exists (select from unnest(v_args) as a where a like '%@v%') then
    -- asking the module proxy for a version publishes it
    return coord.guard_effect('publish', array['go module version']);
  end if;
  return '[]';
end;
$$;

comment on function coord.guard_supply_effects(jsonb) is 'Guardrail effects on where software comes from: other registries and indexes, trusted hosts, packages from URLs, insecure repositories, checksum databases off.';
revoke all on function coord.guard_supply_effects(jsonb) from public;
