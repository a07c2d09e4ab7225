-- The shell text a call of a function defined in the same text runs: the body's commands (as
-- coord.guard_shell_units collected them: [{"w": words, "r": redirects, "op": operator}]) with
-- the call's arguments put in for the positional parameters ($1..$9, ${1}..${9}, $@, $*,
-- ${@}, ${*}, ${@:N}, $#: coord.guard_positional), shift followed, every argument one word. So
-- f(){ "$@"; }; f rm -rf /
-- is checked as rm -rf /, and f(){ x=$1; $x -rf /; }; f rm as x=rm; $x -rf /. From a set that
-- gives the positional parameters on, the body is left as written (set line and shift too), and
-- coord.guard_shell_units follows them as it does in any text (f(){ set -- "$@" -v; "$@"; }; f ls
-- is set -- ls -v; "$@"). p_args NULL: the positional parameters are not known, the body is left
-- as written. Here-documents are left out (their text was checked where the body stands).
create or replace function coord.guard_function_call(p_body jsonb, p_args text[])
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_args text[] := p_args;
  v_cmd jsonb;
  v_words text[];
  v_line text[];
  v_out text := '';
  v_x text;
  v_n integer;
  v_i integer;
  v_redirect boolean;
begin
  for v_cmd in select jsonb_array_elements(p_body) loop
    v_words := array(select jsonb_array_elements_text(v_cmd -> 'w'));
    if v_words[1] = 'shift' and cardinality(v_words) <= 2 and v_args is not null then
      v_n := case when v_words[2] ~ '^[0-9]{1,3}$' then v_words[2]::integer else 1 end;
      v_args := coalesce(v_args[v_n + 1:], '{}');
      continue;
    end if;
    v_line := '{}';
    v_n := cardinality(v_words);
    v_words := v_words || array(select r from jsonb_array_elements_text(v_cmd -> 'r') as r where r !~ '^[0-9]*<<');
    for v_i in 1 .. cardinality(v_words) loop
      v_redirect := v_i > v_n;
      v_x := v_words[v_i];
      -- a redirection keeps its operator bare: >$1 is > FILE
      v_line := v_line || case when v_redirect
                               then array[substring(v_x from '^[0-9]*[<>&|]+')
                                          || coord.guard_quote(array_to_string(
                                               case when v_args is null then array[regexp_replace(v_x, '^[0-9]*[<>&|]+', '')]
                                                    else coord.guard_positional(array[regexp_replace(v_x, '^[0-9]*[<>&|]+', '')], v_args) end, ' '))]
                               else array(select coord.guard_quote(a)
                                          from unnest(case when v_args is null then array[v_x]
                                                           else coord.guard_positional(array[v_x], v_args) end) with ordinality as x (a, o)
                                          order by x.o) end;
    end loop;
    -- set -- ...: the positional parameters are the text's own from here (followed by the check)
    -- (set -e, set -o pipefail leave them)
    v_i := (select x.o from unnest(v_words[:v_n]) with ordinality as x (a, o)
            where a not in ('{', '(', 'then', 'else', 'elif', 'do', 'if', 'while', 'until', '!') order by x.o limit 1);
    if v_words[v_i] = 'set' and coord.guard_set_positional(v_words[v_i:v_n]) is not null then
      v_args := null;
    end if;
    continue when cardinality(v_line) = 0;
    v_out := v_out || array_to_string(v_line, ' ')
             || case when v_cmd ->> 'op' in ('|', '&&', '||', '&') then ' ' || (v_cmd ->> 'op') || ' ' else E'\n' end;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_function_call(jsonb, text[]) is 'Guardrail normalizer: the shell text a call of a function defined in the same text runs (its body with the call''s arguments as the positional parameters, shift followed, left as written from a set on or when p_args is null).';
revoke all on function coord.guard_function_call(jsonb, text[]) from public;
