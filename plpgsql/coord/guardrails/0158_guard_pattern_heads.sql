-- The literal command names a guardrail pattern is anchored on, so a check can skip the
-- pattern for units that start with none of them (PostgreSQL keeps only 32 compiled regular
-- expressions per backend; a tenant has more patterns than that, so every pattern evaluated is
-- compiled again). Sound by construction: heads are returned only for a pattern that begins
-- with ^ followed by a literal (letters, digits, _ and -; no metacharacter, not followed by a
-- quantifier) or by a group of such literals separated by |, and that has no | outside
-- parentheses; every string such a pattern matches starts with one of the heads. For anything
-- else the answer is null: always evaluate.
create or replace function coord.guard_pattern_heads(p_pattern text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[] := regexp_split_to_array(p_pattern, '');
  v_n integer := coalesce(array_length(regexp_split_to_array(p_pattern, ''), 1), 0);
  v_i integer := 1;
  v_depth integer := 0;
  v_m text[];
begin
  if p_pattern is null or p_pattern = '' then
    return null;
  end if;
  while v_i <= v_n loop
    if c[v_i] = '\' then
      v_i := v_i + 2;
      continue;
    elsif c[v_i] = '[' then
      v_i := coord.guard_bracket_end(c, v_i);
    elsif c[v_i] = '(' then
      v_depth := v_depth + 1;
    elsif c[v_i] = ')' then
      v_depth := v_depth - 1;
    elsif c[v_i] = '|' and v_depth = 0 then
      return null;
    end if;
    v_i := v_i + 1;
  end loop;
  v_m := regexp_match(p_pattern, '^\^(?:\(([A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*)\)(?![*+?{])|([A-Za-z0-9_-]+)(?![*+?{]))');
  if v_m is null then
    return null;
  end if;
  return string_to_array(coalesce(v_m[1], v_m[2]), '|');
end;
$$;

comment on function coord.guard_pattern_heads(text) is 'Guardrail prefilter: the literal prefixes every match of p_pattern starts with (^rm..., ^(cat|less)...), or null when that cannot be proven (then the pattern is always evaluated).';
revoke all on function coord.guard_pattern_heads(text) from public;
