-- Moves rows that landed in a default partition (no monthly partition existed for their time:
-- a missed coord maintain, a clock jump) into monthly partitions, so every month can be
-- archived as a whole. The default is detached and set aside, a fresh default attached, the
-- months it held get their partitions, its rows are copied through the parent, the copy is
-- checked row for row, and only then is the set-aside table dropped. Briefly locks the parent
-- (ACCESS EXCLUSIVE). Admin path only (the superuser); new tables go to coord_owner.
create or replace function audit.rehome_default()
returns setof text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_parent text;
  v_default text;
  v_aside text;
  v_any boolean;
  v_month date;
  v_name text;
  v_missing bigint;
  v_key text;
begin
  foreach v_parent in array array['events', 'chain_links'] loop
    v_default := v_parent || '_default';
    v_aside := v_parent || '_rehoming';
    v_key := case v_parent when 'events' then 'id' else 'event_id' end;
    execute format('select exists (select from audit.%I)', v_default) into v_any;
    continue when not v_any;

    execute format('lock table audit.%I in access exclusive mode', v_parent);
    execute format('alter table audit.%I detach partition audit.%I', v_parent, v_default);
    execute format('alter table audit.%I rename to %I', v_default, v_aside);
    execute format('create table audit.%I partition of audit.%I default', v_default, v_parent);
    execute format('alter table audit.%I owner to coord_owner', v_default);
    perform audit.protect_table(format('audit.%I', v_default)::regclass);

    for v_month in execute format('select distinct date_trunc(''month'', occurred_at)::date from audit.%I', v_aside) loop
      v_name := format('%s_%s', v_parent, to_char(v_month, 'YYYY_MM'));
      if to_regclass(format('audit.%I', v_name)) is null then
        execute format('create table audit.%I partition of audit.%I for values from (%L) to (%L)',
                       v_name, v_parent, v_month::timestamptz, (v_month + interval '1 month')::timestamptz);
        execute format('alter table audit.%I owner to coord_owner', v_name);
        perform audit.protect_table(format('audit.%I', v_name)::regclass);
        return next v_name;
      end if;
    end loop;

    execute format('insert into audit.%I select * from audit.%I', v_parent, v_aside);
    execute format('select count(*) from audit.%I as a where not exists ('
                   'select from audit.%I as p where p.occurred_at = a.occurred_at and p.%I = a.%I '
                   'and p.tableoid <> %L::regclass and row(p.*)::text = row(a.*)::text)',
                   v_aside, v_parent, v_key, v_key, format('audit.%I', v_default))
      into v_missing;
    if v_missing > 0 then
      perform coord.fail('CO486', format('%s rows of %s did not arrive intact', v_missing, v_aside));
    end if;
    execute format('drop table audit.%I', v_aside);
  end loop;
end;
$$;

comment on function audit.rehome_default() is 'Moves rows from audit.events_default and audit.chain_links_default into monthly partitions (verified row for row before the old default is dropped); returns the partitions it created.';
revoke all on function audit.rehome_default() from public;
