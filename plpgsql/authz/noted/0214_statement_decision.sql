-- The decision authz.decide took in the current statement, or null.
create or replace function authz.statement_decision()
returns authz.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parts text[] := pg_catalog.string_to_array(pg_catalog.current_setting('coord.decision', true), e'\x1f');
begin
  if coalesce(cardinality(v_parts), 0) <> 6
     or v_parts[1] is distinct from pg_catalog.statement_timestamp()::text then
    return null;
  end if;
  return row(v_parts[2]::boolean, nullif(v_parts[3], ''), nullif(v_parts[4], ''), nullif(v_parts[5], ''),
             nullif(v_parts[6], ''))::authz.decision;
end;
$$;

comment on function authz.statement_decision() is 'The policy decision noted for the current statement (by authz.decide), or null: part of the statement''s context, which audit.record attaches to events written without an explicit decision.';
revoke all on function authz.statement_decision() from public;
