-- The skill version a reference names in the caller's tenant: name@version exactly, or a bare
-- name for its highest version that is not retired. CO760 for a malformed reference, CO765 when
-- there is no such version; with p_live, CO768 for a retired one (a session cannot start under it).
create or replace function coord.find_skill(p_tenant uuid, p_reference text, p_live boolean default false)
returns coord.skills
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := split_part(p_reference, '@', 1);
  v_version text := nullif(substr(p_reference, char_length(split_part(p_reference, '@', 1)) + 2), '');
  v_row coord.skills;
begin
  if v_version is null then
    perform coord.check_skill_name(v_name, '0.0.0');
    select * into v_row from coord.skills as s
    where s.tenant_id = p_tenant and s.name = v_name
    order by (s.retired_at is null) desc, s.version_key desc
    limit 1;
  else
    perform coord.check_skill_name(v_name, v_version);
    select * into v_row from coord.skills as s
    where s.tenant_id = p_tenant and s.name = v_name and s.version = v_version;
  end if;
  if v_row.id is null then
    perform coord.fail('CO765', format('no skill %s', pg_catalog.quote_literal(left(p_reference, 200))));
  end if;
  if p_live and v_row.retired_at is not null then
    perform coord.fail('CO768', format('%s@%s was retired at %s', v_row.name, v_row.version, v_row.retired_at));
  end if;
  return v_row;
end;
$$;

comment on function coord.find_skill(uuid, text, boolean) is 'The skill version p_reference names in tenant p_tenant (name@version, or name: its highest version not retired, else its highest); CO760 malformed, CO765 unknown, CO768 retired when p_live.';
revoke all on function coord.find_skill(uuid, text, boolean) from public;
