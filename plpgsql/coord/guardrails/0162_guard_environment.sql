-- Which environment a deployment goes to, from its words and flag values: production when one
-- of them names it (prod, production, prd, live, or a --prod flag), staging when one names a
-- non-production one (staging, dev, test, qa, preview, sandbox, ...), otherwise unknown-env
-- (p_marked: tools used against development every day, where only a named production counts).
create or replace function coord.guard_environment(p_op jsonb, p_marked boolean default false)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when p_op -> 'flags' ?| array['--prod', '--production', '--prodIfUnlocked']
      or exists (select from jsonb_array_elements_text(p_op -> 'words') as w
                 where lower(w) ~ '(^|[^a-z0-9])(prod|production|prd|live|prod-[a-z0-9]+|[a-z0-9]+-prod)([^a-z0-9]|$)')
      then 'production'
    when exists (select from jsonb_array_elements_text(p_op -> 'words') as w
                 where lower(w) ~ '(^|[^a-z0-9])(stag|stage|staging|dev|develop|development|test|testing|qa|uat|preview|sandbox|demo|local|canary|review|ci|feature|tmp|scratch|nonprod|non-prod|integration|int)([^a-z0-9]|$)')
      then 'staging'
    when p_marked then 'staging'
    else 'unknown-env' end;
$$;

comment on function coord.guard_environment(jsonb, boolean) is 'Guardrail targets: production, staging or unknown-env for a deployment command (p_marked: only a named production counts).';
revoke all on function coord.guard_environment(jsonb, boolean) from public;
