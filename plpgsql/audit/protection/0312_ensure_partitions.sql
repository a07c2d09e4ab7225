-- Monthly partitions from last month to p_months_ahead months ahead, each protected, for the
-- events and (same bounds) for their chain links. Run by coord migrate and coord maintain;
-- idempotent. Months whose rows already sit in a default partition are left to
-- audit.rehome_default (run by coord maintain as the superuser).
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
  v_parent text;
begin
  perform audit.protect_table('audit.events'::regclass);
  perform audit.protect_table('audit.events_default'::regclass);
  perform audit.protect_table('audit.chain_links'::regclass);
  perform audit.protect_table('audit.chain_links_default'::regclass);
  perform audit.protect_table('audit.archives'::regclass);
  perform audit.protect_table('audit.restored_events'::regclass);

  for v_parent in select unnest(array['events', 'chain_links']) loop
  for v_month in
    select generate_series(
      date_trunc('month', coord.now() - interval '1 month'),
      date_trunc('month', coord.now() + make_interval(months => p_months_ahead)),
      interval '1 month')::date
  loop
    v_name := format('%s_%s', v_parent, to_char(v_month, 'YYYY_MM'));
    v_partition := to_regclass(format('audit.%I', v_name));
    if v_partition is null then
      -- Rows of this month already in the default partition (a clock jump, a missed maintain)
      -- make the creation fail; the month stays in the default until audit.rehome_default.
      -- (Checked by catching the error: the caller's row security may hide those rows.)
      begin
        execute format(
          'create table audit.%I partition of audit.%I for values from (%L) to (%L)',
          v_name, v_parent, v_month::timestamptz, (v_month + interval '1 month')::timestamptz);
      exception when check_violation then
        continue;
      end;
      v_partition := format('audit.%I', v_name)::regclass;
      return next v_name;
    end if;
    perform audit.protect_table(v_partition);
  end loop;
  end loop;
end;
$$;

comment on function audit.ensure_partitions(integer) is 'Creates and protects monthly audit partitions around coord.now(); returns the names it created.';
revoke all on function audit.ensure_partitions(integer) from public;
