-- How a word appears in the canonical form: bare, unless it is empty or holds whitespace, quotes,
-- a backslash or a shell operator character; then single-quoted ('' and 'it'\''s'). So a word
-- that merely contains "rm -rf /" never looks like separate words to a rule.
create or replace function coord.guard_quote(p_word text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select case when p_word = '' then ''''''
              when char_length(translate(p_word, E' \t\n\r\f\v''"\\|&;<>()`', '')) <> char_length(p_word) then '''' || replace(p_word, '''', '''\''''') || ''''
              else p_word end;
$$;

comment on function coord.guard_quote(text) is 'Guardrail normalizer: a word as it appears in canonical text (single-quoted when it holds spaces, quotes or operators).';
revoke all on function coord.guard_quote(text) from public;
