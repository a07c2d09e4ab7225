-- Whether the first parenthesis of a text closes at its last character: (a OR b) is wrapped,
-- (a) = (b) is not.
create or replace function coord.guard_sql_wrapped(p_text text)
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_depth integer := 0;
  v_n integer := char_length(coalesce(p_text, ''));
  v_i integer;
begin
  if left(p_text, 1) <> '(' or right(p_text, 1) <> ')' then
    return false;
  end if;
  for v_i in 1 .. v_n loop
    if substr(p_text, v_i, 1) = '(' then
      v_depth := v_depth + 1;
    elsif substr(p_text, v_i, 1) = ')' then
      v_depth := v_depth - 1;
      if v_depth = 0 and v_i < v_n then
        return false;
      end if;
    end if;
  end loop;
  return v_depth = 0;
end;
$$;

comment on function coord.guard_sql_wrapped(text) is 'Guardrail SQL: true when the whole text is one parenthesized group.';
revoke all on function coord.guard_sql_wrapped(text) from public;
