-- Removes the coord_test helper schema (tests/sql/coord_test.sql) from a database:
--   psql -X -v ON_ERROR_STOP=1 -d coord -f tests/sql/coord_test_uninstall.sql
-- Object by object, since the audit trail's DDL guard refuses cascading drops in the
-- coordinator database (docs/operations.md, "The DDL guard").
set client_min_messages = warning;
do $$
declare
  v_function regprocedure;
begin
  for v_function in
    select p.oid::regprocedure from pg_proc as p where p.pronamespace = to_regnamespace('coord_test')
  loop
    execute format('drop function %s', v_function);
  end loop;
end;
$$;
drop type if exists coord_test.credentials;
drop schema if exists coord_test;
