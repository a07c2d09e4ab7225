-- The monthly partition of audit.events or audit.chain_links that holds p_month, if any.
create or replace function audit.month_partition(p_parent text, p_month date)
returns regclass
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.to_regclass(pg_catalog.format('audit.%I', p_parent || '_' || pg_catalog.to_char(p_month, 'YYYY_MM')))
  where p_parent in ('events', 'chain_links')
$$;

comment on function audit.month_partition(text, date) is 'Monthly partition (events_YYYY_MM or chain_links_YYYY_MM) of p_month, or null.';
revoke all on function audit.month_partition(text, date) from public;
