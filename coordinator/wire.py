"""One client call on the wire: libpq's extended protocol, one pipeline, one Sync.

coordinator/client.py sends api.begin_request and the call as two statements and one Sync (one
round trip, one implicit transaction). Through psycopg's cursors and pipeline that exchange cost
about 130 us of client CPU per call, several times what the bytes and the rows cost; this module
speaks to the connection's own libpq handle (``conn.pgconn``, psycopg.pq) instead:

* every statement is prepared once per connection, under a name derived from its text (the
  same text has the same name in every client sharing the connection), by a Parse in the
  pipeline of its first use; later calls send only Bind and Execute;
* a statement counts as prepared only once its Parse has come back: a pipeline that fails
  earlier (a refused token) skips the Parse, and the next call sends it again;
* a connection keeps at most ``MAX_PREPARED`` of them; the least recently used is closed by a
  Close message at the head of the next pipeline;
* a statement the server no longer has (DISCARD ALL or DEALLOCATE sent by someone else: 26000)
  or already has (42P05) fails the call before anything commits (the implicit transaction is
  rolled back whole): the bookkeeping is corrected and the call sent once more;
* a statement whose result type changed under it (a migration replaced the api function or a
  table it reads: 0A000 from the server's plan revalidation) is closed and prepared again the
  same way;
* waiting is psycopg's (``Connection.wait``): interruptible, and Ctrl-C cancels the statement
  on the server and reads the pipeline to its end, as psycopg's own execute does;
* errors are psycopg's exceptions built from the failed result (SQLSTATE, detail, hint), and
  rows are loaded by psycopg's Transformer with the loaders of the context passed in
  (adapt.install's), shaped by any psycopg row factory.

Nothing here decides anything: the statements are the client's (coordinator/sql.py and
coordinator.client.rpc_query), the rules the database's.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as e
from psycopg import generators, pq, waiting
from psycopg.abc import PQGen
from psycopg.adapt import AdaptersMap, Transformer
from psycopg.pq.abc import PGconn, PGresult

MAX_PREPARED = 100  # per connection, as psycopg's own prepared_max

_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_PIPELINE_SYNC = pq.ExecStatus.PIPELINE_SYNC
_BAD = pq.ConnStatus.BAD
_PIPELINE_OFF = pq.PipelineStatus.OFF
_SQLSTATE = pq.DiagnosticField.SQLSTATE
_UNDEFINED_STATEMENT = b"26000"  # invalid_sql_statement_name: no prepared statement of that name
_DUPLICATE_STATEMENT = b"42P05"  # duplicate_prepared_statement
_FEATURE_NOT_SUPPORTED = b"0A000"
_SOURCE_FUNCTION = pq.DiagnosticField.SOURCE_FUNCTION
# Where the server refuses a prepared statement whose result row type changed; the function's
# name, unlike the message, is not translated.
_PLAN_REVALIDATION = b"RevalidateCachedQuery"

# _COMMIT: what the Sync itself answers (the implicit transaction's commit failed), after the
# results of every message sent.
_PARSE, _EXECUTE, _CLOSE, _COMMIT = range(4)


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement the client prepares: its text (parameters $1, $2, ...) and its name."""

    name: bytes
    text: bytes


def statement(text: str) -> Statement:
    """The statement of ``text``, named by its digest (shorter than NAMEDATALEN)."""
    return Statement(b"coord_" + hashlib.sha256(text.encode()).hexdigest()[:32].encode(), text.encode())


class _Prepared:
    """What one connection has prepared, least recently used first, and what to close; and the
    Transformer its rows are loaded with (its loaders cached per column type, as a cursor's)."""

    __slots__ = ("closing", "names", "transformer")

    def __init__(self) -> None:
        self.names: OrderedDict[bytes, None] = OrderedDict()
        self.closing: list[bytes] = []
        self.transformer: tuple[tuple[bytes | None, ...], Transformer] | None = None

    def add(self, name: bytes) -> None:
        self.names[name] = None
        self.names.move_to_end(name)
        while len(self.names) > MAX_PREPARED:
            self.closing.append(self.names.popitem(last=False)[0])


_STATE = "_coord_wire"  # the attribute of a psycopg connection holding its _Prepared


def _prepared(conn: psycopg.Connection[Any]) -> _Prepared:
    """The connection's own: it goes with the connection (a pool's new connection starts empty)."""
    state: _Prepared | None = getattr(conn, _STATE, None)
    if state is None:
        state = _Prepared()
        setattr(conn, _STATE, state)
    return state


class _Resend(Exception):
    """The prepared-statement bookkeeping was wrong and has been corrected: send again."""


