-- Jittered exponential backoff after a failed or expired attempt: 2^(attempt-1) seconds,
-- capped at 10 minutes, scaled by a random factor in [0.5, 1) so retries do not stampede.
create or replace function coord.retry_backoff(p_attempt integer)
returns interval
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.make_interval(secs => least(600.0, pg_catalog.power(2.0, greatest(p_attempt - 1, 0)))
                                          * (0.5 + pg_catalog.random() / 2));
$$;

comment on function coord.retry_backoff(integer) is 'Delay before retrying after attempt p_attempt: 2^(attempt-1) s capped at 600 s, times a jitter in [0.5, 1).';
revoke all on function coord.retry_backoff(integer) from public;
