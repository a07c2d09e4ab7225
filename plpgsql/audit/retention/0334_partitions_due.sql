-- Whether coord maintain has partition work to do: a monthly events or links partition missing
-- from this month to p_months_ahead ahead, or rows waiting in a default partition. Lets the
-- maintenance loop skip audit.ensure_partitions (whose trigger DDL briefly blocks inserts into
-- the audit log) on the passes where nothing is due. Admin path (the superuser sees every row).
create or replace function audit.partitions_due(p_months_ahead integer default 3)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select exists (
           select
           from pg_catalog.generate_series(date_trunc('month', coord.now()),
                                           date_trunc('month', coord.now() + make_interval(months => p_months_ahead)),
                                           interval '1 month') as m,
                unnest(array['events', 'chain_links']) as parent
           where audit.month_partition(parent, m::date) is null)
      or exists (select from audit.events_default)
      or exists (select from audit.chain_links_default)
$$;

comment on function audit.partitions_due(integer) is 'True when a monthly audit partition is missing up to p_months_ahead or a default partition holds rows: coord maintain then runs audit.ensure_partitions and audit.rehome_default.';
revoke all on function audit.partitions_due(integer) from public;
