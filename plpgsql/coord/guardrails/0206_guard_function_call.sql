-- The shell text a call of a function defined in the same text runs: the body's commands (as
-- coord.guard_shell_units collected them: [{"w": words, "r": redirects, "op": operator}]) with
-- the call's arguments put in for the positional parameters ($1..$9, ${1}..${9}, $@, $*,
-- ${@}, ${*}, ${@:N}, $#), shift followed, every argument one word. So f(){ "$@"; }; f rm -rf /
-- is checked as rm -rf /, and f(){ x=$1; $x -rf /; }; f rm as x=rm; $x -rf /. Here-documents
-- are left out (their text was checked where the body stands).
create or replace function coord.guard_function_call(p_body jsonb, p_args text[])
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_args text[] := coalesce(p_args, '{}');
  v_cmd jsonb;
  v_words text[];
  v_line text[];
  v_out text := '';
  v_x text;
  v_all text;
  v_n integer;
  v_i integer;
  v_k integer;
  v_redirect boolean;
begin
  for v_cmd in select jsonb_array_elements(p_body) loop
    v_words := array(select jsonb_array_elements_text(v_cmd -> 'w'));
    if v_words[1] = 'shift' and cardinality(v_words) <= 2 then
      v_n := case when v_words[2] ~ '^[0-9]{1,3}$' then v_words[2]::integer else 1 end;
      v_args := coalesce(v_args[v_n + 1:], '{}');
      continue;
    end if;
    v_all := array_to_string(v_args, ' ');
    v_line := '{}';
    v_n := cardinality(v_words);
    v_words := v_words || array(select r from jsonb_array_elements_text(v_cmd -> 'r') as r where r !~ '^[0-9]*<<');
    for v_i in 1 .. cardinality(v_words) loop
      v_redirect := v_i > v_n;
      v_x := v_words[v_i];
      if v_x in ('$@', '${@}', '$*', '${*}') then
        v_line := v_line || array(select coord.guard_quote(a) from unnest(v_args) with ordinality as x (a, o) order by x.o);
        continue;
      elsif v_x ~ '^\$\{[@*]:[0-9]{1,3}\}$' then
        v_line := v_line || array(select coord.guard_quote(a)
                                  from unnest(v_args[greatest(substring(v_x from ':([0-9]+)')::integer, 1):]) with ordinality as x (a, o)
                                  order by x.o);
        continue;
      end if;
      if strpos(v_x, '$') > 0 then
        v_x := replace(replace(replace(replace(replace(replace(v_x, '${@}', v_all), '${*}', v_all), '$@', v_all), '$*', v_all),
                               '${#}', cardinality(v_args)::text), '$#', cardinality(v_args)::text);
        for v_k in 1 .. 9 loop
          exit when strpos(v_x, '$') = 0;
          v_x := replace(replace(v_x, '${' || v_k || '}', coalesce(v_args[v_k], '')), '$' || v_k, coalesce(v_args[v_k], ''));
        end loop;
      end if;
      -- a redirection keeps its operator bare: >$1 is > FILE
      v_line := v_line || case when v_redirect
                               then substring(v_x from '^[0-9]*[<>&|]+') || coord.guard_quote(regexp_replace(v_x, '^[0-9]*[<>&|]+', ''))
                               else coord.guard_quote(v_x) end;
    end loop;
    continue when cardinality(v_line) = 0;
    v_out := v_out || array_to_string(v_line, ' ')
             || case when v_cmd ->> 'op' in ('|', '&&', '||', '&') then ' ' || (v_cmd ->> 'op') || ' ' else E'\n' end;
  end loop;
  return v_out;
end;
$$;

comment on function coord.guard_function_call(jsonb, text[]) is 'Guardrail normalizer: the shell text a call of a function defined in the same text runs (its body with the call''s arguments as the positional parameters, shift followed).';
revoke all on function coord.guard_function_call(jsonb, text[]) from public;
