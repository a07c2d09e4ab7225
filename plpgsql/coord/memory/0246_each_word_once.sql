-- A query of all its words with each word once. The planner multiplies the frequencies of the
-- words of an AND, so a word said twice ("queue queue lease") makes a frequent combination look
-- rare, and the index plan it then picks reads every memory that holds the words (tens of
-- milliseconds at a million memories) instead of the latest few. Only plain lists of words are
-- rewritten (the same matches, in another order); phrases, negations and ORs are returned as
-- they are.
create or replace function coord.each_word_once(p_query tsquery)
returns tsquery
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select case when p_query::text ~ '[!|<()]' then p_query
              else (select pg_catalog.string_agg(distinct w, ' & ')
                    from pg_catalog.regexp_split_to_table(p_query::text, ' & ') as w)::tsquery
         end;
$$;

comment on function coord.each_word_once(tsquery) is 'p_query with each word once when it is a plain AND of words (the same matches; the planner''s estimate of an AND multiplies a repeated word); otherwise p_query unchanged. For coord.rank_memories'' candidate queries.';
revoke all on function coord.each_word_once(tsquery) from public;
