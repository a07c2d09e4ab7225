-- The literal strings a guardrail pattern needs: every match contains one of them, so a check
-- can skip the regex for units that contain none (strpos is cheap; compiling a pattern that
-- fell out of PostgreSQL's 32-entry regex cache is not: a backreference pattern costs ~0.2 ms).
-- Sound by construction: the pattern is split into its top-level alternatives; in each, a run
-- of literal characters outside every group and bracket expression, none of them quantified
-- (the character before *, +, ? or { is dropped from the run), must appear in every match of
-- that alternative; the longest run of each alternative is its needle. Anything this does not
-- read for certain (embedded options, *** directors, an alternative without a literal run,
-- unbalanced parentheses) gives null: always evaluate.
create or replace function coord.guard_pattern_needles(p_pattern text)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[] := regexp_split_to_array(p_pattern, '');
  v_n integer := coalesce(array_length(regexp_split_to_array(p_pattern, ''), 1), 0);
  v_i integer := 1;
  v_depth integer;
  v_run text := '';
  v_best text := '';
  v_needles text[] := '{}';
  v_lit boolean := false;  -- the last token was a literal character of v_run
begin
  if p_pattern is null or p_pattern = '' or p_pattern ~ '^\(\?[a-zA-Z]+\)' or left(p_pattern, 3) = '***' then
    return null;
  end if;
  while v_i <= v_n + 1 loop
    if v_i <= v_n and c[v_i] not in ('*', '+', '?', '{') then
      v_lit := false;
    end if;
    if v_i > v_n or c[v_i] = '|' then
      -- the end of a top-level alternative
      if char_length(v_run) > char_length(v_best) then
        v_best := v_run;
      end if;
      if v_best = '' then
        return null;
      end if;
      v_needles := v_needles || v_best;
      v_run := '';
      v_best := '';
    elsif c[v_i] = '\' then
      if v_i = v_n then
        return null;
      end if;
      v_i := v_i + 1;
      if c[v_i] ~ '[[:alnum:]]' then
        -- a class, constraint or back reference escape: not a literal
        if char_length(v_run) > char_length(v_best) then
          v_best := v_run;
        end if;
        v_run := '';
      else
        v_run := v_run || c[v_i];
        v_lit := true;
      end if;
    elsif c[v_i] in ('*', '+', '?', '{') then
      -- the atom before a quantifier may be absent or repeated: it leaves the run
      if v_lit then
        v_run := left(v_run, -1);
        v_lit := false;
      end if;
      if char_length(v_run) > char_length(v_best) then
        v_best := v_run;
      end if;
      v_run := '';
      if c[v_i] = '{' then
        while v_i <= v_n and c[v_i] <> '}' loop
          v_i := v_i + 1;
        end loop;
        if v_i > v_n then
          return null;
        end if;
      end if;
    elsif c[v_i] in ('(', '[', '.', '^', '$', ')', '}', ']') then
      if char_length(v_run) > char_length(v_best) then
        v_best := v_run;
      end if;
      v_run := '';
      if c[v_i] in (')', '}', ']') then
        return null;
      elsif c[v_i] = '[' then
        v_i := coord.guard_bracket_end(c, v_i);  -- a bracket expression, skipped whole
        if v_i > v_n then
          return null;
        end if;
      elsif c[v_i] = '(' then
        -- a group, skipped whole (its own brackets and escapes included)
        v_depth := 1;
        while v_depth > 0 loop
          v_i := v_i + 1;
          if v_i > v_n then
            return null;
          elsif c[v_i] = '\' then
            v_i := v_i + 1;
          elsif c[v_i] = '[' then
            v_i := coord.guard_bracket_end(c, v_i);
          elsif c[v_i] = '(' then
            v_depth := v_depth + 1;
          elsif c[v_i] = ')' then
            v_depth := v_depth - 1;
          end if;
        end loop;
      end if;
    else
      v_run := v_run || c[v_i];
      v_lit := true;
    end if;
    v_i := v_i + 1;
  end loop;
  return array(select distinct x from unnest(v_needles) as x order by 1);
end;
$$;

comment on function coord.guard_pattern_needles(text) is 'Guardrail prefilter: literal strings one of which every match of p_pattern contains (one per top-level alternative), or null when that cannot be proven (then the pattern is always evaluated).';
revoke all on function coord.guard_pattern_needles(text) from public;
