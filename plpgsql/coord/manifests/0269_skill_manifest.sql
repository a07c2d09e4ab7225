-- The canonical manifest, or an error naming the first bad entry: a JSON object with only the
-- keys network, files and env (each optional, each an array of at most 200 entries); network
-- and env entries strings, files entries objects with exactly path (string) and access (read
-- or write). Each list comes back sorted and without duplicates; a path named twice keeps its
-- widest access. Raises CO761 (structure), CO762 (paths), CO763 (domains), CO764 (env); writes
-- nothing.
create or replace function coord.skill_manifest(p_manifest jsonb)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text;
  v_entry jsonb;
  v_i integer;
  v_network text[] := '{}';
  v_env text[] := '{}';
  v_files jsonb := '{}';  -- {pattern: access}
  v_path text;
  v_name text;
begin
  if p_manifest is null or jsonb_typeof(p_manifest) <> 'object' then
    perform coord.fail('CO761', format('the manifest is a JSON %s, not an object', coalesce(jsonb_typeof(p_manifest), 'null')));
  end if;
  perform coord.check_json(p_manifest, 'manifest', 262144);
  for v_key in select k from jsonb_object_keys(p_manifest) as k order by k loop
    if v_key not in ('network', 'files', 'env') then
      perform coord.fail('CO761', format('unknown key %s', pg_catalog.quote_literal(left(v_key, 100))));
    end if;
    if jsonb_typeof(p_manifest -> v_key) <> 'array' then
      perform coord.fail('CO761', format('%s is a JSON %s, not an array', v_key, jsonb_typeof(p_manifest -> v_key)));
    end if;
    if jsonb_array_length(p_manifest -> v_key) > 200 then
      perform coord.fail('CO761', format('%s has %s entries', v_key, jsonb_array_length(p_manifest -> v_key)));
    end if;
  end loop;

  for v_entry, v_i in select e, i - 1 from jsonb_array_elements(coalesce(p_manifest -> 'network', '[]')) with ordinality as x (e, i) loop
    if jsonb_typeof(v_entry) <> 'string' then
      perform coord.fail('CO761', format('network[%s] is a JSON %s, not a string', v_i, jsonb_typeof(v_entry)));
    end if;
    v_network := v_network || coord.skill_host_pattern(v_entry #>> '{}', format('network[%s]', v_i));
  end loop;

  for v_entry, v_i in select e, i - 1 from jsonb_array_elements(coalesce(p_manifest -> 'env', '[]')) with ordinality as x (e, i) loop
    if jsonb_typeof(v_entry) <> 'string' then
      perform coord.fail('CO761', format('env[%s] is a JSON %s, not a string', v_i, jsonb_typeof(v_entry)));
    end if;
    v_name := v_entry #>> '{}';
    if v_name !~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$' and v_name !~ '^[A-Za-z_][A-Za-z0-9_]{1,126}\*$' then
      perform coord.fail('CO764', format('env[%s]: %s', v_i, pg_catalog.quote_literal(left(v_name, 200))));
    end if;
    v_env := v_env || v_name;
  end loop;

  for v_entry, v_i in select e, i - 1 from jsonb_array_elements(coalesce(p_manifest -> 'files', '[]')) with ordinality as x (e, i) loop
    if jsonb_typeof(v_entry) <> 'object' then
      perform coord.fail('CO761', format('files[%s] is a JSON %s, not an object {"path": ..., "access": ...}', v_i,
                                         jsonb_typeof(v_entry)));
    end if;
    select k into v_key from jsonb_object_keys(v_entry) as k where k not in ('path', 'access') order by k limit 1;
    if found then
      perform coord.fail('CO761', format('files[%s] has the unknown key %s', v_i, pg_catalog.quote_literal(left(v_key, 100))));
    end if;
    if jsonb_typeof(v_entry -> 'path') is distinct from 'string' then
      perform coord.fail('CO761', format('files[%s].path is %s, not a string', v_i, coalesce(jsonb_typeof(v_entry -> 'path'), 'missing')));
    end if;
    if jsonb_typeof(v_entry -> 'access') is distinct from 'string' or v_entry ->> 'access' not in ('read', 'write') then
      perform coord.fail('CO761', format('files[%s].access is %s, not "read" or "write"', v_i,
                                         coalesce(left((v_entry -> 'access')::text, 100), 'missing')));
    end if;
    v_path := coord.skill_path_pattern(v_entry ->> 'path', format('files[%s].path', v_i));
    if v_files ->> v_path is distinct from 'write' then
      v_files := v_files || jsonb_build_object(v_path, v_entry ->> 'access');
    end if;
  end loop;

  return jsonb_build_object(
    'network', coalesce((select jsonb_agg(distinct n order by n) from unnest(v_network) as n), '[]'),
    'files', coalesce((select jsonb_agg(jsonb_build_object('path', f.key, 'access', f.value) order by f.key collate "C")
                       from jsonb_each_text(v_files) as f), '[]'),
    'env', coalesce((select jsonb_agg(distinct e order by e) from unnest(v_env) as e), '[]'));
end;
$$;

comment on function coord.skill_manifest(jsonb) is 'The canonical manifest {network, files, env} (sorted, deduplicated, patterns canonical), or CO761 (structure: unknown keys, wrong types, over 200 entries), CO762 (file patterns), CO763 (network patterns), CO764 (env names), naming the first bad entry.';
revoke all on function coord.skill_manifest(jsonb) from public;
