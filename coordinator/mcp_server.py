"""``coord mcp``: the api as an MCP server (the official ``mcp`` SDK), one coord session per connection.

Nothing is decided here. Tools are read from the catalog when a caller first lists them: one
tool per ``api`` function the caller's role may execute (``has_function_privilege``), with the
function's ``COMMENT ON`` as description, its arguments as the input JSON Schema and its result
type as the output schema (sql.MCP_TOOLS states what is left out and why). A call is sent
exactly as the Python client sends it (``coordinator.client``: PostgREST's transaction shape,
``x-coord-token`` and ``x-coord-session``), so the database authenticates, authorizes, audits
and answers; an outcome (granted, busy, denied, ...) is a normal structured result, a registered
error an MCP tool error (``isError``) carrying its code, message and hint.

Sessions: each MCP connection is one coord session. stdio serves one connection per process:
the session starts when the client initializes, is heartbeated in the background at a third of
its ttl, and ends when stdin closes (its leases released, its claims requeued). Over streamable
HTTP every request carries ``Authorization: Bearer <token>`` (a token the database does not
know gets 401; the gate reuses a yes for VERIFIED_FOR seconds, and every tool call is verified
by the database anyway); each MCP session belongs to the principal that opened it (another
principal's request on its id, DELETE included, is answered 404 as if there were none); a coord
session is started for each (MCP session id, principal) on its first request, goes on with the
latest token the principal presents, and is ended by the client's DELETE or when it stays idle,
over a shared connection pool. A token the database refuses on a heartbeat (PT401: revoked or
expired) is never presented again: the session is forgotten (stdio: the server stops). If the
process dies, nothing ends the session: it expires after its ttl and the database's own cleanup
releases and requeues what it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import json
import logging
import os
import re
import select
import signal
import socket
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import mcp_types as types
import psycopg
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import (
    MCP_SESSION_ID_HEADER,
    REQUEST_CANCELLED,
    StreamableHTTPServerTransport,
    check_accept_headers,
)
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from mcp_types.methods import serialize_server_result
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from . import __version__, adapt, outcomes, sql, wire
from .call_threads import CallThreads
from .client import (
    Client,
    FunctionSignature,
    RpcCall,
    check_argument_types,
    load_signatures,
    to_json_value,
    wait_for_approval,
)
from .errors import CoordError, from_psycopg, registered
from .workspace import resolve_path

log = logging.getLogger("coord.mcp")
T = TypeVar("T")

SERVER_NAME = "agent-coordinator"
AGENT_TYPE = "mcp"
DEFAULT_TTL = timedelta(seconds=60)
IDLE_TIMEOUT = 30 * 60.0  # an HTTP connection unused this long is ended (seconds)
# A wait_for_approval tool call waits this long at most (seconds; the database allows 15 minutes),
# on a connection of its own so that the session's heartbeats and other calls go on meanwhile.
APPROVAL_WAIT_MAX = 300.0
VERIFIED_FOR = 2.0  # seconds the HTTP gate trusts its last check of a bearer token (tool calls check anew)
# Open /events streams per principal: each holds a database connection and a thread of its own,
# so one token must not take the server role's connection slots from every tenant's tool calls.
STREAMS_PER_PRINCIPAL = 4

# --- JSON Schema from PostgreSQL types -------------------------------------------------------------

_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "boolean": {"type": "boolean"},
    "smallint": {"type": "integer"},
    "integer": {"type": "integer"},
    "bigint": {"type": "integer"},
    "numeric": {"type": "number"},
    "double precision": {"type": "number"},
    "real": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "timestamp with time zone": {"type": "string", "format": "date-time"},
    "interval": {"type": "string", "format": "duration",
                 "description": "a PostgreSQL interval, e.g. '5 minutes', '90 seconds' or 'PT5M'"},
    "inet": {"type": "string"},
}


def json_shape(argument: str, comment: str) -> str | None:
    """The JSON shape the function's COMMENT ON declares for a jsonb argument, in the words
    "<argument> is a JSON array" or "<argument> is a JSON object" (None: any JSON value). The
    database checks the shape itself; this only tells the caller."""
    match = re.search(rf"\b{re.escape(argument)} is an? JSON (array|object)\b", comment)
    return match.group(1) if match else None


def json_schema(pg_type: str, *, nullable: bool = False, shape: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a PostgreSQL type: intervals and timestamps as strings with their
    format, uuid with its format, jsonb as the shape its function declares (json_shape; else any
    JSON), arrays of their element; a type without a mapping accepts any JSON. Result columns
    are nullable: the catalog records no NOT NULL for composite attributes."""
    if pg_type.endswith("[]"):
        schema: dict[str, Any] = {"type": "array", "items": json_schema(pg_type[:-2])}
    elif pg_type in ("jsonb", "json"):
        schema = {"type": shape} if shape and not nullable else {}
    else:
        schema = dict(_SCALAR_SCHEMAS.get(pg_type, {}))
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


@dataclass(frozen=True)
class ToolSpec:
    """One api function as a tool."""

    signature: FunctionSignature
    read_only: bool
    destructive: bool
    columns: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.signature.name

    def input_schema(self) -> dict[str, Any]:
        sig = self.signature
        properties = {name: json_schema(pg_type, shape=json_shape(name, sig.comment))
                      for name, pg_type in zip(sig.arg_names, sig.arg_types, strict=True)}
        for name in sig.arg_names[len(sig.required):]:
            properties[name] = {**properties[name], "description": "optional: the function's default applies"}
        return {"type": "object", "properties": properties, "required": list(sig.required),
                "additionalProperties": False}

    def row_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {name: json_schema(t, nullable=True) for name, t in self.columns}}

    def output_schema(self) -> dict[str, Any]:
        if self.signature.returns_set:
            return {"type": "object", "properties": {"rows": {"type": "array", "items": self.row_schema()}},
                    "required": ["rows"]}
        return self.row_schema()

    @functools.cached_property
    def listed(self) -> types.Tool:
        """The tool as tools/list lists it, built once."""
        return self.tool()

    def tool(self) -> types.Tool:
        return types.Tool(
            name=self.name, description=self.signature.comment or None, input_schema=self.input_schema(),
            output_schema=self.output_schema(),
            annotations=types.ToolAnnotations(read_only_hint=self.read_only,
                                              destructive_hint=False if self.read_only else self.destructive,
                                              open_world_hint=False))


