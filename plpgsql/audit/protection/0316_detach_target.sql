-- The table an ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY | FINALIZE names, from the
-- statement text (current_query(): these forms cannot run inside a transaction block or a
-- function, so the text is the statement itself). Null when the text cannot be read that way;
-- the guard then refuses, as it does for an audit table. Needed because a concurrent detach
-- commits its first step (the partition vanishes from the parent) before ddl_command_end.
create or replace function audit.detach_target(p_query text)
returns regclass
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
begin
  v_name := (pg_catalog.regexp_match(p_query,
    '^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?'
    '((?:"(?:[^"]|"")+"|[^\s".;]+)(?:\.(?:"(?:[^"]|"")+"|[^\s".;]+))?)'
    '\s+detach\s+partition\s+', 'i'))[1];
  if v_name is null then
    return null;
  end if;
  return pg_catalog.to_regclass(v_name);
exception when others then
  return null;
end;
$$;

comment on function audit.detach_target(text) is 'The parent table of an ALTER TABLE ... DETACH PARTITION statement text, or null when it cannot be read; the DDL guard refuses concurrent detaches from audit tables (and unreadable ones) before they start.';
revoke all on function audit.detach_target(text) from public;
