-- Remembers the decision of the current statement, so events its writes cause (the task
-- transition trigger's) carry the engine and rule that allowed them. Stamped with the
-- statement's start: a later statement (a superuser's direct write) never inherits it, and a
-- value a caller sets by hand is overwritten by the gate before any write of an api call.
create or replace function authz.noted(p_decision authz.decision)
returns authz.decision
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  v_set := pg_catalog.set_config('coord.decision', pg_catalog.array_to_string(array[
    pg_catalog.statement_timestamp()::text, p_decision.allowed::text, p_decision.decision, p_decision.engine,
    p_decision.rule, p_decision.reason], e'\x1f', ''), true);
  return p_decision;
end;
$$;

comment on function authz.noted(authz.decision) is 'Returns p_decision after remembering it for the rest of the current statement (authz.statement_decision).';
revoke all on function authz.noted(authz.decision) from public;
