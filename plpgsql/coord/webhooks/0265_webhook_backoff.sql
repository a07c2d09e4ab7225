-- How long a failed delivery waits before its next attempt: 10 s after the first failure,
-- doubling each time, at most an hour.
create or replace function coord.webhook_backoff(p_attempts integer)
returns interval
language sql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
  select least(interval '10 seconds' * power(2, greatest(p_attempts, 1) - 1), interval '1 hour');
$$;

comment on function coord.webhook_backoff(integer) is 'Wait before the next attempt after p_attempts failed ones: 10 s, 20 s, 40 s ... at most 1 hour.';
revoke all on function coord.webhook_backoff(integer) from public;