def load_tools(conn: psycopg.Connection, role: str) -> dict[str, ToolSpec]:
    """The tools of a database role (coord_agent, coord_operator, coord_auditor), from the catalog."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql.MCP_TOOLS, {"role": role}).fetchall()
    tools = {}
    for row in rows:
        signature = FunctionSignature(
            name=row["name"], arg_names=tuple(row["arg_names"]), arg_types=tuple(row["arg_types"]),
            n_defaults=row["n_defaults"], volatile=not row["read_only"], returns_set=row["returns_set"],
            return_type=row["return_type"], comment=row["comment"])
        # destructiveHint: the function can answer an outcome that takes something away
        # (coord.outcome_registry.destructive, mirrored in coordinator.outcomes and checked there).
        destructive = not row["read_only"] and row["name"] in outcomes.DESTRUCTIVE_FUNCTIONS
        tools[row["name"]] = ToolSpec(signature, row["read_only"], destructive,
                                      tuple(zip(row["column_names"], row["column_types"], strict=True)))
    return tools


def database_role(request_role: str) -> str:
    return f"coord_{request_role}"


# --- connections: one for stdio, a pool for HTTP ------------------------------------------------------

class CallCancel:
    """One tool call in flight and what ``notifications/cancelled`` for it does: the database
    statement it runs (on whichever connection it borrowed: ``Connections.borrow``, the loop's)
    is cancelled, and its answer is not sent (the fast path answers REQUEST_CANCELLED instead, as
    the SDK does on the 2025-era wire). The connection is held here only while the call uses it,
    under a lock, so a cancellation never reaches the next call on the same connection."""

    def __init__(self) -> None:
        self.cancelled = False
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        # A wait between statements (LISTEN, Client's wait_for_approval) reads this pair's end,
        # which cancel() writes to: a cancel request reaches only a running statement.
        self._wake: tuple[socket.socket, socket.socket] | None = None

    @contextlib.contextmanager
    def wakeable(self) -> Iterator[int]:
        """A file descriptor that becomes readable once the call is cancelled (at once if it was)."""
        with self._lock:
            self._wake = socket.socketpair()
            if self.cancelled:
                self._wake[1].send(b"x")
        try:
            yield self._wake[0].fileno()
        finally:
            with self._lock:
                for end in self._wake:
                    end.close()
                self._wake = None

    @contextlib.contextmanager
    def using(self, conn: psycopg.Connection) -> Iterator[None]:
        with self._lock:
            if self.cancelled:
                raise psycopg.errors.QueryCanceled("the tool call was cancelled (notifications/cancelled)")
            self._conn = conn
        try:
            yield
        finally:
            with self._lock:
                self._conn = None

    def cancel(self) -> None:
        """Blocks while the cancel request is sent (call it on a worker thread)."""
        with self._lock:
            self.cancelled = True
            if self._conn is not None and not self._conn.closed:
                try:
                    self._conn.cancel_safe(timeout=10)
                except (psycopg.Error, OSError) as exc:  # the call then runs to its end; its answer is still dropped
                    log.warning("cancelling a tool call's statement failed: %s", exc)
            if self._wake is not None:
                self._wake[1].send(b"x")


# The tool call the running request serves (the HTTP fast path sets it; worker threads copy it).
_CALL: contextvars.ContextVar[CallCancel | None] = contextvars.ContextVar("coord_mcp_call", default=None)


def _cancellable(conn: psycopg.Connection) -> contextlib.AbstractContextManager[None]:
    call = _CALL.get()
    return contextlib.nullcontext() if call is None else call.using(conn)


class Connections:
    """Where calls run: ``borrow()`` lends an autocommit connection with the client's loaders.
    With a pool (HTTP), also one connection of the event loop's own (``loop_connection``), for
    tool calls whose answer is waited for on the loop (``Coordinator.call_on_loop``)."""

    def __init__(self, dsn: str, *, pool_size: int | None = None) -> None:
        self.dsn = dsn
        self._pool: Any = None
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        # Opened on a worker thread (open_loop_connection), used by the loop alone, one call at a time.
        self.loop_connection: psycopg.Connection | None = None
        self.loop_connection_busy = False
        self._loop_connection_lock = threading.Lock()
        if pool_size:
            from psycopg_pool import ConnectionPool

            self._pool = ConnectionPool(dsn, min_size=1, max_size=pool_size, open=True,
                                        kwargs={"autocommit": True, "application_name": "coord-mcp"},
                                        configure=adapt.install)
        self.signatures: dict[str, FunctionSignature] = {}
        self.queries: dict[tuple[str, tuple[str, ...]], RpcCall] = {}
        # One Client per connection, kept with it: a call takes the connection's Client and sets
        # its token and session (the request headers' JSON is rendered again only when those change).
        self.clients: weakref.WeakKeyDictionary[psycopg.Connection, Client] = weakref.WeakKeyDictionary()
        self.tools_by_role: dict[str, dict[str, ToolSpec]] = {}

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, application_name="coord-mcp")
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        adapt.install(conn)
        return conn

    @contextlib.contextmanager
    def borrow(self) -> Iterator[psycopg.Connection]:
        if self._pool is not None:
            with self._pool.connection() as conn, _cancellable(conn):
                yield conn
            return
        with self._lock:  # one connection: calls (and heartbeats) take turns
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            with _cancellable(self._conn):
                yield self._conn

    def client(self, conn: psycopg.Connection, token: str, session_id: UUID | None = None) -> Client:
        """The client of a borrowed connection (the one who borrowed it has it alone), calling with
        ``token`` in ``session_id``; it shares the catalog and rendered queries."""
        client = self.clients.get(conn)
        if client is None:
            client = Client(connection=conn, token=token, session_id=session_id, adapted=True)
            if not self.signatures:
                self.signatures.update(load_signatures(conn))
            client._signatures = self.signatures
            client._queries = self.queries
            self.clients[conn] = client
        client.token, client.session_id = token, session_id
        return client

    def tools(self, conn: psycopg.Connection, request_role: str) -> dict[str, ToolSpec]:
        role = database_role(request_role)
        if role not in self.tools_by_role:
            self.tools_by_role[role] = load_tools(conn, role)
        return self.tools_by_role[role]

    def open_loop_connection(self) -> None:
        """Open the event loop's connection (on a worker thread) if there is a pool and it is not
        open: the first call, or after its connection was lost."""
        if self._pool is None or (self.loop_connection is not None and not self.loop_connection.closed):
            return
        with self._loop_connection_lock:
            if self.loop_connection is None or self.loop_connection.closed:
                self.loop_connection = self._connect()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._conn is not None:
            self._conn.close()
        if self.loop_connection is not None:
            self.loop_connection.close()


# --- a coord session per MCP connection -------------------------------------------------------

@dataclass
class CoordSession:
    """One MCP connection's principal and coord session."""

    token: str  # the latest token the connection presented for this principal
    role: str
    principal: str
    principal_id: str
    session_id: UUID | None = None
    ttl: timedelta = DEFAULT_TTL
    last_used: float = field(default_factory=time.monotonic)
    ended: bool = False  # over: it missed its heartbeat, was ended, or its token was refused


@functools.lru_cache(maxsize=1024)
def _digest(token: str) -> str:
    """The SHA-256 of a token, computed once per token (the gate, the session lookup and the
    session key of every request ask for it; the tokens are held in memory by their sessions anyway)."""
    return hashlib.sha256(token.encode()).hexdigest()


# Paths of the repository in tool arguments (as the CLI maps them: lock, check_locks, submit_task --lock;
# and a handoff's relevant files):
# arguments that are a path or a list of paths, and the fields of a batch's items that are (each
# task of submit_tasks has locks, as submit_task has p_locks). tests/test_mcp.py checks that these
# are every argument and field the database reads as paths (coord.normalize_path).
PATH_ARGUMENTS = ("p_path", "p_paths", "p_locks", "p_relevant_files")
PATH_FIELDS_OF_ITEMS = {"p_tasks": ("locks",)}


class Coordinator:
    """The MCP server's side of the database: sessions, tools, calls. Synchronous (psycopg);
    the MCP handlers run it on worker threads."""

    def __init__(self, connections: Connections, *, ttl: timedelta = DEFAULT_TTL, agent_type: str = AGENT_TYPE,
                 capabilities: Sequence[str] = (), heartbeats: Connections | None = None,
                 root: Path | None = None, repository: str | None = None, skill: str | None = None) -> None:
        self.connections = connections
        # stdio: the repository the agent works in; its paths are mapped to it like the CLI's.
        self.root = root
        # The repository sessions start in (--repository, COORD_REPOSITORY; else the token's).
        self.repository = repository or None
        # The skill sessions run under (--skill, COORD_SKILL: name@version): held to its manifest.
        self.skill = skill or None
        # Heartbeats get a connection of their own where calls take turns on one, so a slow call
        # does not hold them up in Python. (In the database, acquire_lock holds a share lock on
        # its session's row while it waits, up to p_wait: a heartbeat waits for it there.)
        self.heartbeats = heartbeats or connections
        self.ttl = ttl
        self.agent_type = agent_type
        self.capabilities = list(capabilities)
        # One session per (connection key, principal): a fresh token of the same principal on
        # the same connection (a reissued JWT, a rotated token) goes on in the same session.
        self._sessions: dict[tuple[str, str], CoordSession] = {}
        self._principals: dict[str, str] = {}  # token digest -> principal id, as the database said
        # Reentrant: the stdio SIGTERM handler ends the sessions on the thread whose call it interrupted.
        self._lock = threading.RLock()
        # Set when the database refused a session's token on a heartbeat (revoked or expired).
        self.refused: CoordError | None = None
        self.calls_on_loop = 0  # calls made on the event loop (call_on_loop): tests check the path is taken
        # Over stdio: the call being made (on the loop), and whether the client that reads stdout is
        # gone (StdoutWatch): then that call, and every call after, is cancelled.
        self.calling: CallCancel | None = None
        self.client_gone = False
        self.disconnected = 0  # calls cancelled because the client was gone

    # identity and sessions

    def authenticate(self, token: str) -> CoordSession | None:
        """The principal of a token (None: bad, revoked or expired), as the database says."""
        with self.connections.borrow() as conn:
            try:
                info = self.connections.client(conn, token).authenticate()
            except CoordError:
                return None
        if info is None or info.role is None or info.principal_id is None:
            return None
        return CoordSession(token=token, role=info.role, principal=info.name or str(info.principal_id),
                            principal_id=str(info.principal_id), ttl=self.ttl)

    def start(self, session: CoordSession) -> dict[str, Any]:
        with self.connections.borrow() as conn:
            result = self.connections.client(conn, session.token).start_session(
                self.agent_type, self.capabilities, session.ttl, self.repository, self.skill)
        if result.ok:
            session.session_id = result.session_id
        else:
            log.warning("coord session not started: %s %s", result.code, result.reason)
        return to_json_value(dict(vars(result)))

    def heartbeat(self, session: CoordSession) -> str:
        if session.session_id is None or session.ended:
            return "none"
        with self.heartbeats.borrow() as conn:
            result = self.heartbeats.client(conn, session.token, session.session_id).heartbeat("working")
        if result.code == "session_ended":
            session.ended = True
        return result.code

    def end(self, session: CoordSession, connections: Connections | None = None) -> str | None:
        if session.session_id is None or session.ended:
            return None
        session.ended = True
        connections = connections or self.connections
        with connections.borrow() as conn:
            return connections.client(conn, session.token, session.session_id).end_session().code

    def known_session(self, key: str, token: str) -> CoordSession | None:
        """``session_for`` without the database: the live session of (connection key, the token's
        principal) if the token was seen before and the session is started; None otherwise."""
        with self._lock:
            principal_id = self._principals.get(_digest(token))
            session = self._live((key, principal_id)) if principal_id else None
        if session is not None:
            session.token = token
            session.last_used = time.monotonic()
        return session

    def session_for(self, key: str, token: str) -> CoordSession | None:
        """The session of (connection key, the token's principal), started on first use; None for
        a bad token. The token is remembered as the session's latest (heartbeats present it)."""
        session = self.known_session(key, token)
        if session is None:
            digest = _digest(token)
            fresh = self.authenticate(token)
            if fresh is None:
                return None
            with self._lock:
                self._principals[digest] = fresh.principal_id
                session = self._live((key, fresh.principal_id))
            if session is None:
                self.start(fresh)
                with self._lock:
                    session = self._sessions.setdefault((key, fresh.principal_id), fresh)
            session.token = token
            session.last_used = time.monotonic()
        return session

    def request_session(self, key: str, token: str, *, known_only: bool = False) -> CoordSession | None:
        """``session_for`` (``known_session`` when ``known_only``) as one request sees it: the
        session's principal and coord session with the token this request presented. The shared
        session keeps the latest token for its heartbeats; a call presents its own request's, so a
        request that presented a narrower (or revoked) token of the same principal on the same
        connection is never answered with another request's token that came in meanwhile."""
        session = self.known_session(key, token) if known_only else self.session_for(key, token)
        return None if session is None else replace(session, token=token)

    def _live(self, index: tuple[str, str]) -> CoordSession | None:
        """The live session of ``index``; one that is over is forgotten (called under the lock)."""
        session = self._sessions.get(index)
        if session is not None and session.ended:
            # It missed its heartbeat (the machine slept, the database was away) or its token
            # was refused: a session that is over stays over, so the connection starts a new one.
            del self._sessions[index]
            return None
        return session

    def drop(self, key: str, principal_id: str) -> CoordSession | None:
        """End the session of (connection key, principal): the client closed the connection."""
        with self._lock:
            session = self._sessions.pop((key, principal_id), None)
        if session is not None:
            self._end_quietly(session)
        return session

    def _end_quietly(self, session: CoordSession, connections: Connections | None = None) -> None:
        try:
            self.end(session, connections)
        except (CoordError, psycopg.Error) as exc:
            log.warning("ending coord session %s: %s", session.session_id, exc)

    def end_all(self, *, on_heartbeat_connection: bool = False) -> None:
        """End every session; ``on_heartbeat_connection`` (a signal handler, which may have
        interrupted a call holding the calls' connection on this very thread) ends them on the
        heartbeats' connection instead."""
        with self._lock:
            gone = list(self._sessions.values())
            self._sessions.clear()
        for session in gone:
            self._end_quietly(session, self.heartbeats if on_heartbeat_connection else None)

    def beat_all(self, idle_timeout: float | None) -> None:
        """Heartbeat every live session; end those idle longer than idle_timeout. A session whose
        token the database refuses (PT401: revoked or expired) is forgotten at once: presenting a
        revoked token again would raise a critical audit event on every beat, and nothing can
        end the session with it (it expires after its ttl and its leases are released then)."""
        now = time.monotonic()
        with self._lock:
            live = list(self._sessions.items())
        for index, session in live:
            if idle_timeout is not None and now - session.last_used > idle_timeout:
                with self._lock:
                    self._sessions.pop(index, None)
                self._end_quietly(session)
                continue
            try:
                self.heartbeat(session)
            except CoordError as exc:
                if exc.code == "PT401":
                    self._refuse(index, session, exc)
                else:
                    log.warning("heartbeat of coord session %s: %s", session.session_id, exc)
            except psycopg.Error as exc:
                log.warning("heartbeat of coord session %s: %s", session.session_id, exc)
        with self._lock:  # forget the tokens of principals that have no session any more
            principals = {p for _, p in self._sessions}
            self._principals = {d: p for d, p in self._principals.items() if p in principals}

    def _refuse(self, index: tuple[str, str], session: CoordSession, exc: CoordError) -> None:
        session.ended = True  # neither heartbeated nor ended with that token again
        with self._lock:
            if self._sessions.get(index) is session:
                del self._sessions[index]
        self.refused = exc
        log.error("coord session %s of %s: the database refused the token (%s); no more heartbeats, the "
                  "session ends at its ttl", session.session_id, session.principal, exc.message)

    def close(self) -> None:
        self.connections.close()
        if self.heartbeats is not self.connections:
            self.heartbeats.close()

    # tools

    def tools(self, session: CoordSession) -> dict[str, ToolSpec]:
        cached = self.connections.tools_by_role.get(database_role(session.role))
        if cached is not None:  # read once per role: no connection borrowed per call
            return cached
        with self.connections.borrow() as conn:
            return self.connections.tools(conn, session.role)

    def tool(self, session: CoordSession, name: str) -> ToolSpec:
        """A tool of the session's role; 42883 for any other name (the session lifecycle and
        the authentication plumbing are no tools: the connection owns them)."""
        spec = self.tools(session).get(name)
        if spec is None:
            raise registered("42883", f"no tool {name}",
                             hint="list the tools: one per api function your role may call, without the session "
                                  "lifecycle (the connection is the session)")
        return spec

    def call(self, session: CoordSession, name: str, arguments: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """api.<name> in the session, if it is one of the session's tools and its arguments have
        the JSON types of its input schema; raises CoordError for a registered error."""
        spec = self.tool(session, name)
        arguments = self._checked(spec, arguments)
        if name == "wait_for_approval" and arguments.get("p_timeout"):
            return [self.wait_for_approval(session, arguments)]
        with self.connections.borrow() as conn:
            client = self.connections.client(conn, session.token, session.session_id)
            return client.call(name, arguments, types_checked=True)

    def _checked(self, spec: ToolSpec, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """The arguments, their types checked against the tool's (22P02), paths mapped."""
        arguments = dict(arguments or {})
        known = {k: v for k, v in arguments.items() if k in spec.signature.arg_names}  # unknown: 42883 in Client.call
        check_argument_types(spec.signature, known, text_forms=False)
        return self.repository_paths(arguments)

    async def call_on_loop(self, session: CoordSession, name: str,
                           arguments: Mapping[str, Any] | None) -> tuple[ToolSpec, list[dict[str, Any]]] | None:
        """``call`` (the tool and its rows), made on the running event loop when nothing in it
        blocks: the loop's connection is open and free, the catalog and the role's tools are
        loaded, and the call goes as one pipeline; its answer is waited for on the loop
        (wire.execute_on_loop), so a call costs no worker-thread hop and the loop serves other
        requests meanwhile. None: not made here (call ``call`` on a worker thread). A caller
        cancelled while the database works waits for the answer before the cancellation goes
        on, as a worker thread's caller does (CallThreads): the connection is never left
        half-way through an exchange."""
        connections = self.connections
        conn = connections.loop_connection
        if (conn is None or connections.loop_connection_busy or conn.closed or not connections.signatures
                or database_role(session.role) not in connections.tools_by_role
                or (name == "wait_for_approval" and (arguments or {}).get("p_timeout"))):
            return None
        spec = self.tool(session, name)  # the role's tools are loaded: no connection borrowed
        client = connections.client(conn, session.token, session.session_id)
        steps = client.pipelined(name, self._checked(spec, arguments), types_checked=True)
        if steps is None:
            return None
        connections.loop_connection_busy = True
        self.calls_on_loop += 1
        try:
            with anyio.CancelScope(shield=True), _cancellable(conn):  # a cancellation waits for the answer
                result = await wire.execute_on_loop(conn, steps)
        finally:
            connections.loop_connection_busy = False
        return spec, client.rows(result)

    @contextlib.contextmanager
    def stdio_call(self) -> Iterator[CallCancel]:
        """One stdio call, cancellable once its client is gone (``gone``, from StdoutWatch)."""
        call = self.calling = CallCancel()
        call.cancelled = self.client_gone  # nothing reads the answer: the call does nothing
        token = _CALL.set(call)
        try:
            yield call
        finally:
            _CALL.reset(token)
            self.calling = None

    def gone(self) -> None:
        """Over stdio, on a thread of its own: the client that reads stdout is gone (its process
        died): the call being made is cancelled as notifications/cancelled cancels it."""
        self.client_gone = True
        call = self.calling
        if call is not None and not call.cancelled:
            self.disconnected += 1
            log.info("tool call cancelled: the stdio client is gone (stdout has no reader)")
            call.cancel()

    def wait_for_approval(self, session: CoordSession, arguments: dict[str, Any]) -> dict[str, Any]:
        """The tool wait_for_approval with a timeout: waits (LISTEN/NOTIFY, Client.wait_for_approval)
        up to p_timeout, at most APPROVAL_WAIT_MAX seconds, on a connection of its own."""
        unknown = set(arguments) - {"p_approval_id", "p_timeout"}
        if unknown:
            raise registered("42883", f"wait_for_approval has no argument {sorted(unknown)[0]}")
        try:
            conn = psycopg.connect(make_conninfo(self.connections.dsn, application_name="coord-mcp-wait"),
                                   autocommit=True)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        call = _CALL.get()
        try:
            adapt.install(conn)
            client = Client(connection=conn, token=session.token, session_id=session.session_id)
            # A cancelled call (notifications/cancelled, its HTTP client gone) has its statement
            # cancelled and its wait for a notification ended; the connection and its LISTEN close.
            with (contextlib.nullcontext(None) if call is None else call.wakeable()) as wake, _cancellable(conn):
                result = wait_for_approval(client, arguments.get("p_approval_id"), arguments["p_timeout"],
                                           APPROVAL_WAIT_MAX, wake=wake)
        finally:
            conn.close()
        return result.to_dict()

    def repository_paths(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Path arguments, absolute or relative to the repository root (as the tool descriptions
        and prompts say), as the repository-relative paths the api expects (CO541 outside)."""
        if self.root is None:
            return arguments
        for name in PATH_ARGUMENTS:
            if name in arguments:
                arguments[name] = self._paths(arguments[name])
        for name, fields in PATH_FIELDS_OF_ITEMS.items():
            items = arguments.get(name)
            if isinstance(items, list):  # anything else is passed on: the database refuses it
                arguments[name] = [{k: self._paths(v) if k in fields else v for k, v in item.items()}
                                   if isinstance(item, dict) else item for item in items]
        return arguments

    def _paths(self, value: Any) -> Any:
        """A path or a list of paths mapped to the repository; anything else passed on as sent
        (a nested list, a number: the database refuses it with its own code)."""
        assert self.root is not None
        if isinstance(value, str):
            return resolve_path(value, self.root, self.root)
        if isinstance(value, list):
            return [resolve_path(p, self.root, self.root) if isinstance(p, str) else p for p in value]
        return value


# --- results as MCP ----------------------------------------------------------------------------------

_PLAIN_JSON = frozenset({str, int, float, bool, type(None)})
_AS_TEXT: dict[type, Callable[[Any], str]] = {datetime: datetime.isoformat, UUID: str}  # as to_json_value writes them


def _jsonable(value: Any) -> Any:
    """Result values as JSON: timestamps ISO 8601, intervals 'N seconds', UUIDs as text. The JSON
    types a row mostly holds are taken by their exact type first (to_json_value asks abstract
    base classes, ~10 isinstance checks a value); anything else goes to to_json_value."""
    kind = type(value)
    if kind in _PLAIN_JSON:
        return value
    if kind is dict:
        return {k: _jsonable(v) for k, v in value.items()}
    if kind is list:
        return [_jsonable(v) for v in value]
    as_text = _AS_TEXT.get(kind)
    return as_text(value) if as_text is not None else to_json_value(value)


def _structured(spec: ToolSpec, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """An answer of the database: one row (a result, outcome codes included) or {"rows": [...]}."""
    rows = [_jsonable(row) for row in rows]
    return {"rows": rows} if spec.signature.returns_set else (rows[0] if rows else {})


def tool_result(spec: ToolSpec, rows: list[dict[str, Any]]) -> types.CallToolResult:
    structured = _structured(spec, rows)
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(structured, default=str))],
                                structured_content=structured)


def tool_result_wire(spec: ToolSpec, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """tool_result as the SDK dumps it (by alias, JSON mode, without None), built as a dict."""
    structured = _structured(spec, rows)
    return {"content": [{"type": "text", "text": json.dumps(structured, default=str)}],
            "structuredContent": structured, "isError": False, "resultType": "complete"}


@dataclass(frozen=True)
class EncodedToolResult:
    """A successful tool result whose structured result is already JSON text (``structured``):
    the fast paths' answer, encoded once and used twice, as ``structuredContent`` and as the
    text copy (``tool_call_response``), instead of being encoded for the text, then validated,
    dumped and encoded again with the response."""

    structured: str


def tool_result_encoded(spec: ToolSpec, rows: list[dict[str, Any]]) -> EncodedToolResult | dict[str, Any]:
    """tool_result_wire, with the structured result encoded once. A result holding NaN or an
    infinity keeps the dict (the SDK dumps those as null in structuredContent; the text copy
    has them as json.dumps writes them)."""
    structured = _structured(spec, rows)
    try:
        return EncodedToolResult(json.dumps(structured, default=str, allow_nan=False))
    except ValueError:
        return {"content": [{"type": "text", "text": json.dumps(structured, default=str)}],
                "structuredContent": structured, "isError": False, "resultType": "complete"}


def error_result_wire(exc: CoordError) -> dict[str, Any]:
    return error_result(exc).model_dump(by_alias=True, mode="json", exclude_none=True)


def call_failed(name: str, exc: Exception) -> CoordError:
    """What an unexpected failure of the server in a tool call is reported as (CO551)."""
    return registered("CO551", f"the MCP server failed while handling the call of {name}",
                      f"{type(exc).__name__}: {exc}",
                      "whether the call reached the database is unknown: read before retrying (e.g. my_locks), "
                      "and report the server's stderr as a bug")


def error_result(exc: CoordError) -> types.CallToolResult:
    """A registered error: isError, with code, message, detail and hint (text and _meta)."""
    body = exc.to_dict()
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(body))],
                                is_error=True, _meta={"coord/error": body})


# --- resources and prompts ------------------------------------------------------------------------

RESOURCE_NOT_FOUND = -32002  # the MCP specification's JSON-RPC error code for an unknown resource URI

@dataclass(frozen=True)
class ResourceSpec:
    uri: str
    name: str
    description: str
    function: str  # the api function that answers it (listed only if the role may call it)
    arguments: Callable[[Coordinator], Sequence[dict[str, Any]]]


RESOURCES = (
    ResourceSpec("coord://session/context", "session-context",
                 "The start of a session in one read: your latest handoff, your leases, the top memories of "
                 "your repository and the ready work (api.session_context).", "session_context", lambda c: [{}]),
    ResourceSpec("coord://leases/mine", "my-leases", "The leases you hold (api.my_locks).", "my_locks",
                 lambda c: [{}]),
    ResourceSpec("coord://tasks/ready", "ready-tasks",
                 "Queued tasks of the kinds this server was started for (--kind; all kinds if none), "
                 "from api.list_tasks.", "list_tasks",
                 lambda c: [{"p_state": "queued", "p_kind": k} for k in c.capabilities] or [{"p_state": "queued"}]),
    ResourceSpec("coord://handoffs/latest", "latest-handoff",
                 "The latest handoff addressed to you or left by you for yourself (api.read_handoff).",
                 "read_handoff", lambda c: [{"p_for_me": True, "p_limit": 1}]),
    ResourceSpec("coord://audit/recent", "recent-audit",
                 "The 50 most recent audit events of the tenant, for operators and auditors (api.query_audit).",
                 "query_audit", lambda c: [{"p_limit": 50}]),
)

def _kinds(text: str | None) -> str:
    return json.dumps([k.strip() for k in text.split(",") if k.strip()]) if text else "the kinds you work on"


PROMPTS = {
    "coordinate-file-edit": (
        "Edit a file without stepping on another agent: take its lease, edit, release it.",
        [types.PromptArgument(name="path", description="the file (relative to the repository root)", required=True)],
        lambda args: (
            f"Before editing {args.get('path', 'the file')}, call the acquire_lock tool with p_path set to it "
            "(p_ttl '10 minutes'). If the result's code is granted or renewed, keep its fence, make the edit, then "
            "call release_lock with p_path and that fence. If the code is busy, do not edit: holder_name and "
            "expires_at say who holds it and until when; work on something else or retry with p_wait. If the "
            "code is denied, details.rule names the policy rule; do not edit the file."),
    ),
    "start-work-session": (
        "Start working: read your handoff, see your leases and the ready work, then claim a task.",
        [types.PromptArgument(name="kinds", description="task kinds you work on, comma-separated", required=False)],
        lambda args: (
            "This MCP connection is your coord session (heartbeated for you; ended when you disconnect). "
            "1. Read the resource coord://session/context: follow what the last session left you (handoff), "
            "use what you and your team remember (memories; recall more with the recall tool). "
            "2. Release the leases in it that you no longer need (release_lock). "
            f"3. Claim work with claim_task (p_kinds {_kinds(args.get('kinds'))}); "
            "an empty result means no ready work. 4. Before you stop, write a handoff (write_handoff) for the "
            "next session, and remember (remember) what the next agent should know."),
    ),
}


# --- the MCP server -------------------------------------------------------------------------------------

def answer_tool_call(coordinator: Coordinator, session_of: Callable[[Any], CoordSession], ctx: Any, name: str,
                     arguments: Mapping[str, Any] | None) -> types.CallToolResult:
    """The answer to tools/call: the database's result, or a registered error as a tool error."""
    return _answer(coordinator, session_of, ctx, name, arguments, tool_result, error_result)


def answer_tool_call_wire(coordinator: Coordinator, session_of: Callable[[Any], CoordSession], ctx: Any, name: str,
                          arguments: Mapping[str, Any] | None) -> EncodedToolResult | dict[str, Any]:
    """answer_tool_call for the fast paths: a result with its structured result encoded once, or
    (an error, a result holding NaN) as the SDK dumps it, built as a dict."""
    return _answer(coordinator, session_of, ctx, name, arguments, tool_result_encoded, error_result_wire)


def _answer(coordinator: Coordinator, session_of: Callable[[Any], CoordSession], ctx: Any, name: str,
            arguments: Mapping[str, Any] | None, result: Callable[[ToolSpec, list[dict[str, Any]]], T],
            error: Callable[[CoordError], T]) -> T:
    try:
        session = session_of(ctx)
        spec = coordinator.tool(session, name)
        return result(spec, coordinator.call(session, name, arguments))
    except CoordError as exc:
        return error(exc)
    except psycopg.Error as exc:  # e.g. the pool could not lend a connection in time
        return error(from_psycopg(exc))
    except Exception as exc:  # a bug here: still a registered error, never a bare protocol error
        log.exception("tool call %s failed", name)
        return error(call_failed(name, exc))


async def answer_on_loop(coordinator: Coordinator, identity_of: Callable[[Any], tuple[str, str]], ctx: Any,
                         name: str, arguments: Mapping[str, Any] | None) -> EncodedToolResult | dict[str, Any] | None:
    """answer_tool_call_wire on the event loop (Coordinator.call_on_loop) for a request whose
    coord session is known; None leaves the call to a worker thread (the session must be
    authenticated or started, the loop's connection is busy or not open, ...)."""
    try:
        session = coordinator.request_session(*identity_of(ctx), known_only=True)
        if session is None:
            return None
        answered = await coordinator.call_on_loop(session, name, arguments)
        return None if answered is None else tool_result_encoded(*answered)
    except CoordError as exc:
        return error_result_wire(exc)
    except psycopg.Error as exc:
        return error_result_wire(from_psycopg(exc))
    except Exception as exc:  # a bug here: still a registered error, never a bare protocol error
        log.exception("tool call %s failed", name)
        return error_result_wire(call_failed(name, exc))


def build_server(coordinator: Coordinator, session_of: Callable[[Any], CoordSession], *,
                 on_loop: bool = False,
                 in_thread: Callable[[Callable[[], Any]], Awaitable[Any]] = anyio.to_thread.run_sync,
                 threads: CallThreads | None = None) -> Server:
    """The low-level MCP server; ``session_of(ctx)`` names the coord session of a request.

    ``on_loop`` (stdio): handlers call the database on the event loop itself. One stdio
    connection has one database connection, on which its calls take turns anyway, and heartbeats
    have a connection of their own (acquire_lock's wait holds them up in the database either
    way), so the worker-thread hop per call (~0.1 ms of CPU, two thread switches) buys nothing.
    Over HTTP, calls of many agents run on a pool, each on a worker thread (``in_thread``, or
    ``threads``: then a tool call the SDK cancels (notifications/cancelled) has its database
    statement cancelled, and the SDK sends no result for it)."""

    async def run(fn: Callable[[], Any]) -> Any:
        return fn() if on_loop else await in_thread(fn)

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        session = await run(lambda: session_of(ctx))
        tools = await run(lambda: coordinator.tools(session))
        return types.ListToolsResult(tools=[spec.listed for spec in tools.values()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if on_loop:  # stdio: cancelled once the client is gone (Coordinator.gone)
            with coordinator.stdio_call():
                return answer_tool_call(coordinator, session_of, ctx, params.name, params.arguments)
        # One worker-thread hop per call (HTTP): the session, the tool and the database call together.
        if threads is None:
            return await run(lambda: answer_tool_call(coordinator, session_of, ctx, params.name, params.arguments))
        in_flight = CallCancel()
        token = _CALL.set(in_flight)
        try:
            return await threads.run(lambda: answer_tool_call(coordinator, session_of, ctx, params.name,
                                                              params.arguments), on_cancel=in_flight.cancel)
        finally:
            _CALL.reset(token)

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        session = await run(lambda: session_of(ctx))
        tools = await run(lambda: coordinator.tools(session))
        return types.ListResourcesResult(resources=[
            types.Resource(uri=r.uri, name=r.name, description=r.description, mime_type="application/json")
            for r in RESOURCES if r.function in tools])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        session = await run(lambda: session_of(ctx))
        tools = await run(lambda: coordinator.tools(session))
        known = [r.uri for r in RESOURCES if r.function in tools]  # what list_resources lists for this role
        spec = next((r for r in RESOURCES if r.uri == str(params.uri) and r.uri in known), None)
        if spec is None:
            raise MCPError(RESOURCE_NOT_FOUND, f"no resource {params.uri}: the resources are {', '.join(known)}",
                           {"uri": str(params.uri), "resources": known})

        def read() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            for arguments in spec.arguments(coordinator):
                rows.extend(coordinator.call(session, spec.function, arguments))
            return rows

        try:
            rows = await run(read)
        except CoordError as exc:  # a registered error of the database: its code, message and hint
            raise MCPError(INTERNAL_ERROR, f"{exc.code}: {exc.message}", exc.to_dict()) from None
        text = json.dumps([_jsonable(r) for r in rows], default=str)
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=spec.uri, mime_type="application/json", text=text)])

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[
            types.Prompt(name=name, description=description, arguments=arguments)
            for name, (description, arguments, _) in PROMPTS.items()])

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        if params.name not in PROMPTS:
            raise MCPError(INVALID_PARAMS, f"no prompt {params.name}: the prompts are {', '.join(PROMPTS)}",
                           {"name": params.name, "prompts": list(PROMPTS)})
        description, _, render = PROMPTS[params.name]
        text = render(dict(params.arguments or {}))
        return types.GetPromptResult(description=description, messages=[
            types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))])

    server = Server(SERVER_NAME, version=__version__,
                    instructions="Agent Coordinator: leases, tasks, guardrails and audit in PostgreSQL. "
                                 "This connection is one coord session; every tool call runs in it.",
                    on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
                    on_read_resource=read_resource, on_list_prompts=list_prompts, on_get_prompt=get_prompt)
    # The SDK opens an OpenTelemetry span per message by default (a no-op without an exporter,
    # yet ~90k instructions, about 3% of a tool call's CPU here); coord records its own audit.
    server.middleware.clear()
    return server


