-- Monthly partitions from last month to p_months_ahead months ahead, each protected.
-- Run by coord migrate (and later by coord maintain); idempotent.
create or replace function audit.ensure_partitions(p_months_ahead integer default 3)
returns setof text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_month date;
  v_name text;
  v_partition regclass;
begin
  perform audit.protect_table('audit.events'::regclass);
  perform audit.protect_table('audit.events_default'::regclass);

  for v_month in
    select generate_series(
      date_trunc('month', coord.now() - interval '1 month'),
      date_trunc('month', coord.now() + make_interval(months => p_months_ahead)),
      interval '1 month')::date
  loop
    v_name := format('events_%s', to_char(v_month, 'YYYY_MM'));
    v_partition := to_regclass(format('audit.%I', v_name));
    if v_partition is null then
      -- Rows already in the default partition for this month (a clock jump) block attaching it.
      if exists (
        select from audit.events_default as d
        where d.occurred_at >= v_month and d.occurred_at < (v_month + interval '1 month')
      ) then
        continue;
      end if;
      execute format(
        'create table audit.%I partition of audit.events for values from (%L) to (%L)',
        v_name, v_month::timestamptz, (v_month + interval '1 month')::timestamptz);
      v_partition := format('audit.%I', v_name)::regclass;
      return next v_name;
    end if;
    perform audit.protect_table(v_partition);
  end loop;
end;
$$;

comment on function audit.ensure_partitions(integer) is 'Creates and protects monthly audit partitions around coord.now(); returns the names it created.';
revoke all on function audit.ensure_partitions(integer) from public;
