-- Id of the named profile of a tenant; CO462 when there is none.
create or replace function coord.profile_id(p_tenant_id uuid, p_name text)
returns uuid
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id uuid;
begin
  select f.id into v_id from coord.profiles as f where f.tenant_id = p_tenant_id and f.name = p_name;
  if v_id is null then
    perform coord.fail('CO462', format('no profile named %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  return v_id;
end;
$$;

comment on function coord.profile_id(uuid, text) is 'Id of the tenant''s profile named p_name, or CO462.';
revoke all on function coord.profile_id(uuid, text) from public;
