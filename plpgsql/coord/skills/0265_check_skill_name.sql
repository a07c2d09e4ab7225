-- A skill's name and version as they are stored: a lower-case name, a version MAJOR.MINOR.PATCH.
-- Returns the version as [major, minor, patch] (the order versions grow in). Raises CO760.
create or replace function coord.check_skill_name(p_name text, p_version text)
returns integer[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_.-]{0,62}$' then
    perform coord.fail('CO760', format('name %s', coalesce(pg_catalog.quote_literal(left(p_name, 100)), 'null')));
  end if;
  if p_version is null or p_version !~ '^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$' then
    perform coord.fail('CO760', format('version %s', coalesce(pg_catalog.quote_literal(left(p_version, 100)), 'null')));
  end if;
  return pg_catalog.string_to_array(p_version, '.')::integer[];
end;
$$;

comment on function coord.check_skill_name(text, text) is 'CO760 unless p_name is a skill name (1-63 of a-z 0-9 . _ -) and p_version MAJOR.MINOR.PATCH; returns the version as [major, minor, patch].';
revoke all on function coord.check_skill_name(text, text) from public;
