-- Whether a canonical WHERE clause selects every row: an OR of terms is always true when one
-- term is; an AND of factors when every factor is. Factors that are always true: TRUE, NOT
-- FALSE, 1, a constant comparison of equal literals or numbers ('' = '' after literals are
-- emptied, 1 = 1, 2 > 1), an expression compared with itself (id = id, t.a >= t.a), x IN
-- (SELECT x FROM the same table) without a WHERE of its own, EXISTS of a subquery without
-- WHERE, and a parenthesized clause that is always true; a key compared with 0 (id > 0), LIKE
-- '%', BETWEEN a range wider than any integer key, COALESCE(NULL, TRUE) and 1 IN (1, ...).
-- Anything else may be false.
create or replace function coord.guard_sql_always_true(p_where text, p_table text default null)
returns boolean
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v text := btrim(coalesce(p_where, ''));
  v_terms text[];
  v_term text;
  v_factor text;
  v_all boolean;
  v_m text[];
  v_table text := regexp_replace(coalesce(p_table, ''), '^.*\.', '');
begin
  if v = '' then
    return true;
  end if;
  v_terms := coord.guard_sql_split(v, ' OR ');
  -- x IS NULL OR x IS NOT NULL: one of them holds for every row
  if exists (select from unnest(v_terms) as a, unnest(v_terms) as b
             where btrim(a) ~ ' IS NULL$' and btrim(b) = regexp_replace(btrim(a), ' IS NULL$', ' IS NOT NULL')) then
    return true;
  end if;
  foreach v_term in array v_terms loop
    v_all := true;
    foreach v_factor in array coord.guard_sql_split(v_term, ' AND ') loop
      v_factor := btrim(v_factor);
      if v_factor ~ '^\(.*\)$' and coord.guard_sql_wrapped(v_factor)
         and substr(v_factor, 2, char_length(v_factor) - 2) !~ '^SELECT ' then
        if coord.guard_sql_always_true(substr(v_factor, 2, char_length(v_factor) - 2), p_table) then
          continue;
        end if;
        v_all := false;
        exit;
      end if;
      if v_factor in ('TRUE', 'NOT FALSE', '1', 'NOT NULL IS NULL', 'NULL IS NULL', 'NOT 0', '''''')
         or v_factor ~ '^(''''|-?[0-9.]+) ?(=|<=|>=|IS NOT DISTINCT FROM|LIKE|ILIKE) ?(''''|-?[0-9.]+)$'
            and split_part(regexp_replace(v_factor, ' ?(=|<=|>=|IS NOT DISTINCT FROM|LIKE|ILIKE) ?', '|'), '|', 1)
                = split_part(regexp_replace(v_factor, ' ?(=|<=|>=|IS NOT DISTINCT FROM|LIKE|ILIKE) ?', '|'), '|', 2)
         or v_factor ~ '^-?[0-9.]+ ?(<>|!=|<|>) ?-?[0-9.]+$' and coord.guard_sql_numbers_hold(v_factor)
         or v_factor ~ '^EXISTS ?\(SELECT [^()]*\)$' and v_factor !~ ' WHERE '
         or v_factor ~ '^[A-Z0-9_."]+ IS NOT NULL OR [A-Z0-9_."]+ IS NULL$' then
        continue;
      end if;
      v_m := regexp_match(v_factor, '^(.+?) ?(=|<=|>=|IS NOT DISTINCT FROM) ?(.+)$');
      if v_m is not null and btrim(v_m[1]) = btrim(v_m[3]) and v_m[1] !~ '^\(\)$' then
        continue;
      end if;
      -- x IN (SELECT x FROM the same table [WHERE always true]), x = ANY (SELECT ...)
      v_m := regexp_match(v_factor, '^([A-Z0-9_."]+) (?:IN|= ?ANY) ?\(SELECT (DISTINCT )?([A-Z0-9_."]+) FROM ([A-Z0-9_."]+)( AS)?( [A-Z0-9_]+)?( WHERE (.*))?\)$');
      if v_m is not null and regexp_replace(v_m[1], '^.*\.', '') = regexp_replace(v_m[3], '^.*\.', '')
         and (v_table = '' or regexp_replace(v_m[4], '^.*\.', '') = v_table)
         and (v_m[7] is null or coord.guard_sql_always_true(v_m[8], v_m[4])) then
        continue;
      end if;
      -- a comparison of two literals is constant: nobody writes a false one to delete nothing
      if v_factor ~ '^(''''|-?[0-9.]+|TRUE|FALSE|NULL) ?(=|<>|!=|<|>|<=|>=|IS|IS NOT|IS DISTINCT FROM|LIKE) ?(''''|-?[0-9.]+|TRUE|FALSE|NULL)$' then
        continue;
      end if;
      -- the key is never null and never below zero: id IS NOT NULL, id > 0 hold for every row
      if v_factor ~ '^([A-Z0-9_]+\.)?"?(ID|UUID|PK|[A-Z0-9_]+_ID|OID|CTID|ROWNUM|ROWID|_ROWID_)"? (IS NOT NULL|> ?(0|-[0-9]+)|>= ?(0|1|-[0-9]+)|<> ?-1)$' then
        continue;
      end if;
      -- a pattern that matches everything, a range wider than any key
      if v_factor ~ '^[A-Z0-9_."]+ (LIKE|ILIKE) ''%+''$' then
        continue;
      end if;
      v_m := regexp_match(v_factor, '^[A-Z0-9_."]+ BETWEEN (-?[0-9]{1,30}) AND (-?[0-9]{1,30})$');
      if v_m is not null and v_m[1]::numeric <= 0 and v_m[2]::numeric >= 2147483647 then
        continue;
      end if;
      -- a factor with no column at all (only literals, numbers, functions of them, operators) is
      -- a constant: nobody writes a false one to change nothing
      if regexp_replace(regexp_replace(v_factor, '''''|-?[0-9.]+', '', 'g'), '\m[A-Z_][A-Z0-9_]*\s*\(', '(', 'g')
         !~ '[A-Z_]' or regexp_replace(regexp_replace(v_factor, '''''|-?[0-9.]+', '', 'g'), '\m[A-Z_][A-Z0-9_]*\s*\(', '(', 'g')
         ~ '^[^A-Z]*((TRUE|FALSE|NULL|NOT|AND|OR|IS|IN|LIKE|BETWEEN)[^A-Z]*)*$' then
        continue;
      end if;
      -- constants in disguise: COALESCE(NULL, TRUE), 1 IN (1, 2)
      v_m := regexp_match(v_factor, '^(?:COALESCE|IFNULL|NVL|ISNULL) ?\((?: ?NULL ?,)+ ?([^,()]+)\)$');
      if v_m is not null and coord.guard_sql_always_true(v_m[1], p_table) then
        continue;
      end if;
      v_m := regexp_match(v_factor, '^(-?[0-9.]+|''''|TRUE) IN ?\(([^()]*)\)$');
      if v_m is not null and v_m[1] = any (array(select btrim(x) from unnest(string_to_array(v_m[2], ',')) as x)) then
        continue;
      end if;
      v_all := false;
      exit;
    end loop;
    if v_all then
      return true;
    end if;
  end loop;
  return false;
end;
$$;

comment on function coord.guard_sql_always_true(text, text) is 'Guardrail SQL: true when a canonical WHERE clause cannot be false (TRUE, 1=1, x = x, OR 1=1, x IN (SELECT x FROM the same table), ...).';
revoke all on function coord.guard_sql_always_true(text, text) from public;
