-- Index of the ) that closes the ( at p_open in a character array, skipping quoted text and
-- backslash escapes and counting nested parentheses; 0 when it is never closed.
create or replace function coord.guard_close(p_chars text[], p_open integer)
returns integer
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[] := p_chars;  -- a local copy is held expanded: element access is O(1), on the parameter O(n)
  v_n integer := coalesce(array_length(p_chars, 1), 0);
  v_i integer := p_open + 1;
  v_depth integer := 1;
  v_ch text;
begin
  while v_i <= v_n loop
    v_ch := c[v_i];
    if v_ch = '\' then
      v_i := v_i + 2;
      continue;
    elsif v_ch = '''' then
      v_i := v_i + 1;
      while v_i <= v_n and c[v_i] <> '''' loop
        v_i := v_i + 1;
      end loop;
    elsif v_ch = '"' then
      v_i := v_i + 1;
      while v_i <= v_n and c[v_i] <> '"' loop
        v_i := v_i + case when c[v_i] = '\' then 2 else 1 end;
      end loop;
    elsif v_ch = '(' then
      v_depth := v_depth + 1;
    elsif v_ch = ')' then
      v_depth := v_depth - 1;
      if v_depth = 0 then
        return v_i;
      end if;
    end if;
    v_i := v_i + 1;
  end loop;
  return 0;
end;
$$;

comment on function coord.guard_close(text[], integer) is 'Guardrail normalizer: position of the parenthesis closing the one at p_open (quotes and escapes skipped), or 0.';
revoke all on function coord.guard_close(text[], integer) from public;
