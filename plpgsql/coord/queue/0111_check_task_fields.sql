-- Validate the fields of one task to submit (registered errors, nothing written) and return
-- its lock paths in canonical form, sorted and without duplicates.
create or replace function coord.check_task_fields(
  p_kind text,
  p_payload jsonb,
  p_priority integer,
  p_max_attempts integer,
  p_required_trust integer,
  p_unique_key text,
  p_locks text[]
)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_paths text[];
  v_valid text;  -- the checks' answer (none): assigned, not PERFORMed (an expression, not a query)
begin
  v_valid := coord.check_kind(p_kind);
  v_valid := coord.check_json(p_payload, 'payload', 65536);
  if p_priority not between -1000 and 1000 then
    perform coord.fail('CO403', format('priority %s', p_priority));
  end if;
  if p_max_attempts not between 1 and 100 then
    perform coord.fail('CO405', format('max_attempts %s', p_max_attempts));
  end if;
  if p_required_trust not between 0 and 4 then
    perform coord.fail('CO409', format('required_trust %s', p_required_trust));
  end if;
  if char_length(p_unique_key) not between 1 and 200 then
    perform coord.fail('CO414', format('unique_key of %s characters', char_length(p_unique_key)));
  end if;
  if cardinality(p_locks) > 64 then
    perform coord.fail('CO417', format('%s lock paths', cardinality(p_locks)));
  end if;
  if cardinality(p_locks) > 0 then
    select array_agg(distinct coord.normalize_path(p) order by coord.normalize_path(p)) into v_paths
    from unnest(p_locks) as p;
  end if;
  return coalesce(v_paths, '{}');
end;
$$;

comment on function coord.check_task_fields(text, jsonb, integer, integer, integer, text, text[]) is 'CO401/CO403/CO404/CO242/CO405/CO409/CO414/CO417 (and CO201-CO206 for lock paths) for a task to submit; returns its canonical, sorted, distinct lock paths.';
revoke all on function coord.check_task_fields(text, jsonb, integer, integer, integer, text, text[]) from public;
