"""Waiting in tests without sleeping on a guess: on pg_stat_activity in one server-side
statement (wait_on_activity and wait_on_backend, behind tests.conftest.wait_for_backend and
wait_for_backends, and tests.faults.wait_for_backend)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg import sql as pgsql

# pg_stat_activity announces nothing when a backend starts waiting, so a waiter must re-read it.
# The re-reads run on the server in one statement: a plpgsql loop that clears the statistics
# snapshot (a transaction sees one copy of the backend table until it does), tests the predicate,
# and between reads blocks in the server's latch wait for a pause that doubles from 0.1 ms to
# 10 ms. No round trip per read and no busy loop on either side; the pause only bounds how soon
# the wait notices, what a test proves never depends on it.
_ACTIVITY_WAIT = """
declare
  v_deadline timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => {timeout});
  v_pause float8 := 0.0001;
begin
  loop
    perform pg_catalog.pg_stat_clear_snapshot();
    if ({predicate}) then
      return;
    end if;
    if pg_catalog.clock_timestamp() > v_deadline then
      raise exception 'activity wait timed out' using errcode = 'P0001';
    end if;
    perform pg_catalog.pg_sleep(v_pause);
    v_pause := least(v_pause * 2, 0.01);
  end loop;
end
"""


def wait_on_activity(connect: Callable[[], psycopg.Connection], predicate: str, failure: str, timeout: float) -> None:
    """Block until the SQL predicate over pg_stat_activity holds (on an autocommit connection
    connect() opens), or fail with failure after timeout seconds."""
    body = _ACTIVITY_WAIT.format(timeout=float(timeout), predicate=predicate)  # test-owned text
    with connect() as conn:
        try:
            conn.execute(pgsql.SQL("do {}").format(pgsql.Literal(body)))
        except psycopg.errors.RaiseException as exc:
            raise AssertionError(f"{failure} within {timeout:g} s") from exc


def wait_on_backend(connect: Callable[[], psycopg.Connection], pid: int, condition: str, timeout: float) -> None:
    """Block until pg_stat_activity shows backend pid in the state the SQL predicate describes."""
    predicate = (f"exists (select from pg_catalog.pg_stat_activity where pid = {int(pid)} "
                 f"and coalesce(({condition}), false))")
    wait_on_activity(connect, predicate, f"backend {pid} never reached: {condition}", timeout)
