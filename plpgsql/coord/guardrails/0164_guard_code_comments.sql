-- Python or JavaScript code without its comments, so that a call written in a comment (# open('x',
-- 'w'), // fs.rmSync(...)) is neither run nor leased. One pass of the regex engine: a string
-- literal (quotes, triple quotes, template literals) is matched first wherever it starts and kept,
-- so a # or // inside one stays, and so is a JavaScript regular expression literal after an
-- operator (/\/\//, /[//]/) and an escaped character; a comment outside them is dropped. Greedy quantifiers only (in
-- one regex PostgreSQL gives every quantifier the greed of the first). Other languages come back
-- unchanged (perl's s#a#b#, ruby's #{...} make # no comment marker there).
create or replace function coord.guard_code_comments(p_lang text, p_code text)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case
    when p_lang = 'python' and strpos(p_code, '#') > 0 then
      regexp_replace(p_code, '(''''''(?:[^''\\]|\\.|''[^'']|''''[^''])*''''''|"""(?:[^"\\]|\\.|"[^"]|""[^"])*"""'
                             '|''(?:[^''\\\n]|\\.)*''|"(?:[^"\\\n]|\\.)*")|#[^\n]*', '\1', 'g')
    when p_lang = 'js' and (strpos(p_code, '//') > 0 or strpos(p_code, '/*') > 0) then
      regexp_replace(p_code, '(''(?:[^''\\\n]|\\.)*''|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|\\.'
                             '|[(,=:[!&|?{};]\s*/(?:[^/*\\\n[]|\\.|\[(?:[^]\\\n]|\\.)*\])(?:[^/\\\n[]|\\.|\[(?:[^]\\\n]|\\.)*\])*/)'
                             '|//[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/',
                     '\1', 'g')
    else p_code end;
$$;

comment on function coord.guard_code_comments(text, text) is 'Python or JavaScript code with its comments removed (string literals kept whole, so a # or // inside one stays): a call in a comment does not run.';
revoke all on function coord.guard_code_comments(text, text) from public;
