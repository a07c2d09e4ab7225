-- A type filter: event types (lease.taken), families (lease.*) or everything (*, or null),
-- expanded to the types it names. A pattern that names no type is an error: a typo must not
-- become a follower that silently never hears anything.
create or replace function coord.check_event_types(p_types text[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_types text[];
  v_pattern text;
begin
  if p_types is null then
    return (select array_agg(distinct t.event_type order by t.event_type) from coord.event_types as t);
  end if;
  if cardinality(p_types) = 0 or cardinality(p_types) > 50 then
    perform coord.fail('CO650', format('%s types', cardinality(p_types)));
  end if;
  foreach v_pattern in array p_types loop
    if v_pattern is null or v_pattern !~ '^([a-z_]+(\.([a-z_]+|\*))?|\*)$' or not exists (
         select from coord.event_types as t
         where v_pattern = '*' or t.event_type = v_pattern
            or (v_pattern like '%.*' and t.event_type like left(v_pattern, -1) || '%')) then
      perform coord.fail('CO650', format('type %s', coalesce(pg_catalog.quote_literal(left(v_pattern, 100)), 'null')));
    end if;
  end loop;
  select array_agg(distinct t.event_type order by t.event_type) into v_types
  from coord.event_types as t, unnest(p_types) as p (pattern)
  where p.pattern = '*' or t.event_type = p.pattern
     or (p.pattern like '%.*' and t.event_type like left(p.pattern, -1) || '%');
  return v_types;
end;
$$;

comment on function coord.check_event_types(text[]) is 'The event types a filter names (type, family.* or *; null: all), CO650 for a pattern that names none.';
revoke all on function coord.check_event_types(text[]) from public;
