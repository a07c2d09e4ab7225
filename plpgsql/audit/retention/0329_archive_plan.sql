-- The months coord audit archive would retire for --before p_before: every monthly events
-- partition that ends on or before p_before, with its row count. p_before may not be younger
-- than the hot retention (CO481). The admin path runs it as the superuser (all tenants).
create or replace function audit.archive_plan(p_before date)
returns table (month date, partition_name text, events bigint)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_row record;
  v_count bigint;
begin
  if p_before is null or p_before > (coord.now() - audit.hot_retention())::date then
    perform coord.fail('CO481', format('--before %s is later than %s (today minus the hot retention of %s)',
                                       p_before, (coord.now() - audit.hot_retention())::date, audit.hot_retention()));
  end if;
  for v_row in
    select c.relname::text as name, to_date(substring(c.relname from '^events_(\d{4}_\d{2})$'), 'YYYY_MM') as m
    from pg_catalog.pg_inherits as i
    join pg_catalog.pg_class as c on c.oid = i.inhrelid
    where i.inhparent = 'audit.events'::regclass
      and c.relname ~ '^events_\d{4}_\d{2}$'
    order by c.relname
  loop
    continue when (v_row.m + interval '1 month')::date > p_before;
    execute format('select count(*) from audit.%I', v_row.name) into v_count;
    month := v_row.m;
    partition_name := v_row.name;
    events := v_count;
    return next;
  end loop;
end;
$$;

comment on function audit.archive_plan(date) is 'Monthly audit partitions wholly before p_before (which must be at least the hot retention ago, CO481), with their event counts.';
revoke all on function audit.archive_plan(date) from public;
