-- Splits canonical SQL at a separator (' OR ', ' AND ') outside parentheses; BETWEEN x AND y
-- stays one piece.
create or replace function coord.guard_sql_split(p_text text, p_sep text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_out text[] := '{}';
  v_depth integer := 0;
  v_start integer := 1;
  v_i integer := 1;
  v_n integer := char_length(coalesce(p_text, ''));
  v_len integer := char_length(p_sep);
  v_ch text;
  v_between boolean := false;
begin
  while v_i <= v_n loop
    v_ch := substr(p_text, v_i, 1);
    if v_ch = '(' then
      v_depth := v_depth + 1;
    elsif v_ch = ')' then
      v_depth := greatest(v_depth - 1, 0);
    elsif v_depth = 0 and v_ch = ' ' then
      if substr(p_text, v_i, 9) = ' BETWEEN ' then
        v_between := true;
      elsif substr(p_text, v_i, v_len) = p_sep then
        if p_sep = ' AND ' and v_between then
          v_between := false;
        else
          v_out := v_out || substr(p_text, v_start, v_i - v_start);
          v_start := v_i + v_len;
          v_i := v_start;
          continue;
        end if;
      end if;
    end if;
    v_i := v_i + 1;
  end loop;
  return v_out || substr(p_text, v_start);
end;
$$;

comment on function coord.guard_sql_split(text, text) is 'Guardrail SQL: canonical SQL split at a separator outside parentheses (BETWEEN ... AND ... kept whole).';
revoke all on function coord.guard_sql_split(text, text) from public;
