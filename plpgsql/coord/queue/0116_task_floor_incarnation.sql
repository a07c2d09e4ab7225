-- The server run and database a claim floor is valid in. A sequence's value is outside every
-- snapshot: a logical dump reads it after the tasks' snapshot, so a restored floor may lie above
-- tasks that were still ready in the dump. A restore is always another server run or another
-- database, so its floors count for nothing until a claim takes them again at 0.
-- Independent of session settings: the start time as numeric seconds (a timestamp's text follows
-- TimeZone and DateStyle, a float's extra_float_digits), so every session finds the same rows.
create or replace function coord.task_floor_incarnation()
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.extract('epoch', pg_catalog.pg_postmaster_start_time())::text || '/'
         || (select d.oid from pg_catalog.pg_database as d where d.datname = pg_catalog.current_database())::text;
end;
$$;

comment on function coord.task_floor_incarnation() is 'The server run and database a claim floor (coord.task_ready_floors) is valid in: the postmaster''s start time and the database''s oid.';
revoke all on function coord.task_floor_incarnation() from public;
