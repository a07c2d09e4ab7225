-- Where the bracket expression that opens at p_chars[p_start] ('[') ends: the position of its
-- closing ], or past the end when nothing closes it. A ] right after [ or [^ is a member, and
-- [:class:], [.coll.] and [=equiv=] nest. The guardrail prefilters (guard_pattern_heads,
-- guard_pattern_needles) skip bracket expressions whole with it.
create or replace function coord.guard_bracket_end(p_chars text[], p_start integer)
returns integer
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_n integer := coalesce(array_length(p_chars, 1), 0);
  v_i integer := p_start + 1;
begin
  if p_chars[v_i] = '^' then
    v_i := v_i + 1;
  end if;
  if p_chars[v_i] = ']' then
    v_i := v_i + 1;
  end if;
  while v_i <= v_n and p_chars[v_i] <> ']' loop
    if p_chars[v_i] = '[' and p_chars[v_i + 1] in (':', '.', '=') then
      v_i := v_i + 2;
      while v_i <= v_n and not (p_chars[v_i] in (':', '.', '=') and p_chars[v_i + 1] = ']') loop
        v_i := v_i + 1;
      end loop;
      v_i := v_i + 1;
    end if;
    v_i := v_i + 1;
  end loop;
  return v_i;
end;
$$;

comment on function coord.guard_bracket_end(text[], integer) is 'Guardrail prefilters: the position of the ] closing the bracket expression that opens at p_chars[p_start], or past the end when none closes it ([]...] and [^]...] keep a leading ], [:class:] nests).';
revoke all on function coord.guard_bracket_end(text[], integer) from public;