def execute(conn: psycopg.Connection[Any], steps: Sequence[tuple[Statement, Sequence[bytes | None]]]) -> PGresult:
    """Execute each (statement, text-format parameters) in one pipeline followed by one Sync on
    ``conn`` (autocommit, idle, not in a psycopg pipeline) and return the last one's result;
    raise psycopg's exception for the first that failed (nothing of the pipeline is committed
    then)."""
    with conn.lock:
        for _ in steps:  # each resend corrects one statement of the call
            try:
                return _execute(conn, steps, resend=True)
            except _Resend:
                continue
        return _execute(conn, steps, resend=False)


async def execute_on_loop(conn: psycopg.Connection[Any],
                          steps: Sequence[tuple[Statement, Sequence[bytes | None]]]) -> PGresult:
    """``execute`` for the running asyncio loop: the pipeline is sent as ``execute`` sends it
    (a few hundred bytes: libpq writes them at once), and its answer is waited for on the loop
    (psycopg's ``wait_async``: a reader on the socket, usually one wait a call) instead of on
    the calling thread. ``conn`` must be the caller's alone (no lock is taken: the loop cannot
    wait for one), autocommit and idle. The caller must let it run to its end: a call given up
    half-way leaves the connection in a pipeline."""
    for _ in steps:  # each resend corrects one statement of the call
        try:
            return await _execute_on_loop(conn, steps, resend=True)
        except _Resend:
            continue
    return await _execute_on_loop(conn, steps, resend=False)


# psycopg's wait_async wakes up this often (seconds) even with nothing to read, only to wait again.
_LOOP_WAIT_INTERVAL = 60.0


async def _execute_on_loop(conn: psycopg.Connection[Any], steps: Sequence[tuple[Statement, Sequence[bytes | None]]],
                           *, resend: bool) -> PGresult:
    prepared, sent, exchange = _send(conn, steps)
    try:
        await waiting.wait_async(exchange.fetch(conn.pgconn), conn.pgconn.socket, interval=_LOOP_WAIT_INTERVAL)
    except BaseException:
        exchange.leave(conn)
        _note(prepared, sent, exchange.results)
        raise
    return _finish(conn, prepared, sent, exchange, resend=resend)


def _execute(conn: psycopg.Connection[Any], steps: Sequence[tuple[Statement, Sequence[bytes | None]]],
             *, resend: bool) -> PGresult:
    prepared, sent, exchange = _send(conn, steps)
    try:
        conn.wait(exchange.fetch(conn.pgconn))
    except BaseException:
        exchange.leave(conn)
        _note(prepared, sent, exchange.results)
        raise
    return _finish(conn, prepared, sent, exchange, resend=resend)


def _send(conn: psycopg.Connection[Any], steps: Sequence[tuple[Statement, Sequence[bytes | None]]],
          ) -> tuple[_Prepared, list[tuple[int, bytes]], _Exchange]:
    """The pipeline of ``steps`` sent up to its Sync (its results not read yet)."""
    pgconn = conn.pgconn
    if pgconn.status == _BAD:
        raise e.OperationalError("the connection is closed")
    prepared = _prepared(conn)
    sent: list[tuple[int, bytes]] = []
    exchange = _Exchange()
    pgconn.enter_pipeline_mode()
    try:
        for name in prepared.closing:
            pgconn.send_close_prepared(name)
            sent.append((_CLOSE, name))
        for stmt, params in steps:
            if stmt.name in prepared.names:
                prepared.names.move_to_end(stmt.name)
            else:
                pgconn.send_prepare(stmt.name, stmt.text)
                sent.append((_PARSE, stmt.name))
            pgconn.send_query_prepared(stmt.name, params)
            sent.append((_EXECUTE, stmt.name))
        pgconn.pipeline_sync()
        exchange.synced = True
    except BaseException:
        exchange.leave(conn)
        _note(prepared, sent, exchange.results)
        raise
    return prepared, sent, exchange


def _finish(conn: psycopg.Connection[Any], prepared: _Prepared, sent: list[tuple[int, bytes]], exchange: _Exchange,
            *, resend: bool) -> PGresult:
    """The last result of a pipeline read to its Sync; the first failure raised (or _Resend)."""
    pgconn = conn.pgconn
    results = exchange.results
    pgconn.exit_pipeline_mode()
    failed = _note(prepared, sent, results)
    if failed is None:
        return results[-1]
    kind, name, result = failed
    sqlstate = result.error_field(_SQLSTATE)
    if resend and kind == _EXECUTE and sqlstate == _UNDEFINED_STATEMENT and name in prepared.names:
        del prepared.names[name]  # deallocated behind the client's back (DISCARD ALL, DEALLOCATE)
        raise _Resend
    if (resend and kind == _EXECUTE and sqlstate == _FEATURE_NOT_SUPPORTED and name in prepared.names
            and result.error_field(_SOURCE_FUNCTION) == _PLAN_REVALIDATION):
        del prepared.names[name]  # its result type changed: close it, then prepare it anew
        prepared.closing.append(name)
        raise _Resend
    if resend and kind == _PARSE and sqlstate == _DUPLICATE_STATEMENT:
        prepared.add(name)  # prepared by an exchange whose results were never read
        raise _Resend
    if not sqlstate and pgconn.status == _BAD:
        raise e.OperationalError(result.get_error_message(pgconn._encoding))
    raise e.error_from_result(result, encoding=pgconn._encoding)


