-- Validate and insert a batch of task specs (api.submit_task passes a batch of one). Each spec
-- is a JSON object: kind (required), payload, priority, depends_on (task ids, or refs of other
-- items of the batch), run_after, max_attempts, required_trust, unique_key, locks, verify, ref.
-- Unknown or failed dependencies and cycles are errors (nothing is written); a spec whose
-- unique_key matches pending work of its kind returns that task as a duplicate.
create or replace function coord.submit_task_specs(p_me coord.caller, p_specs jsonb)
returns setof api.task_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_now timestamptz := coord.now();
  v_count integer;
  v_spec jsonb;
  v_items jsonb[] := '{}';
  v_refs jsonb := '{}';          -- ref -> batch index (1-based)
  v_ext bigint[] := '{}';        -- every task id named as a dependency
  v_ext_state jsonb := '{}';     -- task id -> state, read under FOR SHARE
  v_order integer[] := '{}';     -- batch indexes in dependency order
  v_placed boolean[];
  v_progress boolean;
  v_ids bigint[];                -- batch index -> task id
  v_duplicate boolean[];        -- batch index -> whether pending work had its unique_key
  v_dep jsonb;
  v_paths text[];
  v_inserted bigint[];
  v_inserted_states text[];      -- as the INSERT returned them, in v_inserted's order
  v_inserted_run_afters timestamptz[];
  v_states text[];               -- batch index -> state and run_after of its task (new or duplicate)
  v_run_afters timestamptz[];
  v_pos integer;
  v_free boolean;
  v_id bigint;
  v_row record;
  i integer;
  v_key text;
  v_submitted api.task_result;
  v_dup api.task_result;
  v_result api.task_result;
