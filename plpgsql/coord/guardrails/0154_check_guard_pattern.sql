-- A guardrail pattern must compile as a PostgreSQL ARE (and be at most 2000 characters): a bad
-- regex is CO473 when the rule is stored, never a failure at check time.
create or replace function coord.check_guard_pattern(p_pattern text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_pattern is null or p_pattern = '' or char_length(p_pattern) > 2000 then
    perform coord.fail('CO473', format('the pattern has %s characters (1-2000)', coalesce(char_length(p_pattern), 0)));
  end if;
  begin
    perform '' ~ p_pattern;
  exception when invalid_regular_expression or program_limit_exceeded then
    perform coord.fail('CO473', format('%s: %s', pg_catalog.quote_literal(left(p_pattern, 200)), sqlerrm));
  end;
end;
$$;

comment on function coord.check_guard_pattern(text) is 'CO473 unless p_pattern is a valid PostgreSQL regular expression of 1-2000 characters.';
revoke all on function coord.check_guard_pattern(text) from public;
