-- The scopes an auto-approval policy must cover to approve a guardrail decision: one
-- guardrail:<category> per category of the rules that asked (coord.approval_rules).
create or replace function coord.approval_scopes(p_eval jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_agg(distinct 'guardrail:' || (m ->> 'category') order by 'guardrail:' || (m ->> 'category')), '{}')
  from jsonb_array_elements(coalesce(p_eval -> 'matches', '[]')) as m
  where not (m ->> 'overridden')::boolean;
$$;

comment on function coord.approval_scopes(jsonb) is 'The scopes (guardrail:<category>) an auto-approval policy must cover to approve a guardrail decision of coord.guard_evaluate.';
revoke all on function coord.approval_scopes(jsonb) from public;
