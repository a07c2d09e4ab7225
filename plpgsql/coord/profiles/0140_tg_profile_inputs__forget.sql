-- A call keeps its caller's effective profile in coord.principal_cache (coord.effective_profile).
-- A statement that changes what decides a profile (a profile's row, a principal's profile_id, a
-- tenant's default) drops the call's whole entry, so the next check verifies the caller again and
-- the next read of the profile finds the new one. Statement level: one reset per statement, and
-- none for the writes that do not touch these columns (presence, names).
create or replace function coord.tg_profile_inputs__forget()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  v_set := pg_catalog.set_config('coord.principal_cache', '', true);
  return null;
end;
$$;

comment on function coord.tg_profile_inputs__forget() is 'Trigger: drops the call''s cached caller and profile (coord.principal_cache) after a statement changes a profile, a principal''s profile_id or a tenant''s default profile.';
revoke all on function coord.tg_profile_inputs__forget() from public;

create or replace trigger profiles_forget_cached
  after insert or update or delete on coord.profiles
  for each statement execute function coord.tg_profile_inputs__forget();
create or replace trigger principals_forget_cached
  after update of profile_id on coord.principals
  for each statement execute function coord.tg_profile_inputs__forget();
create or replace trigger tenants_forget_cached
  after update of default_profile_id on coord.tenants
  for each statement execute function coord.tg_profile_inputs__forget();
