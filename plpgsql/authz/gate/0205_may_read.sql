-- The read gate for a read that leaves out what the caller may not see instead of refusing
-- (the event stream drops the types whose read action the caller lacks): a boolean, no error.
create or replace function authz.may_read(p_action text, p_resource text default null)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (authz.decide(p_action, p_resource)).allowed;
end;
$$;

comment on function authz.may_read(text, text) is 'Read gate that answers rather than refuses: whether authz.decide allows the read action (api.events_since uses it per event type).';
revoke all on function authz.may_read(text, text) from public;
