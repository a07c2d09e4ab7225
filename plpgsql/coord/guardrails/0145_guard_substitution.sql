-- A substitution starting at p_at in a character array: $( ... ), ` ... `, <( ... ) or
-- >( ... ). Returns the inner command text (null for arithmetic $(( ... )), which is returned
-- as literal text instead) and the index just after it. An unclosed one runs to the end.
create or replace function coord.guard_substitution(p_chars text[], p_at integer,
                                                    out sub_inner text, out sub_literal text, out sub_next integer)
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[] := p_chars;  -- a local copy is held expanded: element access is O(1), on the parameter O(n)
  v_n integer := coalesce(array_length(p_chars, 1), 0);
  v_close integer;
  v_j integer;
begin
  if c[p_at] = '`' then
    v_j := p_at + 1;
    while v_j <= v_n and c[v_j] <> '`' loop
      v_j := v_j + case when c[v_j] = '\' then 2 else 1 end;
    end loop;
    sub_inner := replace(array_to_string(c[p_at + 1:least(v_j, v_n + 1) - 1], ''), '\`', '`');
    sub_next := v_j + 1;
    return;
  end if;
  -- $( or <( or >(: the parenthesis is at p_at + 1
  v_close := coord.guard_close(c, p_at + 1);
  if v_close = 0 then
    v_close := v_n + 1;
  end if;
  if c[p_at] = '$' and c[p_at + 2] = '(' then
    sub_literal := array_to_string(c[p_at:least(v_close, v_n)], '');
  else
    sub_inner := array_to_string(c[p_at + 2:v_close - 1], '');
  end if;
  sub_next := v_close + 1;
end;
$$;

comment on function coord.guard_substitution(text[], integer) is 'Guardrail normalizer: the command inside $(...), `...`, <(...) or >(...) at p_at, and where scanning resumes.';
revoke all on function coord.guard_substitution(text[], integer) from public;