begin
  if jsonb_typeof(p_specs) is distinct from 'array' then
    perform coord.fail('CO415', format('tasks is a JSON %s, not an array', coalesce(jsonb_typeof(p_specs), 'null')));
  end if;
  v_count := jsonb_array_length(p_specs);
  if v_count not between 1 and 1000 then
    perform coord.fail('CO415', format('%s tasks in the batch', v_count));
  end if;

  -- 1. Validate each spec into a canonical item.
  for i in 1 .. v_count loop
    v_spec := p_specs -> (i - 1);
    if jsonb_typeof(v_spec) is distinct from 'object' then
      perform coord.fail('CO415', format('item %s is a JSON %s, not an object', i, jsonb_typeof(v_spec)));
    end if;
    -- An item of a kind and a payload only (the common shape: no locks, dependencies,
    -- verification, run_after, ref) needs none of the statements below but the field checks;
    -- it becomes the same canonical item, and fails the same way.
    if (v_spec - 'kind' - 'payload') = '{}' and jsonb_typeof(v_spec -> 'payload') is distinct from 'null' then
      v_spec := v_spec || '{"verify": [], "locks": []}';
      if not v_spec ? 'payload' then
        v_spec := v_spec || '{"payload": {}}';
      end if;
      v_paths := coord.check_task_fields(v_spec ->> 'kind', v_spec -> 'payload', 0, 3, 0, null, '{}');
      v_items := v_items || v_spec;
      continue;
    end if;
    -- JSON nulls mean "default", exactly like omitted keys.
    select coalesce(jsonb_object_agg(e.k, e.v), '{}') into v_spec
    from jsonb_each(v_spec) as e (k, v) where jsonb_typeof(e.v) <> 'null';
    select string_agg(k, ', ') into v_key from jsonb_object_keys(v_spec) as k
    where k not in ('kind', 'payload', 'priority', 'depends_on', 'run_after', 'max_attempts',
                    'required_trust', 'unique_key', 'locks', 'verify', 'ref');
    if v_key is not null then
      perform coord.fail('CO415', format('item %s has unknown keys: %s', i, v_key));
    end if;
    if not v_spec ? 'payload' then
      v_spec := v_spec || '{"payload": {}}';
    end if;
    if coalesce(jsonb_typeof(v_spec -> 'locks'), 'array') <> 'array'
       or coalesce(jsonb_typeof(v_spec -> 'depends_on'), 'array') <> 'array'
       or coalesce(jsonb_typeof(v_spec -> 'verify'), 'array') <> 'array' then
      perform coord.fail('CO415', format('item %s: locks, depends_on and verify are arrays', i));
    end if;
    v_spec := v_spec || jsonb_build_object('verify', to_jsonb(coord.check_verification_tiers(
      array(select jsonb_array_elements_text(coalesce(v_spec -> 'verify', '[]'))))));
    v_paths := coord.check_task_fields(v_spec ->> 'kind', v_spec -> 'payload',
      coalesce((v_spec ->> 'priority')::integer, 0), coalesce((v_spec ->> 'max_attempts')::integer, 3),
      coalesce((v_spec ->> 'required_trust')::integer, 0), v_spec ->> 'unique_key',
      array(select jsonb_array_elements_text(coalesce(v_spec -> 'locks', '[]'))));
    v_spec := v_spec || jsonb_build_object('locks', to_jsonb(v_paths));
    -- PostgreSQL refuses what is not a timestamp at all (22007, 22008); the api's range is ours.
    perform coord.check_timestamp((v_spec ->> 'run_after')::timestamptz, format('item %s: run_after', i));
    if v_spec ? 'ref' then
      if jsonb_typeof(v_spec -> 'ref') <> 'string' or v_refs ? (v_spec ->> 'ref') then
        perform coord.fail('CO415', format('item %s: ref must be a string unique in the batch', i));
      end if;
      v_refs := v_refs || jsonb_build_object(v_spec ->> 'ref', i);
    end if;
    for v_dep in select d from jsonb_array_elements(coalesce(v_spec -> 'depends_on', '[]')) as d loop
      if jsonb_typeof(v_dep) = 'number' then
        v_ext := v_ext || (v_dep #>> '{}')::bigint;
      elsif jsonb_typeof(v_dep) <> 'string' then
        perform coord.fail('CO415', format('item %s: depends_on holds task ids or refs', i));
      end if;
    end loop;
    v_items := v_items || v_spec;
  end loop;

  -- 2. Refs resolve inside the batch; order the batch so prerequisites come first.
  v_placed := array_fill(false, array[v_count]);
  loop
    v_progress := false;
    for i in 1 .. v_count loop
      continue when v_placed[i];
      -- An item without dependencies is placed without a query (most batches have none).
      v_free := coalesce(jsonb_array_length(v_items[i] -> 'depends_on'), 0) = 0;
      if not v_free then
        v_free := not exists (
          select from jsonb_array_elements(v_items[i] -> 'depends_on') as d
          where jsonb_typeof(d) = 'string' and not coalesce(v_placed[(v_refs ->> (d #>> '{}'))::integer], false));
      end if;
      if v_free then
        v_placed[i] := true;
        v_order := v_order || i;
        v_progress := true;
      end if;
    end loop;
    exit when not v_progress;
  end loop;
  if cardinality(v_order) < v_count then
    for i in 1 .. v_count loop
      continue when v_placed[i];
      select string_agg(d #>> '{}', ', ') into v_key
      from jsonb_array_elements(coalesce(v_items[i] -> 'depends_on', '[]')) as d
      where jsonb_typeof(d) = 'string' and not (v_refs ? (d #>> '{}'));
      if v_key is not null then
        perform coord.fail('CO407', format('item %s depends on unknown refs: %s', i, v_key));
      end if;
    end loop;
    select string_agg(coalesce(v_items[g.n] ->> 'ref', '#' || g.n), ', ') into v_key
    from generate_series(1, v_count) as g (n) where not v_placed[g.n];
    perform coord.fail('CO408', format('cycle among: %s', v_key));
  end if;

  -- 3. Existing prerequisites: lock them against concurrent completion or failure until we
  --    commit, so their dependents' counters see this batch.
  if cardinality(v_ext) > 0 then
    select coalesce(jsonb_object_agg(p.id::text, p.state), '{}') into v_ext_state
    from (select t.id, t.state from coord.tasks as t
          where t.tenant_id = p_me.tenant_id and t.id = any (v_ext)
          order by t.id
          for share) as p;
    select string_agg(x::text, ', ') into v_key from unnest(v_ext) as x where not (v_ext_state ? x::text);
    if v_key is not null then
      perform coord.fail('CO407', format('no task %s in this tenant', v_key));
    end if;
    select string_agg(format('%s (%s)', k, v), ', ') into v_key
    from jsonb_each_text(v_ext_state) as e (k, v) where v in ('failed', 'cancelled', 'dead');
    if v_key is not null then
      perform coord.fail('CO419', format('dependencies %s', v_key));
    end if;
  end if;

  -- 4. Insert in dependency order, in one statement (its audit events are written together,
  --    coord.tg_tasks__submitted): each item's id is drawn first, in that order, so the rows
  --    INSERT ... ON CONFLICT DO NOTHING skips (a unique_key pending work of its kind has, or an
  --    earlier item of this batch) are known by the ids missing from what it returns.
  v_ids := array_fill(null::bigint, array[v_count]);
  v_duplicate := array_fill(false, array[v_count]);
  foreach i in array v_order loop
    v_ids[i] := nextval('coord.tasks_id_seq');
  end loop;
  with inserted as (
    insert into coord.tasks (id, tenant_id, kind, payload, priority, pending_deps, run_after, max_attempts,
                             required_trust, unique_key, lock_paths, required_verifications, repository, submitted_by,
                             submitted_at)
    overriding system value
    select v_ids[o.i], p_me.tenant_id, v_items[o.i] ->> 'kind', v_items[o.i] -> 'payload',
           coalesce((v_items[o.i] ->> 'priority')::integer, 0),
           (select count(*) filter (where jsonb_typeof(d) = 'string'
                                       or (v_ext_state ->> (d #>> '{}')) is distinct from 'completed')
            from (select distinct d from jsonb_array_elements(coalesce(v_items[o.i] -> 'depends_on', '[]')) as d) as dd),
           coalesce((v_items[o.i] ->> 'run_after')::timestamptz, v_now),
           coalesce((v_items[o.i] ->> 'max_attempts')::integer, 3), coalesce((v_items[o.i] ->> 'required_trust')::integer, 0),
           v_items[o.i] ->> 'unique_key', array(select jsonb_array_elements_text(v_items[o.i] -> 'locks')),
           array(select jsonb_array_elements_text(v_items[o.i] -> 'verify')),
           coalesce(p_me.repository, 'default'), p_me.principal_id, v_now
    from unnest(v_order) with ordinality as o (i, pos)
    order by o.pos
    on conflict (tenant_id, kind, unique_key) where unique_key is not null and state in ('queued', 'claimed')
    do nothing
    returning id, state, run_after
  )
  select coalesce(array_agg(x.id), '{}'), array_agg(x.state::text), array_agg(x.run_after)
  into v_inserted, v_inserted_states, v_inserted_run_afters
  from inserted as x;

  v_states := array_fill(null::text, array[v_count]);
  v_run_afters := array_fill(null::timestamptz, array[v_count]);
  foreach i in array v_order loop
    -- A new task's state and run_after as the INSERT wrote them: no read again per item.
    v_pos := array_position(v_inserted, v_ids[i]);
    if v_pos is not null then
      v_states[i] := v_inserted_states[v_pos];
      v_run_afters[i] := v_inserted_run_afters[v_pos];
      continue;
    end if;
    select t.id, t.state::text as state, t.run_after into v_row
    from coord.tasks as t
    where t.tenant_id = p_me.tenant_id and t.kind = v_items[i] ->> 'kind' and t.unique_key = v_items[i] ->> 'unique_key'
      and t.state in ('queued', 'claimed')
    for share;
    v_id := v_row.id;
    if v_id is null then
      raise exception using errcode = 'serialization_failure', message = 'transaction conflict, safe to retry',
        detail = 'the pending task with this unique_key finished while submitting', hint = 'retry the call';
    end if;
    v_duplicate[i] := true;
    v_ids[i] := v_id;
    v_states[i] := v_row.state;
    v_run_afters[i] := v_row.run_after;
  end loop;

  -- The dependency edges of the tasks inserted (a ref names its item's task, or the pending task
  -- a duplicate item stands for). None without a task id or a ref named (the common batch): a
  -- dependency on a ref that no item has was refused above.
  if cardinality(v_ext) > 0 or v_refs <> '{}' then
    insert into coord.task_dependencies (tenant_id, task_id, depends_on_id)
    select distinct p_me.tenant_id, v_ids[g.i],
           case when jsonb_typeof(d) = 'number' then (d #>> '{}')::bigint
                else v_ids[(v_refs ->> (d #>> '{}'))::integer] end
    from generate_series(1, v_count) as g (i)
    cross join lateral jsonb_array_elements(coalesce(v_items[g.i] -> 'depends_on', '[]')) as d
    where not v_duplicate[g.i];
  end if;

  -- The results' codes are checked once per call (coord.task_result); each row fills in its own fields.
  v_submitted := coord.task_result('submitted', p_ok => true);
  if v_duplicate @> array[true] then
    v_dup := coord.task_result('duplicate', p_reason => 'a pending task of this kind has this unique_key', p_ok => true);
  end if;
  for i in 1 .. v_count loop
    if v_duplicate[i] then
      perform audit.record('task.submit', 'duplicate', 'task', v_ids[i]::text,
        format('pending task %s already has unique_key %s', v_ids[i], v_items[i] ->> 'unique_key'),
        jsonb_build_object('kind', v_items[i] ->> 'kind', 'unique_key', v_items[i] ->> 'unique_key'));
      v_result := v_dup;
    else
      v_result := v_submitted;
    end if;
    v_result.task_id := v_ids[i];
    v_result.state := v_states[i];
    v_result.run_after := v_run_afters[i];
    if v_items[i] ? 'ref' then
      v_result.details := jsonb_build_object('ref', v_items[i] ->> 'ref');
    end if;
    return next v_result;
  end loop;
end;
$$;

comment on function coord.submit_task_specs(coord.caller, jsonb) is 'Validates a batch of task specs (CO401-CO419), orders it by its internal dependencies, locks existing prerequisites, inserts the tasks and their dependency edges; one result per spec, in input order.';
revoke all on function coord.submit_task_specs(coord.caller, jsonb) from public;
