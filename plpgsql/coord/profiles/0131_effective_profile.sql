-- The profile an agent acts under: its own, else its tenant's default (always set). Operators
-- and auditors are people, not agents: they have none (null). PL/pgSQL: its query is planned
-- once per session (a SQL function with a SET clause is planned on every call). Hot paths
-- fetch it once per call and pass it on (authz.gate's p_profile).
-- Read once per call for the verified caller: the first read appends it to the caller's entry in
-- coord.principal_cache ('+' and the row, '-' for none; see coord.try_principal), later reads in
-- the call (a session's lease floor, a heartbeat, the trust check) parse it from there. The
-- cache is reset on entry to every function a client may execute, so a client's value is never
-- read; a write to a profile, a principal's profile_id or a tenant's default drops the entry
-- (coord.tg_profile_inputs__forget), so a call never acts on a profile it changed.
create or replace function coord.effective_profile(p_me coord.caller)
returns coord.profiles
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile coord.profiles;
  v_cache text;
  v_key text;
  v_tail integer;  -- where the caller's text ends in the entry
  v_set text;  -- assigned, not PERFORMed: an expression, not a query
begin
  if p_me.role is distinct from 'agent' then
    return null;
  end if;
  -- The entry of this vouch, role and tenant, whose caller (its text starts '(' and the id) is p_me.
  v_key := nullif(pg_catalog.current_setting('coord.vouch', true), '') || '|' || pg_catalog.current_setting('role')
           || '|' || p_me.tenant_id::text || '|';
  v_cache := pg_catalog.current_setting('coord.principal_cache', true);
  if pg_catalog.starts_with(v_cache, v_key)
     and pg_catalog.substr(v_cache, pg_catalog.length(v_key) + 11, 36) = p_me.principal_id::text then
    v_tail := pg_catalog.length(v_key) + 10 + pg_catalog.substr(v_cache, pg_catalog.length(v_key) + 1, 8)::integer;
    if pg_catalog.length(v_cache) >= v_tail then
      if pg_catalog.substr(v_cache, v_tail, 1) = '-' then
        return null;
      end if;
      return pg_catalog.substr(v_cache, v_tail + 1)::coord.profiles;
    end if;
  else
    v_tail := null;  -- not the call's caller: read, do not keep
  end if;
  select f.* into v_profile
  from coord.principals as p
  join coord.tenants as n on n.id = p.tenant_id
  join coord.profiles as f on f.tenant_id = p.tenant_id and f.id = coalesce(p.profile_id, n.default_profile_id)
  where p.tenant_id = p_me.tenant_id and p.id = p_me.principal_id;
  if v_tail is not null then
    v_set := pg_catalog.set_config('coord.principal_cache',
      v_cache || case when found then '+' || v_profile::text else '-' end, true);
  end if;
  if not found then
    return null;
  end if;
  return v_profile;
end;
$$;

comment on function coord.effective_profile(coord.caller) is 'Profile of the agent p_me (its own or the tenant default); null for operators and auditors. Read once per call for the verified caller (kept in coord.principal_cache).';
revoke all on function coord.effective_profile(coord.caller) from public;
