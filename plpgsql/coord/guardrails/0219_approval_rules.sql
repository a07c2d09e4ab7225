-- What an approval request for a guardrail decision (coord.guard_evaluate) names: the rules that
-- asked (the matches not overridden) and the scopes an auto-approval policy must cover, one
-- guardrail:<category> per category of those rules.
create or replace function coord.approval_rules(p_eval jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_agg(distinct m ->> 'name' order by m ->> 'name'), '{}')
  from jsonb_array_elements(coalesce(p_eval -> 'matches', '[]')) as m
  where not (m ->> 'overridden')::boolean;
$$;

comment on function coord.approval_rules(jsonb) is 'The names of the guardrail rules that asked for approval in a decision of coord.guard_evaluate (matches not overridden).';
revoke all on function coord.approval_rules(jsonb) from public;
