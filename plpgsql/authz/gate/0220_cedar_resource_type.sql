-- The Cedar entity type of an action's resource, by the action's domain: one answer for the
-- shipped schema (authz.cedar_schema) and for the requests authz.cedar_request_parts builds.
create or replace function authz.cedar_resource_type(p_action text)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case pg_catalog.split_part(p_action, '.', 1)
    when 'lock' then 'File'
    when 'network' then 'Domain'
    when 'task' then 'Task'
    when 'skill' then 'Skill'
    else 'Tenant'
  end;
end;
$$;

comment on function authz.cedar_resource_type(text) is 'Cedar resource entity type of an action: File (lock.*), Domain (network.*), Task (task.*), Skill (skill.*), Tenant (the rest).';
revoke all on function authz.cedar_resource_type(text) from public;