# --- transports ---------------------------------------------------------------------------------------

async def _heartbeats(coordinator: Coordinator, interval: float, idle_timeout: float | None,
                      stop_when_refused: anyio.CancelScope | None = None) -> None:
    """Heartbeat the sessions; with ``stop_when_refused`` (stdio: the connection's one session),
    cancel that scope once the database refuses the token: the connection is over."""
    while True:
        await anyio.sleep(interval)
        await anyio.to_thread.run_sync(lambda: coordinator.beat_all(idle_timeout))
        if stop_when_refused is not None and coordinator.refused is not None:
            stop_when_refused.cancel()
            return


def heartbeat_interval(ttl: timedelta) -> float:
    return max(ttl.total_seconds() / 3, 0.5)


class ToolCallFastPath:
    """tools/call over stdio answered from the stdin line itself, past the SDK's message machinery.

    Through the SDK a call is parsed into pydantic models, handed over three memory streams and
    a task per request, and serialized back by a writer task: about half of the stdio server's
    CPU per call beyond the database's. A line that is a plain, well-formed ``tools/call``
    request on a connection the SDK has initialized, in the handshake protocol era, is answered
    here instead, by the same handler (``answer_tool_call_wire``) and shaped by the SDK's own result
    serializer for the negotiated version (``serialize_server_result``), so the answer is the
    one the SDK gives. Everything else goes to the SDK as before: initialize, every other
    method, notifications, batches, anything malformed or unusual (``_meta``, a task, an id
    that is neither an integer nor a string), a connection not yet initialized or of the
    2026 era, and every request once the server has middleware this path would skip (it checks
    that only its own and the session's are installed) or a cache hint for tools/call.
    Calls run on the event loop as the SDK path's do over stdio (``build_server(on_loop=True)``),
    so the two never interleave on the connection."""

    def __init__(self, server: Server,
                 answer: Callable[[str, Mapping[str, Any] | None], EncodedToolResult | dict[str, Any]]) -> None:
        self.server = server
        self.answer_call = answer
        self.connection: Any = None  # the SDK's Connection, seen on the first request it serves
        self.answered = 0  # calls answered here (tests check that the path is taken)
        # (MCP session id, JSON-RPC id) -> the call being answered here: notifications/cancelled
        # of the same session cancels it (the SDK's dispatcher never saw the request).
        self.in_flight: dict[tuple[str, int | str], CallCancel] = {}
        self.cancelled = 0  # calls cancelled here
        server.middleware.append(self._see_connection)
        self.middleware = list(server.middleware)

    async def _see_connection(self, ctx: Any, call_next: Any) -> Any:
        if self.connection is None:
            self.connection = getattr(ctx.session, "_connection", None)
        return await call_next(ctx)

    def answer(self, line: bytes) -> bytes | None:
        """The response line to ``line`` if it is a tools/call this path answers; None otherwise."""
        if b'"tools/call"' not in line or not _open_for_tool_calls(self.server, self.middleware, self.connection):
            return None
        call = plain_tool_call(line)
        if call is None:
            return None
        request_id, name, arguments = call
        version = self.connection.protocol_version
        try:
            dumped = self.answer_call(name, arguments)  # never raises but _Unanswered: failures are tool errors
        except _Unanswered:
            return b""  # the client is gone (StdoutWatch): no one reads an answer
        self.answered += 1
        return tool_call_response(version, request_id, name, dumped) + b"\n"


