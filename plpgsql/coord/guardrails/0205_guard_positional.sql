-- Words with the positional parameters p_args put in, as the shell expands them: "$@", $@,
-- "$*", $*, "${@}", "${*}" alone in a word are each argument one word ("$*" is read as "$@", the
-- stricter reading for a program word); "${@:N}" the arguments from the Nth; $1..$9,
-- ${1}..${9}, $@, $*, $# inside a word are put in as text. Used by coord.guard_function_call (a function's call) and
-- coord.guard_shell_units (what set -- and shift set). An argument holding a blank may be split
-- into words by the shell (an unquoted $1, $@) or not (quoted), which the lexer cannot tell: a word
-- that would put one in stays as written, not known (set -- 'rm -rf /'; $1 is no known program),
-- except in eval's words, which eval reads again whole.
create or replace function coord.guard_positional(p_words text[], p_args text[])
returns text[]
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_out text[] := '{}';
  v_all text := array_to_string(p_args, ' ');
  v_x text;
  v_k integer;
  -- eval joins its words and reads them again: whether they were split does not matter there
  v_split boolean := not (p_words[1] = 'eval' or p_words[1] in ('builtin', 'command') and p_words[2] = 'eval')
                     and exists (select from unnest(p_args) as a where a ~ '\s');
begin
  foreach v_x in array coalesce(p_words, '{}') loop
    if v_split and strpos(v_x, '$') > 0 then
      -- (which argument the word puts in is not worked out: any with a blank keeps it as written)
      v_out := v_out || v_x;
    elsif v_x in ('$@', '${@}', '$*', '${*}') then
      v_out := v_out || coalesce(p_args, '{}');
    elsif v_x ~ '^\$\{[@*]:[0-9]{1,3}\}$' then
      v_out := v_out || coalesce(p_args[greatest(substring(v_x from ':([0-9]+)')::integer, 1):], '{}');
    elsif strpos(v_x, '$') > 0 then
      v_x := replace(replace(replace(replace(replace(replace(v_x, '${@}', v_all), '${*}', v_all), '$@', v_all), '$*', v_all),
                             '${#}', coalesce(cardinality(p_args), 0)::text), '$#', coalesce(cardinality(p_args), 0)::text);
      for v_k in 1 .. 9 loop
        exit when strpos(v_x, '$') = 0;
        v_x := replace(replace(v_x, '${' || v_k || '}', coalesce(p_args[v_k], '')), '$' || v_k, coalesce(p_args[v_k], ''));
      end loop;
      v_out := v_out || v_x;
    else
      v_out := v_out || v_x;
    end if;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_positional(text[], text[]) is 'Guardrail normalizer: words with the positional parameters put in ("$@" and ${@:N} one word an argument, $1..$9, $*, $# as text); while an argument holds a blank (split or not, by quotes the lexer drops), words that would put one in stay as written, except eval''s.';
revoke all on function coord.guard_positional(text[], text[]) from public;
