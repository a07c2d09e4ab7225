-- The path a check_operation of kind path names, as a manifest compares it: normalized like a
-- lease path, or null when it is outside the repository (absolute, escaping the root, the root
-- itself, malformed): no manifest covers such a path.
create or replace function coord.skill_path_target(p_text text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_text text := p_text;  -- an operation's text, not a lease path argument: MCP passes it as sent
begin
  return coord.normalize_path(v_text);
exception when sqlstate 'CO201' or sqlstate 'CO202' or sqlstate 'CO203' or sqlstate 'CO204' or sqlstate 'CO205'
                or sqlstate 'CO206' or sqlstate 'CO208' then
  return null;
end;
$$;

comment on function coord.skill_path_target(text) is 'p_text normalized as a repository path (coord.normalize_path), or null when it is outside the repository or malformed.';
revoke all on function coord.skill_path_target(text) from public;
