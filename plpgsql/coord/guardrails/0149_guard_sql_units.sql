-- Guardrail normalizer for SQL: one canonical unit per statement, with its effects
-- (coord.guard_sql_effects).
-- * comments (-- and nested /* */) are removed; string literals become '' (their content is
--   data) except inside a statement that mentions EXECUTE (EXEC, sp_executesql,
--   sp_MSforeachtable), where each literal, all of them joined and a base64 literal decoded are
--   also checked as SQL; literals stay when they are code rather than data (the setting of
--   set_config, an account name, LIKE '%', a backup to NUL); a file path a statement reads or
--   writes (INFILE, BULK, file(), ATTACH, OUTFILE) is classified as a read or write of it;
--   dollar-quoted bodies of DO blocks and functions (after DO, AS or LANGUAGE x) are
--   checked as SQL and become $BODY$, other dollar-quoted strings are literals ('');
-- * statements split at ; outside quotes;
-- * each parenthesized group, innermost first, is checked as a statement of its own (a
--   data-modifying CTE, a subquery) and becomes () in the statement around it, so a WHERE inside
--   a subquery does not count for the outer UPDATE or DELETE;
-- * upper-cased, whitespace collapsed to single spaces, trimmed; leading PL/pgSQL block words
--   (BEGIN, THEN, ELSE, LOOP, IF ... THEN) are dropped so the statement inside is what is matched.
create or replace function coord.guard_sql_units(p_text text, p_depth integer default 0)
returns table (kind text, unit text, effects jsonb, detail jsonb)
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  c text[];
  n integer;
  i integer := 1;
  j integer;
  v_depth integer;
  ch text;
  v_stmt text := '';
  v_lits text[] := '{}';
  v_acc text;
  v_escape boolean;
  v_tag text;
  v_rest text;
  v_pos integer;
  v_s text;
  v_m text[];
  v_x text;
  v_paths jsonb := '[]';
  v_up text;
  v_exec_later boolean := strpos(upper(coalesce(p_text, '')), 'EXEC') > 0 and p_text ~* '\yEXEC(UTE)?\s*\(\s*@';
