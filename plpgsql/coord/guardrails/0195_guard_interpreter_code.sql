-- The code an interpreter is handed on its command line, as [language, code], or null:
-- python -c, perl -e/-E, ruby -e, node/bun -e/--eval/-p, deno eval, php -r, lua/luajit -e,
-- osascript -e (JavaScript with -l JavaScript), Rscript/R -e, julia -e, groovy -e, scala -e,
-- elixir -e, erl -eval, ghc -e, guile -c, jrunscript -e, emacs --eval, and the program of awk
-- and sed (their first operand unless -f names a file).
create or replace function coord.guard_interpreter_code(p_op jsonb)
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_prog text := p_op ->> 'prog';
  v_vals jsonb := coalesce(p_op -> 'vals', '{}');
  v_lang text;
  v_code text;
begin
  v_lang := case v_prog
    when 'python' then 'python' when 'ipython' then 'python' when 'perl' then 'perl' when 'ruby' then 'ruby'
    when 'node' then 'js' when 'bun' then 'js' when 'deno' then 'js' when 'php' then 'php' when 'lua' then 'lua'
    when 'luajit' then 'lua' when 'awk' then 'awk' when 'sed' then 'sed'
    when 'osascript' then case when lower(coalesce(v_vals -> '-l' ->> 0, '')) = 'javascript' then 'js' else 'applescript' end
    when 'rscript' then 'r' when 'r' then 'r' when 'julia' then 'julia' when 'groovy' then 'groovy' when 'scala' then 'scala'
    when 'elixir' then 'elixir' when 'erl' then 'erlang' when 'ghc' then 'haskell' when 'runghc' then 'haskell'
    when 'guile' then 'scheme' when 'racket' then 'scheme' when 'sbcl' then 'lisp' when 'jrunscript' then 'js'
    when 'emacs' then 'elisp' when 'tclsh' then 'tcl' when 'kotlin' then 'kotlin' when 'swift' then 'swift'
    when 'tsx' then 'js' when 'ts-node' then 'js' when 'esno' then 'js' when 'esr' then 'js' when 'nu' then null
    else null end;
  if v_lang is null then
    return null;
  end if;
  if v_lang in ('awk', 'sed') then
    if not (v_vals ?| array['-f', '-e', '--expression']) and jsonb_array_length(p_op -> 'args') > 0 then
      return array[v_lang, p_op -> 'args' ->> 0];
    elsif v_lang = 'sed' and v_vals ? '-e' then
      return array['sed', v_vals -> '-e' ->> 0];
    end if;
    return null;
  end if;
  v_code := coalesce(v_vals -> '-c' ->> 0, v_vals -> '-e' ->> 0, v_vals -> '-E' ->> 0, v_vals -> '--eval' ->> 0,
                     v_vals -> '-p' ->> 0, v_vals -> '--print' ->> 0, v_vals -> '-r' ->> 0, v_vals -> '--execute' ->> 0,
                     case when v_prog = 'deno' and p_op -> 'args' ->> 0 = 'eval' then p_op -> 'args' ->> 1 end,
                     (select w.v from jsonb_array_elements_text(p_op -> 'words') with ordinality as x (w, o),
                             lateral (select p_op -> 'words' ->> (x.o)::integer as v) as w
                      where x.w in ('-eval', '--eval', '-e') limit 1));
  if v_prog = 'ruby' and v_vals ? '-r' and not v_vals ? '-e' then
    return null;
  end if;
  -- the code as written: the parse reads a word that starts with / as a path (// comment ... is
  -- / comment ...), so the word it came from is taken
  if left(v_code, 1) = '/' then
    v_code := coalesce((select r from jsonb_array_elements_text(coalesce(p_op -> 'raw', '[]')) as r
                        where left(r, 1) = '/' and r <> v_code and coord.guard_word(r) = v_code limit 1), v_code);
  end if;
  return case when v_code is null then null else array[v_lang, v_code] end;
end;
$$;

comment on function coord.guard_interpreter_code(jsonb) is 'Guardrail normalizer: [language, code] of an interpreter one-liner (python -c, perl -e, node -e, php -r, julia -e, awk and sed programs, ...), or null.';
revoke all on function coord.guard_interpreter_code(jsonb) from public;
