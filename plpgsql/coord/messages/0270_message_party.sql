-- One side of an address or of an allowlist rule, as the caller writes it: NAME or agent:NAME
-- (a principal of the tenant), team:NAME (the agents acting under that profile) or * (anyone;
-- as an address, every agent: a broadcast). Principal and profile names have no : or *, so
-- the three forms cannot be confused. Unknown names are errors (CO302, CO462), malformed text
-- is p_code: nothing is written.
create or replace function coord.message_party(p_tenant_id uuid, p_text text, p_code text, p_what text)
returns table (kind text, principal_id uuid, profile_id uuid, name text)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
  v_id uuid;
begin
  if p_text is null or char_length(p_text) not between 1 and 100 then
    perform coord.fail(p_code, format('%s %s', p_what, coalesce(pg_catalog.quote_literal(left(p_text, 100)), 'null')));
  end if;
  if p_text = '*' then
    return query select 'any'::text, null::uuid, null::uuid, null::text;
    return;
  end if;
  if p_text like 'team:%' then
    v_name := substr(p_text, 6);
    return query select 'team'::text, null::uuid, coord.profile_id(p_tenant_id, v_name), v_name;
    return;
  end if;
  v_name := case when p_text like 'agent:%' then substr(p_text, 7) else p_text end;
  if v_name !~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$' then
    perform coord.fail(p_code, format('%s %s', p_what, pg_catalog.quote_literal(p_text)));
  end if;
  select p.id into v_id from coord.principals as p where p.tenant_id = p_tenant_id and p.name = v_name;
  if v_id is null then
    perform coord.fail('CO302', format('no principal named %s', pg_catalog.quote_literal(v_name)));
  end if;
  return query select 'agent'::text, v_id, null::uuid, v_name;
end;
$$;

comment on function coord.message_party(uuid, text, text, text) is 'Reads NAME / agent:NAME (a principal), team:NAME (a profile) or * (anyone) of tenant p_tenant_id: kind agent, team or any with the id. Errors: p_code when malformed (p_what names the argument), CO302 unknown principal, CO462 unknown profile.';
revoke all on function coord.message_party(uuid, text, text, text) from public;