def _note(prepared: _Prepared, sent: list[tuple[int, bytes]],
          results: list[PGresult]) -> tuple[int, bytes, PGresult] | None:
    """Record the Parses and Closes that came back; the first failure (kind, name, result),
    including a commit that failed at the Sync (a result beyond those of the messages sent)."""
    failed = None
    for i, result in enumerate(results):
        kind, name = sent[i] if i < len(sent) else (_COMMIT, b"")
        status = result.status
        if status == _COMMAND_OK:
            if kind == _PARSE:
                prepared.add(name)
            elif kind == _CLOSE:
                prepared.closing.remove(name)
        elif status == _FATAL_ERROR and failed is None:
            failed = (kind, name, result)
    return failed


class _Exchange:
    """The results of one pipeline, read up to its Sync."""

    __slots__ = ("finished", "results", "synced")

    def __init__(self) -> None:
        self.results: list[PGresult] = []
        self.synced = self.finished = False

    def fetch(self, pgconn: PGconn) -> PQGen[None]:
        """Flush, then read one result per message sent, up to the Sync's."""
        yield from generators.send(pgconn)
        while True:
            result = yield from generators.fetch(pgconn)
            if result is None:  # the end of one statement's results
                if pgconn.status == _BAD:
                    raise e.OperationalError("the connection was lost")
                continue
            if result.status == _PIPELINE_SYNC:
                self.finished = True
                return
            self.results.append(result)

    def leave(self, conn: psycopg.Connection[Any]) -> None:
        """After an exception with the pipeline open: read it to its end (the server rolls the
        implicit transaction back) and leave pipeline mode; a connection that cannot is closed,
        as psycopg closes one it cannot bring back."""
        pgconn = conn.pgconn
        if pgconn.status == _BAD or pgconn.pipeline_status == _PIPELINE_OFF:
            return
        try:
            if not self.synced:
                pgconn.pipeline_sync()
                self.synced = True
            if not self.finished:
                conn.wait(self.fetch(pgconn))
            pgconn.exit_pipeline_mode()
        except BaseException:
            conn.close()
            raise


# --- rows -------------------------------------------------------------------------------------------

class _Result:
    """What psycopg's row factories read of a cursor: the result, its encoding, its columns."""

    __slots__ = ("_encoding", "adapters", "connection", "pgresult")

    def __init__(self, pgresult: PGresult, adapters: AdaptersMap, connection: psycopg.Connection[Any]) -> None:
        self.pgresult = pgresult
        self.adapters = adapters
        self.connection = connection
        self._encoding = connection.pgconn._encoding

    @property
    def description(self) -> list[psycopg.Column]:
        return [psycopg.Column(self, i) for i in range(self.pgresult.nfields)]  # type: ignore[arg-type]


# What psycopg's date, time and interval loaders read from the session when they are made:
# TimeZone, DateStyle, IntervalStyle (Loaders.transformer).


class Loaders:
    """The loaders rows are read with: a connection's own, or a copy (``adapters``) with more.

    With the connection's own, one Transformer per connection is kept and reused while the
    session's time zone and styles stay the same (making the loaders again for every call is
    a good part of what a cursor per call costs); loaders registered on the connection after
    its first call are not seen then (the client's connections get theirs before it)."""

    __slots__ = ("adapters", "connection")

    def __init__(self, connection: psycopg.Connection[Any], adapters: AdaptersMap | None = None) -> None:
        self.connection = connection
        self.adapters = connection.adapters if adapters is None else adapters

    def transformer(self) -> Transformer:
        conn = self.connection
        if self.adapters is not conn.adapters:
            return Transformer(self)
        state = _prepared(conn)
        status = conn.pgconn.parameter_status
        styles = (status(b"TimeZone"), status(b"DateStyle"), status(b"IntervalStyle"))
        if state.transformer is None or state.transformer[0] != styles:
            state.transformer = (styles, Transformer(self))
        return state.transformer[1]


def rows(result: PGresult, loaders: Loaders, row_factory: Any) -> list[Any]:
    """The rows of ``result`` (text format) as ``row_factory`` (dict_row, class_row(cls), ...)
    makes them from a cursor holding that result."""
    make_row = row_factory(_Result(result, loaders.adapters, loaders.connection))
    with loaders.connection.lock:  # the connection's Transformer holds one result at a time
        transformer = loaders.transformer()
        transformer.set_pgresult(result)
        return transformer.load_rows(0, result.ntuples, make_row)
