-- Whether a program word is nothing but an expansion whose value the text cannot tell, so that
-- which program runs is not known: a variable the text leaves to what a sourced file, eval or
-- read sets ($NAME, ${NAME}, ${NAME:-word}, ... with NAME or * in p_unknown, as
-- coord.guard_shell_units collects them), or a positional parameter ($@, "$1", ${@:2}), which
-- the shell an agent's command runs in is not given (inside a function body they are the call's
-- arguments: the caller leaves those out, and checks each call with its arguments put in).
-- A $NAME the text does not set at all is the environment's, as $EDITOR is, and not unknown here
-- (coord.guard_dynamic_program).
create or replace function coord.guard_unknown_program(p_word text, p_unknown text[])
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when left(p_word, 1) <> '$' then null
    when p_word ~ '^\$([0-9@*]|\{([0-9]+|[@*])\}|\{[@*]:[0-9]{1,3}\})$' then 'positional'
    when p_word ~ '^\$(\{[A-Za-z_][A-Za-z0-9_]*(:?[-=+?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$'
         and coalesce(p_unknown, '{}') && array['*', substring(p_word from '[A-Za-z_][A-Za-z0-9_]*')] then 'variable'
  end;
$$;

comment on function coord.guard_unknown_program(text, text[]) is 'Guardrail normalizer: positional or variable when a program word is only an expansion the text cannot tell (a positional parameter; a variable named, or * for every variable, in p_unknown: set by a sourced file, eval, read, ...), else null.';
revoke all on function coord.guard_unknown_program(text, text[]) from public;