_TOOL_CALL_PARAMS = frozenset({"name", "arguments"})


def _open_for_tool_calls(server: Server, middleware: list[Any], connection: Any) -> bool:
    """Whether the SDK would serve tools/call on ``connection`` now, exactly as a fast path answers
    it: initialized, in the handshake era, with no middleware or cache hint the path would skip."""
    return (connection is not None and connection.initialize_accepted
            and connection.protocol_version not in MODERN_PROTOCOL_VERSIONS
            and server.middleware == middleware and "tools/call" not in server.cache_hints)


def plain_tool_call(message_text: bytes) -> tuple[int | str, str, dict[str, Any] | None] | None:
    """(id, tool name, arguments) of a plain, well-formed JSON-RPC tools/call request; None for
    anything else (another method, a notification, a batch, ``_meta``, a task, an id that is
    neither an integer nor a string, anything malformed): the SDK handles those."""
    try:
        message = json.loads(message_text)
    except ValueError:
        return None
    if type(message) is not dict or message.keys() != {"jsonrpc", "id", "method", "params"}:
        return None
    request_id, params = message["id"], message["params"]
    if (message["jsonrpc"] != "2.0" or message["method"] != "tools/call" or type(request_id) not in (int, str)
            or type(params) is not dict or not params.keys() <= _TOOL_CALL_PARAMS):
        return None
    name, arguments = params.get("name"), params.get("arguments")
    if type(name) is not str or not (arguments is None or type(arguments) is dict):
        return None
    return request_id, name, arguments


