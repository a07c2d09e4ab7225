create or replace function coord.check_memory_tier(p_tier text)
returns coord.memory_tiers
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_tier coord.memory_tiers;
begin
  select t.* into v_tier from coord.memory_tiers as t where t.tier = p_tier;
  if not found then
    perform coord.fail('CO442', format('tier %s', coalesce(pg_catalog.quote_literal(left(p_tier, 100)), 'null')));
  end if;
  return v_tier;
end;
$$;

comment on function coord.check_memory_tier(text) is 'The row of coord.memory_tiers for p_tier; CO442 for anything else.';
revoke all on function coord.check_memory_tier(text) from public;