begin
  if p_depth > 8 then
    return query select 'error'::text, 'SQL nested deeper than 8 levels'::text, '[]'::jsonb, null::jsonb;
    return;
  end if;
  c := string_to_array(coalesce(p_text, '') || E'\n;', null);
  n := array_length(c, 1);
  while i <= n loop
    ch := c[i];
    if ch = '-' and c[i + 1] = '-' then
      while i <= n and c[i] <> E'\n' loop
        i := i + 1;
      end loop;
      v_stmt := v_stmt || ' ';
      continue;
    elsif ch = '/' and c[i + 1] = '*' then
      v_depth := 1;
      i := i + 2;
      while i <= n and v_depth > 0 loop
        if c[i] = '/' and c[i + 1] = '*' then
          v_depth := v_depth + 1;
          i := i + 1;
        elsif c[i] = '*' and c[i + 1] = '/' then
          v_depth := v_depth - 1;
          i := i + 1;
        end if;
        i := i + 1;
      end loop;
      v_stmt := v_stmt || ' ';
      continue;
    elsif ch = '''' then
      v_escape := i > 1 and upper(c[i - 1]) = 'E' and (i = 2 or c[i - 2] !~ '[A-Za-z0-9_]');
      v_acc := '';
      j := i + 1;
      while j <= n loop
        if c[j] = '''' and c[j + 1] = '''' then
          v_acc := v_acc || '''';
          j := j + 2;
        elsif c[j] = '''' then
          exit;
        elsif v_escape and c[j] = '\' then
          v_acc := v_acc || coalesce(c[j + 1], '');
          j := j + 2;
        else
          v_acc := v_acc || c[j];
          j := j + 1;
        end if;
      end loop;
      v_up := upper(v_stmt);
      -- strings of a statement that executes text are SQL; so are the strings a T-SQL batch
      -- keeps in variables for EXEC (@s) later
      if (strpos(v_up, 'EXEC') > 0 or strpos(v_up, 'SP_') > 0)
         and v_up ~ '\y(EXECUTE|EXEC|SP_EXECUTESQL|SP_MSFOREACHTABLE|SP_MSFOREACHDB|SP_PREPEXEC)\y'
         or v_exec_later then
        v_lits := v_lits || v_acc;
      end if;
      -- a file the statement reads or writes: classified like any other path
      v_x := case when v_up like any (array['%INFILE%', '%BULK%', '%FILE%', '%ATTACH%', '%LOAD_EXTENSION%', '%READ_TEXT%', '%READ_BLOB%'])
                  then substring(v_up from '(INFILE|OPENROWSET\s*\(\s*BULK|BULK INSERT \S+ FROM|[^A-Z_]FILE\s*\(|ATTACH( DATABASE)?|LOAD_EXTENSION\s*\(|OUTFILE|DUMPFILE|READ_TEXT\s*\(|READ_BLOB\s*\()\s*$') end;
      if v_x is not null and v_acc ~ '^(/|~|[A-Za-z]:[\\/]|\\\\|\.\.?/)' then
        v_paths := v_paths || coord.guard_effect(case when v_x ~ '^(ATTACH|OUTFILE|DUMPFILE)' then 'write' else 'read' end,
                                                 array[replace(v_acc, '\', '/')]);
        -- a server-side file read by DuckDB's read_text/read_blob is a file outside the database
        if v_x ~ '^READ_' and v_acc ~ '^(/|~|[A-Za-z]:)' then
          v_paths := v_paths || coord.guard_effect('sql-server', array[v_acc]);
        end if;
        -- a "database" attached under another file's name writes whatever the statements put there
        if v_x ~ '^ATTACH' and v_acc !~* '\.(db|sqlite|sqlite3|db3|s3db|sl3|duckdb)$' then
          v_paths := v_paths || coord.guard_effect('sql-server', array[v_acc]);
        end if;
      end if;
      -- which setting set_config changes, the user an account statement names, a LIKE that
      -- matches everything and a backup to nowhere are code, not data
      if strpos(v_up, 'SET_CONFIG') > 0 and v_up ~ 'SET_CONFIG\s*\(\s*$' and v_acc ~ '^[A-Za-z_.]+$'
         or (c[j + 1] = '@' or rtrim(v_up) like any (array['%USER', '%FOR', '%LOGIN', '%ROLE']))
            and v_acc ~ '^[A-Za-z0-9_.$-]{1,63}$'
         or v_acc <> '' and ltrim(v_acc, '%') = '' or upper(v_acc) in ('NUL', '/DEV/NULL') then
        v_stmt := v_stmt || '''' || upper(v_acc) || '''';
      else
        v_stmt := v_stmt || '''''';
      end if;
      i := j + 1;
      continue;
    elsif ch = '"' then
      j := i + 1;
      while j <= n and not (c[j] = '"' and coalesce(c[j + 1], '') <> '"') loop
        j := j + case when c[j] = '"' then 2 else 1 end;
      end loop;
      v_stmt := v_stmt || array_to_string(c[i:j], '');
      i := j + 1;
      continue;
    elsif ch = '$' and (i = 1 or c[i - 1] !~ '[A-Za-z0-9_]') then
      v_rest := array_to_string(c[i:n], '');
      v_tag := substring(v_rest from '^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$');
      if v_tag is not null then
        v_rest := substr(v_rest, char_length(v_tag) + 1);
        v_pos := strpos(v_rest, v_tag);
        if v_pos = 0 then
          v_pos := char_length(v_rest) + 1;
        end if;
        if upper(v_stmt) ~ '(^|[^A-Z0-9_])(AS|DO|LANGUAGE [A-Z0-9_"]+)\s*$' then
          return query select * from coord.guard_sql_units(substr(v_rest, 1, v_pos - 1), p_depth + 1);
          v_stmt := v_stmt || '$BODY$';
        else
          v_stmt := v_stmt || '''''';
        end if;
        i := i + char_length(v_tag) + v_pos - 1 + char_length(v_tag);
        continue;
      end if;
    elsif ch = ';' then
      -- strings a statement executes: each one, all of them joined (concat('DROP ', 'TABLE t')),
      -- and what a base64 string decodes to
      if cardinality(v_lits) > 1 then
        v_lits := v_lits || array_to_string(v_lits, '');
      end if;
      foreach v_x in array v_lits loop
        return query select * from coord.guard_sql_units(v_x, p_depth + 1);
        if v_x ~ '^[A-Za-z0-9+/]{8,}={0,2}$' and char_length(v_x) % 4 = 0 then
          begin
            v_x := convert_from(decode(v_x, 'base64'), 'UTF8');
            return query select * from coord.guard_sql_units(v_x, p_depth + 1);
          exception when others then
            null;
          end;
        end if;
      end loop;
      v_s := v_stmt;
      loop
        exit when strpos(v_s, '(') = 0;
        v_m := regexp_match(v_s, '\(([^()]+)\)');
        exit when v_m is null;
        if btrim(v_m[1]) <> '' then
          v_x := upper(btrim(regexp_replace(v_m[1], '\s+', ' ', 'g')));
          return query select 'sql'::text, v_x, coord.guard_sql_effects(v_x, v_x), null::jsonb;
        end if;
        v_s := regexp_replace(v_s, '\(([^()]+)\)', '()');
      end loop;
      v_s := upper(btrim(regexp_replace(v_s, '\s+', ' ', 'g')));
      -- inside PL/pgSQL bodies a statement may follow block keywords: BEGIN DELETE ..., IF x THEN DROP ...
      loop
        exit when split_part(v_s, ' ', 1) not in ('BEGIN', 'THEN', 'ELSE', 'LOOP', 'DECLARE', 'IF', 'ELSIF', 'WHILE', 'FOR');
        v_x := regexp_replace(v_s, '^(BEGIN|THEN|ELSE|LOOP|DECLARE|(IF|ELSIF|WHILE|FOR) .*? (THEN|LOOP)) (?=.)', '');
        exit when v_x = v_s;
        v_s := v_x;
      end loop;
      if v_s <> '' then
        v_x := upper(btrim(regexp_replace(v_stmt, '\s+', ' ', 'g')));
        return query select 'sql'::text, v_s, coord.guard_sql_effects(v_s, regexp_replace(v_x, '^(BEGIN|THEN|ELSE|LOOP|DECLARE) ', '')) || v_paths, null::jsonb;
      end if;
      v_stmt := '';
      v_lits := '{}';
      v_paths := '[]';
      i := i + 1;
      continue;
    end if;
    v_stmt := v_stmt || ch;
    i := i + 1;
  end loop;
end;
$$;

comment on function coord.guard_sql_units(text, integer) is 'Guardrail normalizer: SQL text -> canonical statements with their effects (comments removed, literals emptied, DO and function bodies and EXECUTE strings checked too, subqueries checked on their own, upper case, single spaces).';
revoke all on function coord.guard_sql_units(text, integer) from public;