def tool_call_response(version: str, request_id: int | str, name: str,
                       dumped: EncodedToolResult | dict[str, Any]) -> bytes:
    """The JSON-RPC response to a tools/call, its result shaped by the SDK's serializer for the
    negotiated version. An ``EncodedToolResult`` is put into the shape the serializer gives a
    result of its kind (``_result_shape``), its JSON text once as is and once as the text copy."""
    if type(dumped) is EncodedToolResult:
        shape = _result_shape(version)
        if shape is not None:
            parts = [f'{{"jsonrpc":"2.0","id":{json.dumps(request_id)},"result":', shape[0]]
            for slot, text in zip(shape[1::2], shape[2::2], strict=True):
                parts.append(dumped.structured if slot == _STRUCTURED else json.dumps(dumped.structured))
                parts.append(text)
            parts.append("}")
            return "".join(parts).encode()
        dumped = {"content": [{"type": "text", "text": dumped.structured}],
                  "structuredContent": json.loads(dumped.structured), "isError": False, "resultType": "complete"}
    try:
        response: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id,
                                    "result": serialize_server_result("tools/call", version, dumped)}
    except Exception:  # as the SDK answers a handler's invalid result (the call is made: answer it)
        log.exception("tool call %s returned an invalid result", name)
        response = {"jsonrpc": "2.0", "id": request_id,
                    "error": {"code": INTERNAL_ERROR, "message": "Handler returned an invalid result"}}
    return json.dumps(response, separators=(",", ":")).encode()


# Stand-ins for the two copies of a structured result in a successful result shaped once per
# protocol version; the shape is cut at them once, and no answer is ever searched for them.
_STRUCTURED, _TEXT = "\x00coord:structured\x00", "\x00coord:text\x00"
_RESULT_SHAPES: dict[str, tuple[str, ...] | None] = {}


def _result_shape(version: str) -> tuple[str, ...] | None:
    """The SDK's serialization of a successful tool result for ``version``, as JSON text cut at
    the places of the structured result and its text copy: (text, slot, text, slot, ..., text),
    each slot ``_STRUCTURED`` or ``_TEXT``. None if the serializer refuses it (the caller then
    goes the SDK's way and reports what it says)."""
    if version not in _RESULT_SHAPES:
        try:
            result = serialize_server_result("tools/call", version, {
                "content": [{"type": "text", "text": _TEXT}], "structuredContent": {_STRUCTURED: 0},
                "isError": False, "resultType": "complete"})
        except Exception:
            _RESULT_SHAPES[version] = None
        else:
            encoded = json.dumps(result, separators=(",", ":"))
            marks = {json.dumps({_STRUCTURED: 0}, separators=(",", ":")): _STRUCTURED, json.dumps(_TEXT): _TEXT}
            pieces = re.split("(" + "|".join(re.escape(mark) for mark in marks) + ")", encoded)
            shape = tuple(marks.get(piece, piece) if i % 2 else piece for i, piece in enumerate(pieces))
            slots, texts = shape[1::2], shape[0::2]
            # The text copy and at most one of each, and no stand-in the serializer changed left in the text.
            kept = _TEXT in slots and len(set(slots)) == len(slots) and not any("coord:" in text for text in texts)
            _RESULT_SHAPES[version] = shape if kept else None
    return _RESULT_SHAPES[version]


