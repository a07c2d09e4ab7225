-- The code an interpreter is handed on its command line, as [language, code], or null:
-- python -c, perl -e/-E, ruby -e, node/bun -e/--eval/-p, deno eval, php -r, lua -e,
-- osascript -e, Rscript -e, and awk's program (its first operand unless -f names a file).
create or replace function coord.guard_interpreter_code(p_op jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when x.lang is null then null
    when x.lang in ('awk', 'sed') then case when not (p_op -> 'vals' ?| array['-f', '-e', '--expression']) and jsonb_array_length(p_op -> 'args') > 0
                                  then array[x.lang, p_op -> 'args' ->> 0]
                                  when x.lang = 'sed' and p_op -> 'vals' ? '-e' then array['sed', p_op -> 'vals' -> '-e' ->> 0] end
    else (select array[x.lang, c] from (select coalesce(
            p_op -> 'vals' -> '-c' ->> 0, p_op -> 'vals' -> '-e' ->> 0, p_op -> 'vals' -> '-E' ->> 0,
            p_op -> 'vals' -> '--eval' ->> 0, p_op -> 'vals' -> '-p' ->> 0, p_op -> 'vals' -> '--print' ->> 0,
            p_op -> 'vals' -> '-r' ->> 0,
            case when p_op ->> 'prog' = 'deno' and p_op -> 'args' ->> 0 = 'eval' then p_op -> 'args' ->> 1 end) as c) as y
          where y.c is not null) end
  from (select case p_op ->> 'prog'
                 when 'python' then 'python' when 'ipython' then 'python' when 'perl' then 'perl'
                 when 'ruby' then 'ruby' when 'node' then 'js' when 'bun' then 'js' when 'deno' then 'js'
                 when 'php' then 'php' when 'lua' then 'lua' when 'awk' then 'awk' when 'sed' then 'sed' when 'osascript' then 'applescript'
                 when 'rscript' then 'r' end as lang) as x;
$$;

comment on function coord.guard_interpreter_code(jsonb) is 'Guardrail normalizer: [language, code] of an interpreter one-liner (python -c, perl -e, node -e, php -r, awk program, ...), or null.';
revoke all on function coord.guard_interpreter_code(jsonb) from public;
