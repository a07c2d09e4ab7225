-- The operations an agent declares in a task result: result.operations, an array of at most
-- 100 entries, each a command string or {"kind": "command"|"sql"|"path", "text": "..."}.
-- Returns them as [{kind, text}]; no operations key means none. Raises CO477 (shape), CO471,
-- CO472 (an entry); writes nothing.
create or replace function coord.guard_operations(p_result jsonb)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ops jsonb;
  v_out jsonb := '[]';
  v_op jsonb;
  v_index integer := 0;
begin
  if p_result is null or jsonb_typeof(p_result) <> 'object' or not p_result ? 'operations' then
    return v_out;
  end if;
  v_ops := p_result -> 'operations';
  if jsonb_typeof(v_ops) <> 'array' or jsonb_array_length(v_ops) > 100 then
    perform coord.fail('CO477', format('result.operations is a %s%s', jsonb_typeof(v_ops),
      case when jsonb_typeof(v_ops) = 'array' then format(' of %s entries', jsonb_array_length(v_ops)) else '' end));
  end if;
  for v_op in select e from jsonb_array_elements(v_ops) as e loop
    if jsonb_typeof(v_op) = 'string' then
      v_op := jsonb_build_object('kind', 'command', 'text', v_op);
    elsif jsonb_typeof(v_op) <> 'object' or jsonb_typeof(v_op -> 'kind') is distinct from 'string'
          or jsonb_typeof(v_op -> 'text') is distinct from 'string'
          or exists (select from jsonb_object_keys(v_op) as k where k not in ('kind', 'text')) then
      perform coord.fail('CO477', format('operation %s is not a string or {kind, text}', v_index));
    end if;
    perform coord.check_operation_input(v_op ->> 'kind', v_op ->> 'text');
    v_out := v_out || jsonb_build_array(v_op);
    v_index := v_index + 1;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_operations(jsonb) is 'The operations declared in a task result ([{kind, text}]; strings are commands). Errors: CO477, CO471, CO472.';
revoke all on function coord.guard_operations(jsonb) from public;