class HttpToolCallFastPath:
    """tools/call over streamable HTTP answered inside the MCP session's own transport, past the
    SDK's message machinery.

    Through the SDK a POST's body is validated into pydantic models, handed to the session's
    message loop over memory streams, dispatched in a task of its own, and its result is
    serialized, routed back over another stream and dumped again: about half of the HTTP
    server's CPU per call beyond the database's. Here the session's transport
    (``_FastPathTransport``, what the session manager builds for each new MCP session) looks at a
    POST once the SDK has done everything it does before reading a body: the bearer gate, the
    session's owner (another principal's request is answered 404 before it gets here), the
    body size limit, the protocol-version routing, DNS-rebinding protection, a terminated
    session, and the idle timer (the request counts as in flight). If the request carries the
    session's id, accepts application/json, is sent as application/json, and its body is a
    plain ``tools/call`` (``plain_tool_call``) on a session the SDK has initialized in the
    handshake era (the same conditions as stdio's ``ToolCallFastPath``), it is answered as one
    JSON body by the same handler, shaped by the SDK's own serializer; anything else goes on to
    the SDK's handling of the POST, which reads the body this path already read. The
    handler is the SDK path's, on a worker thread as there."""

    def __init__(self, server: Server,
                 answer: Callable[[str, Mapping[str, Any] | None, Any],
                                  Awaitable[EncodedToolResult | dict[str, Any]]]) -> None:
        self.server = server
        self.answer_call = answer
        # MCP session id -> the SDK's Connection of that session, seen on its first request through
        # the SDK (initialize always goes there); forgotten when the connection closes.
        self.connections: dict[str, Any] = {}
        self.answered = 0  # calls answered here (tests check that the path is taken)
        # (MCP session id, JSON-RPC id) -> the call being answered here: notifications/cancelled
        # of the same session cancels it (the SDK's dispatcher never saw the request).
        self.in_flight: dict[tuple[str, int | str], CallCancel] = {}
        self.cancelled = 0  # calls cancelled here
        # Requests whose HTTP client disconnected while they were answered (here or through the
        # SDK), each cancelled as notifications/cancelled cancels it.
        self.disconnected = 0
        server.middleware.append(self._see_connection)
        self.middleware = list(server.middleware)

    async def _see_connection(self, ctx: Any, call_next: Any) -> Any:
        connection = getattr(ctx.session, "_connection", None)
        session_id = getattr(connection, "session_id", None)
        if session_id is not None and session_id not in self.connections:
            self.connections[session_id] = connection
            connection.exit_stack.callback(self.connections.pop, session_id, None)
        return await call_next(ctx)

    async def _cancel(self, session_id: str, body: bytes) -> None:
        """notifications/cancelled: cancel the named call of this session if it is answered here
        (a request id of another session, or of a call already answered, is ignored, as the
        spec asks)."""
        try:
            message = json.loads(body)
        except ValueError:
            return
        params = message.get("params") if isinstance(message, dict) else None
        request_id = params.get("requestId") if isinstance(params, dict) else None
        if message.get("method") != "notifications/cancelled" or isinstance(request_id, bool) \
                or not isinstance(request_id, (int, str)):
            return
        in_flight = self.in_flight.get((session_id, request_id))
        if in_flight is not None and not in_flight.cancelled:
            self.cancelled += 1
            await anyio.to_thread.run_sync(in_flight.cancel)

    def _client_gone(self, session_id: str, request_id: int | str, in_flight: CallCancel) -> None:
        """On the loop: the HTTP client of a call answered here disconnected."""
        self.disconnected += 1
        log.info("tool call %r of MCP session %s cancelled: its HTTP client disconnected", request_id, session_id)
        if not in_flight.cancelled:
            self.cancelled += 1
            in_flight.cancelled = True  # no answer, even if the call ends before the cancel is sent
            asyncio.get_running_loop().run_in_executor(None, in_flight.cancel)

    async def answer(self, transport: Any, request: Any, send: Any, receive: Any = None) -> bool:
        """Answer the POST ``request`` on ``transport`` if it is a tools/call this path answers
        (True); False leaves it to the SDK, with its body read and kept by ``request``."""
        session_id = transport.mcp_session_id
        connection = self.connections.get(session_id) if session_id else None
        if (not transport.is_json_response_enabled or not _open_for_tool_calls(self.server, self.middleware, connection)
                or request.headers.get(MCP_SESSION_ID_HEADER) != session_id or not check_accept_headers(request)[0]
                or not transport._check_content_type(request)):
            return False
        try:
            body = await request.body()
        except Exception:  # e.g. the client went away: the SDK's handling reports it as it does
            return False
        call = plain_tool_call(body) if b'"tools/call"' in body else None
        if call is None:
            if b'"notifications/cancelled"' in body:
                await self._cancel(session_id, body)
            return False  # the SDK answers the notification too (202)
        request_id, name, arguments = call
        version = connection.protocol_version
        ctx = _HttpCallContext(request)
        key = (session_id, request_id)
        in_flight = self.in_flight[key] = CallCancel()
        token = _CALL.set(in_flight)
        # The body is read: the next message of the request is its disconnect (uvicorn: also once
        # the answer is complete, which is after this watch ends).
        watch = None if receive is None else asyncio.ensure_future(
            _until_disconnect(receive, functools.partial(self._client_gone, session_id, request_id, in_flight)))
        try:
            dumped = await self.answer_call(name, arguments, ctx)  # never raises: every failure is a tool error
        finally:
            _CALL.reset(token)
            if watch is not None:
                watch.cancel()
            if self.in_flight.get(key) is in_flight:
                del self.in_flight[key]
        if watch is not None and watch.done() and not watch.cancelled():
            return True  # the client is gone: nothing to answer, and no one to answer it to
        if in_flight.cancelled:
            # The spec: no result for a cancelled request. This wire ends a POST only with an
            # answer to its id, so it gets the SDK's REQUEST_CANCELLED error, as the SDK sends.
            payload = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": {
                "code": REQUEST_CANCELLED, "message": "Request cancelled"}}, separators=(",", ":")).encode()
        else:
            payload = tool_call_response(version, request_id, name, dumped)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (MCP_SESSION_ID_HEADER.encode(), session_id.encode())]})
        await send({"type": "http.response.body", "body": payload})
        self.answered += 1
        return True


@dataclass(frozen=True)
class _HttpCallContext:
    """What ``session_of`` reads of a request context: the HTTP request."""

    request: Any


class _FastPathTransport(StreamableHTTPServerTransport):
    """The SDK's transport of one MCP session, with ``HttpToolCallFastPath`` first on each POST."""

    fast: HttpToolCallFastPath

    async def _handle_post_request(self, scope: Any, request: Any, receive: Any, send: Any) -> None:
        if await self.fast.answer(self, request, send, receive):
            return
        # Through the SDK: a request whose HTTP client disconnects before its answer is written is
        # cancelled as if the client had sent notifications/cancelled for it on this session.
        request_id = None
        with contextlib.suppress(Exception):  # e.g. the client went away: the SDK's handling reports it
            request_id = _request_id(await request.body())
        if request_id is None or self._read_stream_writer is None:
            await super()._handle_post_request(scope, request, receive, send)
            return
        answered = False

        async def sent(message: Any) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        async def client_gone() -> None:
            if answered or self._read_stream_writer is None:
                return
            self.fast.disconnected += 1
            log.info("request %r of MCP session %s cancelled: its HTTP client disconnected",
                     request_id, self.mcp_session_id)
            cancelled = types.JSONRPCNotification(jsonrpc="2.0", method="notifications/cancelled", params={
                "requestId": request_id, "reason": "the HTTP client disconnected"})
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                await self._read_stream_writer.send(SessionMessage(cancelled, metadata=self._message_metadata(request)))

        watch = asyncio.ensure_future(_until_disconnect(receive, client_gone))
        try:
            await super()._handle_post_request(scope, request, receive, sent)
        finally:
            watch.cancel()


async def _until_disconnect(receive: Any, then: Callable[[], Any]) -> None:
    """Wait for the request's http.disconnect (its body already read), then call ``then`` (a
    coroutine function is awaited)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    done = then()
    if done is not None:
        await done


def _request_id(body: bytes) -> int | str | None:
    """The id of a JSON-RPC request (not a notification, response or initialize) in ``body``."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("method"), str) \
            or message["method"] == "initialize":
        return None
    request_id = message.get("id")
    return request_id if isinstance(request_id, (int, str)) and not isinstance(request_id, bool) else None


class _FastPathSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager; each session's transport gets the tools/call fast path."""

    def __init__(self, server: Server, fast: HttpToolCallFastPath, **options: Any) -> None:
        super().__init__(server, **options)
        self.fast = fast

    def _admit_session(self, requestor: Any) -> StreamableHTTPServerTransport | None:
        transport = super()._admit_session(requestor)
        if transport is not None:
            # Built by the SDK as always; the subclass only puts the fast path before its POST handling.
            transport.__class__ = _FastPathTransport
            transport.fast = self.fast  # type: ignore[attr-defined]
        return transport


def stdio_server_for(dsn: str, token: str, *, ttl: timedelta = DEFAULT_TTL, kinds: Sequence[str] = (),
                     root: Path | None = None, repository: str | None = None,
                     skill: str | None = None) -> tuple[Server, Coordinator]:
    """The server of one stdio connection: its coord session starts with the client's first
    request (initialize) and ends with ``coordinator.end_all()`` when the connection closes."""
    server, coordinator, _ = stdio_connection_for(dsn, token, ttl=ttl, kinds=kinds, root=root, repository=repository,
                                                  skill=skill)
    return server, coordinator


