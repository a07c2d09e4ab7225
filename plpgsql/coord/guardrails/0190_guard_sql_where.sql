-- The WHERE clause of a canonical DELETE or UPDATE (top level only, so a WHERE inside a
-- subquery is not the statement's): the text after WHERE up to RETURNING, ORDER BY, LIMIT or
-- the end; null when the statement has none (WHERE CURRENT OF counts as one).
create or replace function coord.guard_sql_where(p_stmt text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[] := regexp_split_to_array(coalesce(p_stmt, ''), '');
  v_n integer := coalesce(array_length(regexp_split_to_array(coalesce(p_stmt, ''), ''), 1), 0);
  v_depth integer := 0;
  v_i integer := 1;
  v_start integer;
  v_rest text;
begin
  while v_i <= v_n loop
    if c[v_i] = '(' then
      v_depth := v_depth + 1;
    elsif c[v_i] = ')' then
      v_depth := greatest(v_depth - 1, 0);
    elsif v_depth = 0 and c[v_i] = 'W' and (v_i = 1 or c[v_i - 1] = ' ')
          and substr(p_stmt, v_i, 6) = 'WHERE ' then
      v_start := v_i + 6;
      exit;
    end if;
    v_i := v_i + 1;
  end loop;
  if v_start is null then
    return null;
  end if;
  v_rest := substr(p_stmt, v_start);
  -- cut at the first top-level RETURNING / ORDER BY / LIMIT
  v_depth := 0;
  for v_i in 1 .. char_length(v_rest) loop
    if substr(v_rest, v_i, 1) = '(' then
      v_depth := v_depth + 1;
    elsif substr(v_rest, v_i, 1) = ')' then
      v_depth := greatest(v_depth - 1, 0);
    elsif v_depth = 0 and substr(v_rest, v_i, 1) = ' ' and substr(v_rest, v_i) ~ '^ (RETURNING|ORDER BY|LIMIT|OFFSET)( |$)' then
      return btrim(substr(v_rest, 1, v_i - 1));
    end if;
  end loop;
  return btrim(v_rest);
end;
$$;

comment on function coord.guard_sql_where(text) is 'Guardrail SQL: the top-level WHERE clause of a canonical DELETE or UPDATE, or null when there is none.';
revoke all on function coord.guard_sql_where(text) from public;
