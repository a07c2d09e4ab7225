-- The verification tiers of a task, canonical: known tiers only (CO422), each once, sorted.
create or replace function coord.check_verification_tiers(p_tiers text[])
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bad text;
begin
  if p_tiers is null or cardinality(p_tiers) = 0 then
    return '{}';
  end if;
  perform coord.check_list(p_tiers, 'verify');
  select string_agg(coalesce(pg_catalog.quote_literal(t), 'null'), ', ') into v_bad
  from unnest(p_tiers) as t
  where t is null or t not in ('static', 'unit', 'integration', 'system', 'manual');
  if v_bad is not null then
    perform coord.fail('CO422', format('unknown verification tiers: %s', left(v_bad, 200)));
  end if;
  return array(select distinct t collate "C" from unnest(p_tiers) as t order by 1);
end;
$$;

comment on function coord.check_verification_tiers(text[]) is 'Canonical verification tiers (distinct, sorted; empty for null); CO422 for an unknown tier.';
revoke all on function coord.check_verification_tiers(text[]) from public;