def stdio_connection_for(dsn: str, token: str, *, ttl: timedelta = DEFAULT_TTL, kinds: Sequence[str] = (),
                         root: Path | None = None, repository: str | None = None,
                         skill: str | None = None) -> tuple[Server, Coordinator, ToolCallFastPath]:
    """stdio_server_for, with the tools/call fast path of its pipes (serve_pipes)."""
    connections = Connections(dsn)
    coordinator = Coordinator(connections, ttl=ttl, capabilities=kinds, heartbeats=Connections(dsn), root=root,
                              repository=repository, skill=skill)
    if coordinator.authenticate(token) is None:
        coordinator.close()
        raise registered("PT401", "the token names no principal", hint="check COORD_TOKEN (coord agent add prints one)")

    def session_of(_ctx: Any) -> CoordSession:
        session = coordinator.session_for("stdio", token)
        if session is None:
            raise registered("PT401", "the token names no principal")
        return session

    server = build_server(coordinator, session_of, on_loop=True)

    async def start_on_initialize(ctx: Any, call_next: Any) -> Any:
        # The session starts with the handshake (a client of the stateless protocol era, which
        # sends no initialize, starts it with its first request instead).
        if ctx.method == "initialize":
            await anyio.to_thread.run_sync(lambda: session_of(ctx))
        return await call_next(ctx)

    server.middleware.append(start_on_initialize)

    def answer(name: str, arguments: Mapping[str, Any] | None) -> EncodedToolResult | dict[str, Any]:
        with coordinator.stdio_call() as call:
            answered = answer_tool_call_wire(coordinator, session_of, None, name, arguments)
        if call.cancelled:
            raise _Unanswered
        return answered

    fast = ToolCallFastPath(server, answer)
    return server, coordinator, fast


async def run_connection(server: Server, coordinator: Coordinator, read_stream: Any, write_stream: Any) -> None:
    """Serve one connection with heartbeats; end its session when it closes. The connection
    closes when the database refuses the token on a heartbeat (``coordinator.refused``)."""
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_heartbeats, coordinator, heartbeat_interval(coordinator.ttl), None, tasks.cancel_scope)
            await server.run(read_stream, write_stream, server.create_initialization_options())
            tasks.cancel_scope.cancel()
    finally:
        await anyio.to_thread.run_sync(coordinator.end_all)


class _Unanswered(Exception):
    """A stdio call cancelled because its client is gone: nothing is written."""


class StdoutWatch:
    """Over stdio, a thread that waits for stdout to lose its reader (the client process died:
    POLLERR on a pipe's write end, POLLHUP on a terminal) and then calls ``gone``. Calls run on
    the event loop and block it, so only a thread sees this while a call waits. stdin closing
    is not watched: a client that shuts down, or a pipe of requests (``printf ... | coord mcp``),
    closes it and still reads the answers."""

    def __init__(self, fd: int, gone: Callable[[], None]) -> None:
        stop_read, stop_write = os.pipe()
        self._stop_read = stop_read
        self._stop_write = stop_write
        self._fd = os.dup(fd)
        self._gone = gone
        self.thread = threading.Thread(target=self._watch, name="coord stdout watch", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        poll = select.poll()
        poll.register(self._fd, 0)  # errors and hang-ups only (always reported)
        poll.register(self._stop_read, select.POLLIN)
        try:
            while True:
                events = dict(poll.poll())
                if self._stop_read in events:
                    return
                if events.get(self._fd, 0) & (select.POLLERR | select.POLLHUP):
                    self._gone()
                    return
                if self._fd in events:  # POLLNVAL: not something to watch
                    return
        finally:
            os.close(self._fd)
            os.close(self._stop_read)

    def stop(self) -> None:
        os.write(self._stop_write, b"x")
        self.thread.join()
        os.close(self._stop_write)


class _PipeLines:
    """stdin as lines read by the event loop itself (the SDK's default reads every line, and
    writes every message, on a worker thread: three thread hops per call). A line the fast path
    answers is answered on stdout here and never reaches the SDK."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 fast: ToolCallFastPath | None) -> None:
        self.reader = reader
        self.writer = writer
        self.fast = fast

    def __aiter__(self) -> _PipeLines:
        return self

    async def __anext__(self) -> str:
        while True:
            line = await self.reader.readline()
            if not line:
                raise StopAsyncIteration
            answer = self.fast.answer(line) if self.fast is not None else None
            if answer is None:
                return line.decode("utf-8", errors="replace")
            if not answer:
                continue
            self.writer.write(answer)
            await self.writer.drain()


class _PipeWriter:
    """stdout written by the event loop, flushed with the transport's flow control."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def write(self, text: str) -> None:
        self.writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self.writer.drain()


async def _stdio_pipes(fast: ToolCallFastPath | None, stdin_fd: int,
                       stdout_fd: int) -> tuple[_PipeLines, _PipeWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(stdin_fd), "rb"))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                        os.fdopen(os.dup(stdout_fd), "wb"))
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    return _PipeLines(reader, writer, fast), _PipeWriter(writer)


async def serve_pipes(server: Server, coordinator: Coordinator, fast: ToolCallFastPath | None, stdin_fd: int = 0,
                      stdout_fd: int = 1) -> None:
    """Serve one connection on a pair of pipes (stdin and stdout), with the tools/call fast path."""
    from mcp.server.stdio import stdio_server

    try:
        stdin, stdout = await _stdio_pipes(fast, stdin_fd, stdout_fd)
    except (OSError, ValueError):  # not pipes (a terminal, a file): the SDK's threaded reader
        stdin = stdout = None  # type: ignore[assignment]
    try:
        watch: StdoutWatch | None = StdoutWatch(stdout_fd, coordinator.gone)
    except OSError:  # no stdout to watch: calls run to their end
        watch = None
    try:
        with anyio.CancelScope() as connection:
            async with stdio_server(stdin, stdout) as (read_stream, write_stream):  # type: ignore[arg-type]
                await run_connection(server, coordinator, read_stream, write_stream)
                if coordinator.refused is not None:
                    connection.cancel()  # stop reading stdin too: the client may keep it open
    finally:
        if watch is not None:
            watch.stop()


def serve_stdio(dsn: str, token: str, *, ttl: timedelta = DEFAULT_TTL, kinds: Sequence[str] = (),
                root: Path | None = None, repository: str | None = None, skill: str | None = None) -> None:
    """One connection on stdin/stdout, until stdin closes, or until the database refuses the
    token on a heartbeat: then the PT401 is raised (the CLI prints it and exits 77)."""
    server, coordinator, fast = stdio_connection_for(dsn, token, ttl=ttl, kinds=kinds, root=root,
                                                     repository=repository, skill=skill)

    async def main() -> None:
        await serve_pipes(server, coordinator, fast)

    def stop(_signum: int, _frame: Any) -> None:
        # SIGTERM (a client that gave up waiting): end the session, then exit at once; the
        # thread reading stdin would keep an orderly shutdown waiting for input that never comes.
        try:
            coordinator.end_all(on_heartbeat_connection=True)  # calls run on this thread: see build_server
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        anyio.run(main)
    finally:
        coordinator.end_all()
        coordinator.close()
    if coordinator.refused is not None:
        refused = coordinator.refused
        raise registered("PT401", "coord mcp stopped: the database refused the token while heartbeating the session "
                         "(revoked or expired)", refused.message,
                         "the session's leases are released when its ttl runs out; ask an operator for a new token "
                         "(coord token issue) and restart the MCP server")


def http_app(dsn: str, *, host: str = "127.0.0.1", ttl: timedelta = DEFAULT_TTL, kinds: Sequence[str] = (),
             pool_size: int = 10, idle_timeout: float = IDLE_TIMEOUT, repository: str | None = None,
             skill: str | None = None) -> Any:
    """The streamable HTTP app: a bearer token on every request, each MCP session bound to the
    principal that opened it, a coord session per (MCP session, principal)."""
    from starlette.requests import Request

    connections = Connections(dsn, pool_size=pool_size)
    coordinator = Coordinator(connections, ttl=ttl, capabilities=kinds, repository=repository, skill=skill)

    def identity_of(ctx: Any) -> tuple[str, str]:
        """(connection key, token) of a request."""
        request: Request | None = getattr(ctx, "request", None)
        if request is None:
            raise registered("PT401", "no HTTP request")
        token = bearer_token(request.headers.get("authorization")) or ""
        return request.headers.get("mcp-session-id") or f"bearer:{_digest(token)}", token

    def session_of(ctx: Any) -> CoordSession:
        session = coordinator.request_session(*identity_of(ctx))
        if session is None:
            raise registered("PT401", "the bearer token names no principal")
        return session

    from starlette.applications import Starlette
    from starlette.routing import Route

    # Tool calls (and the SDK's handlers) run on threads of their own, a cheaper hop than anyio's.
    threads = CallThreads()
    server = build_server(coordinator, session_of, in_thread=threads.run, threads=threads)

    async def answer(name: str, arguments: Mapping[str, Any] | None, ctx: Any) -> EncodedToolResult | dict[str, Any]:
        # On the event loop when the session is known and nothing else blocks (call_on_loop);
        # else one worker-thread hop, as the SDK path's: the session, the tool and the call together.
        on_loop = await answer_on_loop(coordinator, identity_of, ctx, name, arguments)
        if on_loop is not None:
            return on_loop

        def on_thread() -> EncodedToolResult | dict[str, Any]:
            try:
                return answer_tool_call_wire(coordinator, session_of, ctx, name, arguments)
            finally:
                with contextlib.suppress(CoordError, psycopg.Error):  # the next call tries again
                    connections.open_loop_connection()

        return await threads.run(on_thread)

    fast = HttpToolCallFastPath(server, answer)
    # What Server.streamable_http_app builds without auth, with the fast path's session manager. A
    # POST is answered with one JSON body rather than an SSE stream: a tool call sends the client
    # no request or notification of its own, and the stream costs a task and a memory-stream hop
    # per call on both ends. (GET still opens the standalone SSE stream.)
    manager = _FastPathSessionManager(server, fast, json_response=True, session_idle_timeout=idle_timeout,
                                      security_settings=_loopback_security(host))
    inner = Starlette(routes=[Route(MCP_PATH, endpoint=StreamableHTTPASGIApp(manager))],
                      lifespan=lambda _app: manager.run())
    return BearerGate(inner, coordinator, heartbeat_interval(ttl), idle_timeout, mcp=manager.handle_request,
                      fast=fast, threads=threads)


