-- Admin path (superuser): make a role's defaults exactly p_settings (name=value entries), in
-- every database. Used when a bound login is created and when coord up repairs drift.
create or replace function coord.set_login_defaults(p_role text, p_settings text[])
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_database text;
  v_setting text;
begin
  execute format('alter role %I reset all', p_role);
  for v_database in
    select db.datname::text
    from pg_catalog.pg_db_role_setting as s
    join pg_catalog.pg_roles as r on r.oid = s.setrole
    join pg_catalog.pg_database as db on db.oid = s.setdatabase
    where r.rolname = p_role and s.setdatabase <> 0
  loop
    execute format('alter role %I in database %I reset all', p_role, v_database);
  end loop;
  foreach v_setting in array coalesce(p_settings, '{}') loop
    begin
      execute format('alter role %I set %I to %L', p_role, split_part(v_setting, '=', 1),
                     substr(v_setting, strpos(v_setting, '=') + 1));
    exception when undefined_object or invalid_parameter_value or cant_change_runtime_param then
      perform coord.fail('CO524', format('%s: %s', v_setting, sqlerrm));
    end;
  end loop;
end;
$$;

comment on function coord.set_login_defaults(text, text[]) is 'Admin path: resets every default of the role in every database and sets p_settings (name=value); CO524 for a setting PostgreSQL refuses.';
revoke all on function coord.set_login_defaults(text, text[]) from public;
