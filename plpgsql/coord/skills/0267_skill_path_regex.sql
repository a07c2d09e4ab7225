-- The regular expression a canonical file pattern stands for: every character but * literal,
-- * any run of characters within one segment, a final /** the directory itself and everything
-- below it.
create or replace function coord.skill_path_regex(p_pattern text)
returns text
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select '^'
    || pg_catalog.replace(
         pg_catalog.regexp_replace(case when right(p_pattern, 3) = '/**' then left(p_pattern, -3) else p_pattern end,
                                   '([^[:alnum:]*])', '\\\1', 'g'),
         '*', '[^/]*')
    || case when right(p_pattern, 3) = '/**' then '(/.*)?' else '' end
    || '$';
$$;

comment on function coord.skill_path_regex(text) is 'The anchored ARE a canonical manifest file pattern stands for (* within a segment, a final /** the directory and everything below it, everything else literal).';
revoke all on function coord.skill_path_regex(text) from public;