MCP_PATH = "/mcp"


def _loopback_security(host: str) -> TransportSecuritySettings | None:
    """DNS-rebinding protection on a loopback address, as Server.streamable_http_app sets it."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                     allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                                     allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"])


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class BearerGate:
    """ASGI: 401 with a JSON body unless the request's bearer token names a principal (asked of
    the database, the answer reused for VERIFIED_FOR seconds); each MCP session belongs to the
    principal that opened it: the request is handed to the SDK as that principal's
    (``scope["user"]``), and the SDK answers a request for another principal's MCP session,
    DELETE included, 404 as if there were none. Ends the coord session when its principal
    DELETEs its MCP session; heartbeats the sessions while the app runs and ends them all when
    it stops."""

    def __init__(self, app: Any, coordinator: Coordinator, interval: float, idle_timeout: float, *,
                 mcp: Any = None, fast: HttpToolCallFastPath | None = None, threads: CallThreads | None = None) -> None:
        self.app = app
        # The MCP endpoint itself (the session manager), called directly: the app's middleware and
        # router only add a layer per request on the way to it.
        self.mcp = mcp
        self.fast = fast
        self.threads = threads  # the app's call threads, stopped when it stops
        self.coordinator = coordinator
        self.interval = interval
        self.idle_timeout = idle_timeout
        # token digest -> (principal id, until, the identity handed to the SDK): built once per check
        self._verified: dict[str, tuple[str, float, Any]] = {}
        self._streams: dict[str, int] = {}  # principal id -> open /events streams

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope.get("headers", ()):  # ASGI header names are lowercase; the last one counts
            if name == b"authorization":
                authorization = value
        token = bearer_token(authorization.decode("latin-1") if authorization is not None else None)
        if token is None:
            await _unauthorized(send, "missing bearer token",
                                "send Authorization: Bearer <token> (coord agent add prints a token)")
            return
        verified = await self._principal(token)
        if verified is None:
            await _unauthorized(send, "the bearer token names no principal (unknown, revoked or expired)",
                                "ask an operator for a new token (coord agent add / coord token issue)")
            return
        principal_id, user = verified
        if scope.get("path") == "/events" and scope.get("method") == "GET":
            if self._streams.get(principal_id, 0) >= STREAMS_PER_PRINCIPAL:
                await _too_many_streams(send)
                return
            self._streams[principal_id] = self._streams.get(principal_id, 0) + 1
            try:
                await serve_events(self.coordinator.connections.dsn, token, _headers(scope), scope, receive, send)
            finally:
                self._streams[principal_id] -= 1
                if not self._streams[principal_id]:
                    del self._streams[principal_id]
            return
        # The SDK binds a new MCP session to this identity and refuses any other on it.
        scope = {**scope, "user": user}
        if scope.get("method") == "DELETE" and (key := _headers(scope).get("mcp-session-id")):
            # The client closes its MCP session: end its coord session (only its own principal's
            # coord session has this key) before the SDK answers.
            await anyio.to_thread.run_sync(lambda: self.coordinator.drop(key, principal_id))
        if self.mcp is not None and scope.get("path") == MCP_PATH:
            await self.mcp(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _principal(self, token: str) -> tuple[str, Any] | None:
        """The principal id of the token, as the database says (None: unknown, revoked or
        expired), and the identity the SDK compares a session's requests by; a yes is remembered
        for VERIFIED_FOR seconds. That only saves a round trip: every tool call verifies the
        token again in the database."""
        digest = _digest(token)
        principal_id, until, user = self._verified.get(digest, ("", 0.0, None))
        if until > time.monotonic():
            return principal_id, user
        principal = await anyio.to_thread.run_sync(lambda: self.coordinator.authenticate(token))
        if principal is None:
            self._verified.pop(digest, None)
            return None
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        principal_id = principal.principal_id
        user = AuthenticatedUser(AccessToken(token=token, client_id=principal_id, scopes=[], subject=principal_id))
        self._verified = {d: v for d, v in self._verified.items() if v[1] > time.monotonic()}  # keep it small
        self._verified[digest] = (principal_id, time.monotonic() + VERIFIED_FOR, user)
        return principal_id, user

    async def _lifespan(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_heartbeats, self.coordinator, self.interval, self.idle_timeout)
            try:
                await self.app(scope, receive, send)
            finally:
                tasks.cancel_scope.cancel()
                await anyio.to_thread.run_sync(self.coordinator.end_all)
                await anyio.to_thread.run_sync(self.coordinator.close)
                if self.threads is not None:
                    self.threads.stop()


def _headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """A request's headers by lowercase name (the last of a repeated name)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def serve_events(dsn: str, token: str, headers: Mapping[str, str], scope: dict[str, Any], receive: Any,
                       send: Any) -> None:
    """GET /events: the caller's event stream as Server-Sent Events (id: the event id, event: its
    type, data: the event as JSON), from after Last-Event-ID (a reconnecting EventSource sends
    it; ?after= otherwise; neither: from now on), ?types=lease.*,task.completed to filter.
    Client.follow on a connection of the stream's own, on a thread: the database decides what
    is handed out and in which order, so a client that resumes misses nothing."""
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    last = headers.get("last-event-id") or (query.get("after") or [None])[0]
    types = [t for v in query.get("types", []) for t in v.split(",") if t] or None
    try:
        after = int(last) if last is not None else None
    except ValueError:
        after = -1  # the database refuses it (CO651)
    stop = threading.Event()
    sender, receiver = anyio.create_memory_object_stream[Any](100)
    portal_token = anyio.lowlevel.current_token()

    def follow() -> None:
        client: Client | None = None
        try:
            client = Client(dsn, token)
            for row in client.follow(after=after, types=types, recheck=2.0, stop=stop.is_set):
                anyio.from_thread.run(sender.send, row, token=portal_token)
                if stop.is_set():
                    return
        except Exception as exc:  # reported to the client as the stream's last event
            with contextlib.suppress(Exception):
                anyio.from_thread.run(sender.send, exc, token=portal_token)
        finally:
            if client is not None:
                client.close()
            with contextlib.suppress(Exception):
                anyio.from_thread.run(sender.aclose, token=portal_token)

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        stop.set()

    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                            (b"x-accel-buffering", b"no")]})
    await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
    try:
        # A thread of its own, not anyio's worker pool: a stream lasts, tool calls must not wait.
        threading.Thread(target=follow, name="coord-events", daemon=True).start()
        async with anyio.create_task_group() as tasks:

            async def watch() -> None:
                await disconnected()
                tasks.cancel_scope.cancel()

            tasks.start_soon(watch)
            async with receiver:
                async for item in receiver:
                    if isinstance(item, BaseException):
                        error = item if isinstance(item, CoordError) else registered("CO551", str(item))
                        data = json.dumps(error.to_dict(), default=str)
                        await send({"type": "http.response.body", "body": f"event: error\ndata: {data}\n\n".encode(),
                                    "more_body": True})
                        break
                    data = json.dumps(_jsonable(item.__dict__), default=str, separators=(",", ":"))
                    chunk = f"id: {item.id}\nevent: {item.event_type}\ndata: {data}\n\n"
                    await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
            tasks.cancel_scope.cancel()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _unauthorized(send: Any, message: str, hint: str) -> None:
    body = json.dumps({"error": "unauthorized", "code": "PT401", "message": message, "hint": hint}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b'Bearer realm="coord"')]})
    await send({"type": "http.response.body", "body": body})


async def _too_many_streams(send: Any) -> None:
    body = json.dumps({"error": "too_many_streams", "code": "PT429",
                       "message": f"this principal already has {STREAMS_PER_PRINCIPAL} open /events streams",
                       "hint": "close a stream first: one stream carries every event type you may read"}).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", b"5")]})
    await send({"type": "http.response.body", "body": body})


def uvicorn_config(app: Any, host: str, port: int, *, read_timeout: float | None = None) -> Any:
    """How coord mcp --http runs ``app`` under uvicorn. Keep-alive longer than uvicorn's 5 s: an
    agent calls in bursts with pauses between them, and every reconnect costs a TCP handshake
    and a new request task. Each answer goes out in one write (its head with its body), not two:
    one TCP segment, one wake-up of the client. A request must arrive whole within
    ``read_timeout`` seconds (default http_writes.READ_TIMEOUT): uvicorn has no such bound."""
    import uvicorn

    from .http_writes import OneWritePerAnswer

    protocol = OneWritePerAnswer
    if read_timeout is not None:
        protocol = type("OneWritePerAnswer", (OneWritePerAnswer,), {"read_timeout": float(read_timeout)})
    return uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", timeout_keep_alive=75,
                          http=protocol)


def serve_http(dsn: str, host: str, port: int, *, ttl: timedelta = DEFAULT_TTL, kinds: Sequence[str] = (),
               pool_size: int = 10, ready: Callable[[int], None] | None = None, repository: str | None = None,
               skill: str | None = None, read_timeout: float | None = None) -> None:
    import uvicorn

    app = http_app(dsn, host=host, ttl=ttl, kinds=kinds, pool_size=pool_size, repository=repository, skill=skill)
    config = uvicorn_config(app, host, port, read_timeout=read_timeout)

    class Announcing(uvicorn.Server):
        """Calls ``ready(port)`` once the socket listens (so a caller waits on it, not on a poll)."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and ready is not None:
                ready(port)

    Announcing(config).run()
