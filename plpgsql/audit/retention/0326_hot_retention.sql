-- How long audit events stay in the hot database before a month may be archived. The one
-- place the policy lives; coord audit archive refuses anything younger (CO481).
create or replace function audit.hot_retention()
returns interval
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select interval '90 days'
$$;

comment on function audit.hot_retention() is 'Hot retention of audit events: 90 days. Months ending later than coord.now() minus this cannot be archived.';
revoke all on function audit.hot_retention() from public;
