-- Counts one mutating call of an agent against its calls_per_hour (fixed clock-hour window).
-- False, and nothing counted, when the hour's budget is spent. The row lock serializes only
-- the agent's own concurrent calls, and only for agents that have a budget.
create or replace function coord.count_call(p_me coord.caller, p_limit integer)
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_window timestamptz := date_trunc('hour', coord.now());
  v_calls integer;
begin
  insert into coord.call_counts as c (tenant_id, principal_id, window_start, calls)
  values (p_me.tenant_id, p_me.principal_id, v_window, 1)
  on conflict (principal_id) do update
    set window_start = excluded.window_start,
        calls = case when c.window_start = excluded.window_start then c.calls + 1 else 1 end
    where c.window_start <> excluded.window_start or c.calls < p_limit
  returning c.calls into v_calls;
  return v_calls is not null;
end;
$$;

comment on function coord.count_call(coord.caller, integer) is 'Counts a mutating call against the agent''s hourly budget p_limit; false (and not counted) when spent.';
revoke all on function coord.count_call(coord.caller, integer) from public;
