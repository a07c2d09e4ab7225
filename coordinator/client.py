"""The Python client: one method per ``api`` function, each call one round trip and one transaction.

The methods are generated from the catalog (``coordinator/api.py``, ``coordinator/results.py``;
``coord docs`` writes them); this module sends the calls and adds what is more than one call.

Every call is two statements sent pipelined, followed by one Sync::

    select "api"."begin_request"($1, $2, $3)     -- 'acquire_lock', <headers with the token and session>, <read only>
    WITH pgrst_source AS (... "api"."fn"("p_x" := pgrst_body."p_x") ...) SELECT ...   -- $1: the arguments as JSON
    Sync

Both are prepared once per connection and then only bound and executed, and the exchange goes
through libpq directly rather than psycopg's cursors (coordinator/wire.py): that is most of the
client's CPU per call.

With no BEGIN, PostgreSQL runs everything before a Sync as one implicit transaction: committed
at the Sync, rolled back whole when any statement fails (the rest is skipped). So a call is one
round trip, one transaction and one commit, as PostgREST's BEGIN ... COMMIT is. A commit that
fails at the Sync (a deferred constraint, a serialization failure SERIALIZABLE finds only then,
a cancel) answers after the call's rows and fails the call with its error.

``api.begin_request`` sets the request context PostgREST's set_config statement sets (role
coord_anon, anonymous claims, method, path, the headers), makes the transaction read-only for a
stable function, and runs ``api.pre_request``, PostgREST's db-pre-request: the token is verified
and the role switched by the same function on both paths, and nothing is decided in Python.

Why two statements and not one: PostgreSQL checks EXECUTE on every function of a statement when
the statement starts, under the role current then. A call folded into begin_request's statement
would be checked against the login role, which may execute only the authentication plumbing;
granting it the api would let a client call any function without the role switch. The second
statement starts after the switch, under the principal's role.

When the connection passed in is already inside a transaction (tests), the call runs in a
savepoint instead (read-write: READ ONLY would outlast the savepoint), through psycopg. A
database older than ``api.begin_request``, or a connection inside a psycopg pipeline of the
caller's, gets PostgREST's own statements (BEGIN, set_config, pre_request, the call, COMMIT),
pipelined in one round trip too.
"""

from __future__ import annotations

import json
import re
import select
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import cache, cached_property
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg import sql as pgsql
from psycopg.adapt import AdaptersMap
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row, dict_row, tuple_row

from . import adapt, sql, wire
from .api import Api
from .config import Settings
from .errors import from_psycopg, json_too_deep, registered
from .outcomes import Outcome
from .results import ApprovalResult, ClaimResult, InboxRow, PrincipalInfo, SessionResult

T = TypeVar("T")
TOKEN_HEADER = "x-coord-token"
SESSION_HEADER = "x-coord-session"
# A JWT (coord token issue --jwt) travels as PostgREST receives it: Authorization: Bearer.
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\Z")
USER_AGENT = "coord-python/0.1"


@dataclass(frozen=True)
class FunctionSignature:
    """An ``api`` function as the catalog describes it."""

    name: str
    arg_names: tuple[str, ...]
    arg_types: tuple[str, ...]
    n_defaults: int
    volatile: bool
    returns_set: bool
    return_type: str
    comment: str

    @property
    def required(self) -> tuple[str, ...]:
        return self.arg_names[: len(self.arg_names) - self.n_defaults]

    @cached_property
    def names(self) -> frozenset[str]:
        """The argument names (every call checks its arguments against them)."""
        return frozenset(self.arg_names)

    @cached_property
    def types(self) -> dict[str, str]:
        """The type of each argument by name (built once: every call checks its arguments)."""
        return dict(zip(self.arg_names, self.arg_types, strict=True))

    @cached_property
    def plain(self) -> dict[str, frozenset[type]]:
        """For each argument, the Python types whose values always fit it as check_argument_types
        checks them with text forms (None and str always; bool, int or float as the type reads
        them): a value of one of these exact types needs no closer look. Empty for arrays (their
        elements are checked) and every type for json and jsonb (any value)."""
        return {name: _plain_types(pg_type) for name, pg_type in zip(self.arg_names, self.arg_types, strict=True)}

    @cached_property
    def required_names(self) -> frozenset[str]:
        """The required arguments without their p_ prefix (the generated methods' names)."""
        return frozenset(name[2:] for name in self.required if name.startswith("p_"))


def load_signatures(conn: psycopg.Connection) -> dict[str, FunctionSignature]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql.API_FUNCTIONS).fetchall()
    return {row["name"]: FunctionSignature(name=row["name"], arg_names=tuple(row["arg_names"]),
                                           arg_types=tuple(row["arg_types"]), n_defaults=row["n_defaults"],
                                           volatile=row["volatile"], returns_set=row["returns_set"],
                                           return_type=row["return_type"], comment=row["comment"])
            for row in rows}


_PSYCOPG_PARAMETER = pgsql.Placeholder()  # %s
PREPARED_PARAMETER = pgsql.SQL("$1")


def rpc_query(signature: FunctionSignature, keys: Sequence[str],
              payload: pgsql.Composable = _PSYCOPG_PARAMETER) -> pgsql.Composed:
    """PostgREST's call of ``api.<fn>`` with named arguments taken from a JSON body (``payload``:
    psycopg's %s, or $1 for a statement the client prepares itself)."""
    function = pgsql.Identifier("api", signature.name)
    if not keys:
        return pgsql.SQL('WITH pgrst_source AS (SELECT "pgrst_call".* FROM {}() pgrst_call) '
                         "SELECT * FROM pgrst_source").format(function)
    types = dict(zip(signature.arg_names, signature.arg_types, strict=True))
    ordered = [name for name in signature.arg_names if name in keys]
    columns = pgsql.SQL(", ").join(pgsql.Identifier(k) for k in ordered)
    typed = pgsql.SQL(", ").join(pgsql.SQL("{} {}").format(pgsql.Identifier(k), pgsql.SQL(types[k])) for k in ordered)
    args = pgsql.SQL(", ").join(
        pgsql.SQL("{} := pgrst_body.{}").format(pgsql.Identifier(k), pgsql.Identifier(k)) for k in ordered)
    return pgsql.SQL(
        'WITH pgrst_source AS (SELECT "pgrst_call".* FROM (SELECT {payload}::json AS json_data) pgrst_payload, '
        "LATERAL (SELECT {columns} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body, "
        "LATERAL {function}({args}) pgrst_call) SELECT * FROM pgrst_source"
    ).format(payload=payload, columns=columns, typed=typed, function=function, args=args)


@dataclass(frozen=True, slots=True)
class RpcCall:
    """The call of one function with one set of arguments, rendered once: for psycopg (``text``,
    %s) and as the statement the client prepares itself (``statement``, $1)."""

    text: str
    statement: wire.Statement
    begin: tuple[bytes, bytes]  # begin_request's function and read-only parameters


_BEGIN_REQUEST = wire.statement(sql.BEGIN_REQUEST_STATEMENT)
_IDLE = TransactionStatus.IDLE
_PIPELINE_OFF = pq.PipelineStatus.OFF
_READ_ONLY = {False: b"f", True: b"t"}


# The JSON values an argument of each type takes. json_to_record (PostgREST's reading of a call's
# JSON body) reads a JSON array or object given for a scalar type as its JSON text, so that
# p_path ["src/app.py"] would be the path '["src/app.py"]': every argument is checked first. A
# string is every type's text form (coord call name=value; the database parses it and refuses a
# bad one) unless ``text_forms`` is off, as for MCP tool calls, whose input schemas name one JSON
# type per argument. null is always passed on: the database decides what a null means.
_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
_NUMBER_TYPES = frozenset({"numeric", "double precision", "real"})
_JSON_TYPES = frozenset({"json", "jsonb"})


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _kinds_of(pg_type: str, text_forms: bool) -> frozenset[str]:
    """The JSON kinds an argument of ``pg_type`` takes (empty: any)."""
    if pg_type in _JSON_TYPES:
        return frozenset()
    if pg_type.endswith("[]"):
        kinds = {"array"}
    elif pg_type == "boolean":
        kinds = {"boolean"}
    elif pg_type in _INTEGER_TYPES:
        kinds = {"integer"}
    elif pg_type in _NUMBER_TYPES:
        kinds = {"integer", "number"}
    else:
        kinds = {"string"}
    return frozenset(kinds | {"string"}) if text_forms else frozenset(kinds)


def _plain_types(pg_type: str) -> frozenset[type]:
    """FunctionSignature.plain for one argument type."""
    if pg_type.endswith("[]"):
        return frozenset()
    if pg_type in _JSON_TYPES:
        return frozenset({str, int, float, bool, type(None), list, dict})
    if pg_type == "boolean":
        return frozenset({str, type(None), bool})
    if pg_type in _INTEGER_TYPES:
        return frozenset({str, type(None), int})
    if pg_type in _NUMBER_TYPES:
        return frozenset({str, type(None), int, float})
    return frozenset({str, type(None)})


def argument_type_error(name: str, pg_type: str, value: Any, *, text_forms: bool = True) -> str | None:
    """Why ``value`` cannot be the JSON of argument ``name`` of type ``pg_type`` (None: it can).
    The elements of an array are checked as the element type; an array inside an array is passed
    on (the database refuses lists that are not flat with its own code, CO241)."""
    if value is None:
        return None
    kinds = _kinds_of(pg_type, text_forms)
    kind = _json_kind(value)
    if kinds and kind not in kinds:
        return f"{name} is {pg_type} and takes {' or '.join(sorted(kinds))}, not {kind}"
    if kind == "array" and pg_type.endswith("[]"):
        element = pg_type[:-2]
        for index, item in enumerate(value):
            if isinstance(item, list):
                continue
            problem = argument_type_error(f"{name}[{index}]", element, item, text_forms=text_forms)
            if problem:
                return problem
    return None


def check_argument_types(signature: FunctionSignature, body: Mapping[str, Any], *, text_forms: bool = True) -> None:
    """22P02 for the first argument whose JSON value does not fit its type (see argument_type_error)."""
    types = signature.types
    for name, value in body.items():
        problem = argument_type_error(name, types[name], value, text_forms=text_forms)
        if problem:
            raise registered("22P02", f"api.{signature.name}: {problem}",
                             hint="check the argument types in docs/api.md: an array or object is never read as "
                                  "text, a number or boolean never as a string")


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _json_value(value: Any) -> Any:
    if type(value) in _JSON_SCALARS:  # the common case, before the slower abstract-class checks below
        return value
    if isinstance(value, timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, (str, bytes, bytearray)):
        return [_json_value(v) for v in value]
    return value


def to_json_value(value: Any) -> Any:
    """JSON for one argument: intervals as 'N seconds', timestamps in ISO 8601, UUIDs as text,
    any sequence as an array; inside arrays and objects too."""
    try:
        return _json_value(value)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


def parse_json(text: str) -> Any:
    """A JSON argument typed by a person (coord call p_x:=..., --payload): JSON nested deeper than
    Python can parse is reported as the database reports JSON deeper than it accepts."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


# json.dumps(body) without building an encoder per call (json.dumps does): the same C encoder
# with the same settings, except the check for circular references, which a body cannot have
# (to_json_value builds every list and dict in it anew, and a circular argument never gets that
# far: building it anew recurses until RecursionError).
_ENCODE = c_make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ",
                         False, False, True) if c_make_encoder is not None else None


def _json_body(body: Mapping[str, Any]) -> str:
    try:
        return "".join(_ENCODE(body, 0)) if _ENCODE is not None else json.dumps(body)
    except RecursionError:
        raise json_too_deep("nested deeper than Python can handle") from None


def _positional(cls: type[T]) -> Callable[[Sequence[Any]], T]:
    """Build ``cls`` from its fields' values in order. A frozen dataclass's __init__ sets each
    field through object.__setattr__ (half the cost of a row of 14 columns); one with nothing
    more to its __init__ (every field a plain init field, no __post_init__, an instance dict)
    gets the same attributes in one update of its dict."""
    names = tuple(field.name for field in fields(cls))  # type: ignore[arg-type]
    params = getattr(cls, "__dataclass_params__", None)
    plain = (params is not None and params.init and not hasattr(cls, "__post_init__")
             and "__slots__" not in cls.__dict__
             and all(field.init and field.name in cls.__annotations__ for field in fields(cls)))  # type: ignore[arg-type]
    if not plain:
        return lambda values: cls(*values)
    new = object.__new__

    def make(values: Sequence[Any]) -> T:
        row = new(cls)
        row.__dict__.update(zip(names, values, strict=True))
        return row
    return make


@cache
def result_row(cls: type[T]) -> Callable[[Any], Callable[[Sequence[Any]], T]]:
    """A row factory for a result dataclass (coordinator/results.py): positional when the
    result's columns are its fields in order, as generated (a third of the cost of building it
    by keyword), else psycopg's class_row (by name)."""
    names = tuple(field.name.encode() for field in fields(cls))  # type: ignore[arg-type]
    by_name = class_row(cls)
    positional = _positional(cls)

    def factory(cursor: Any) -> Callable[[Sequence[Any]], T]:
        result = cursor.pgresult
        if result is not None and tuple(map(result.fname, range(result.nfields))) == names:
            return positional
        return by_name(cursor)
    return factory


def _postgrest_context(function: str, headers: str) -> tuple[str, ...]:
    """The values of PostgREST's set_config statement for POST /rpc/<function>."""
    return ('"api"', "coord_anon", '{"role": "coord_anon"}', "POST", f"/rpc/{function}", headers, "{}")


class Client(Api):
    """A connection to the ``api`` schema that authenticates every call with one token.

    ``Client()`` with no arguments connects where COORD_DSN says (else to the embedded server of
    COORD_DATA_DIR or the default data directory), with COORD_TOKEN, in the session COORD_SESSION
    names (``coord session run`` sets it for the command it runs)."""

    def __init__(self, dsn: str | None = None, token: str | None = None, *,
                 connection: psycopg.Connection | None = None,
                 headers: Mapping[str, str] | None = None, session_id: UUID | str | None = None,
                 adapted: bool = False) -> None:
        # adapted: the connection passed in already has adapt.install's loaders (a pool's
        # configure, the MCP server's connections), so calls need not install them per cursor.
        self._adapted = adapted
        if connection is None:
            # Client() alone is configured as the coord CLI is: COORD_DSN (else the embedded
            # server coord up started, COORD_DATA_DIR), COORD_TOKEN and COORD_SESSION.
            # A DSN passed in means the caller configures the client itself: nothing is read then.
            if dsn is None:
                settings = Settings()
                dsn = settings.client_dsn()
                token = settings.bearer() if token is None else token
                session_id = settings.session_id() if session_id is None else session_id
            try:
                connection = psycopg.connect(dsn, autocommit=True, application_name="coord")
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
            adapt.install(connection)  # ours alone: once, rather than on every call's cursor
            self._owns_connection = self._adapted = True
        else:
            self._owns_connection = False
        self.connection = connection
        self.token = token
        self._inbox_channel: str | None = None  # LISTENed on by wait_for_messages
        self.extra_headers = dict(headers or {})
        # Sent as x-coord-session on every call; start_session sets it.
        self.session_id = session_id
        self._signatures: dict[str, FunctionSignature] | None = None
        self._queries: dict[tuple[str, tuple[str, ...]], RpcCall] = {}
        self._headers_cache: tuple[tuple[Any, ...], str, bytes] | None = None
        self._own_loaders: wire.Loaders | None = None  # the connection's, when adapted

    def close(self) -> None:
        if self._owns_connection:
            self.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- generic call ----------------------------------------------------------------------

    @property
    def signatures(self) -> dict[str, FunctionSignature]:
        if self._signatures is None:
            try:
                self._signatures = load_signatures(self.connection)
            except psycopg.Error as exc:
                raise from_psycopg(exc) from None
        return self._signatures

    def signature(self, function: str) -> FunctionSignature:
        try:
            return self.signatures[function]
        except KeyError:
            raise registered("42883", f"unknown api function {function}",
                             hint="list them with coord call --list") from None

    def _query(self, signature: FunctionSignature, keys: tuple[str, ...]) -> RpcCall:
        """rpc_query rendered once per function and argument set (composing it costs ~0.1 ms)."""
        cached = self._queries.get((signature.name, keys))
        if cached is None:
            cached = self._queries[(signature.name, keys)] = RpcCall(
                rpc_query(signature, keys).as_string(self.connection),
                wire.statement(rpc_query(signature, keys, PREPARED_PARAMETER).as_string(self.connection)),
                (signature.name.encode(), _READ_ONLY[not signature.volatile]))
        return cached

    def request_headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, **{k.lower(): v for k, v in self.extra_headers.items()}}
        if self.token and JWT_SHAPE.match(self.token):
            headers["authorization"] = f"Bearer {self.token}"
        elif self.token:
            headers[TOKEN_HEADER] = self.token
        if self.session_id is not None:
            headers[SESSION_HEADER] = str(self.session_id)
        return headers

    def _headers(self) -> tuple[tuple[Any, ...], str, bytes]:
        """(what the headers were rendered from, their JSON text, its UTF-8): request_headers as
        sent with every call, rendered again only when the token, the session or the extra
        headers changed."""
        key = (self.token, self.session_id, tuple(self.extra_headers.items()))
        cached = self._headers_cache
        if cached is None or cached[0] != key:
            text = json.dumps(self.request_headers())
            cached = self._headers_cache = (key, text, text.encode())
        return cached

    def call(self, function: str, arguments: Mapping[str, Any] | None = None,
             *, row_factory: Any = dict_row, types_checked: bool = False) -> list[Any]:
        """Call ``api.<function>`` with named arguments (omitted ones take their defaults).
        ``types_checked``: the caller has checked the arguments' types already, as strictly (the
        MCP server checks them against the tool's JSON Schema types): not checked again."""
        signature, query, payload, (_, headers, headers_utf8) = self._request(function, arguments, types_checked)
        conn = self.connection
        try:
            if self._one_pipeline():
                result = wire.execute(conn, self._steps(query, payload, headers_utf8))
                return wire.rows(result, self._loaders(), row_factory)
            params = [payload] if payload is not None else []
            with conn.cursor() as cur:
                if not self._adapted:
                    adapt.install(cur)  # the caller's connection keeps its own loaders
                if conn.info.transaction_status == TransactionStatus.IDLE and conn.autocommit:
                    # in a pipeline of the caller's, or a database older than api.begin_request
                    self._postgrest_transaction(cur, (signature.name, headers, not signature.volatile),
                                                query.text, params)
                    result = cur.pgresult
                else:
                    # A savepoint inside the caller's transaction, read-write: READ ONLY would
                    # outlast the savepoint and cannot be turned off again.
                    with conn.transaction():
                        if self._has_begin_request():
                            cur.execute(sql.BEGIN_REQUEST, (signature.name, headers, False))
                        else:
                            cur.execute(sql.SET_REQUEST_CONTEXT, _postgrest_context(signature.name, headers))
                            cur.execute(sql.PRE_REQUEST)
                        cur.execute(query.text, params)
                        result = cur.pgresult
                        cur.execute(sql.END_REQUEST)
                assert result is not None
                return wire.rows(result, wire.Loaders(conn, cur.adapters), row_factory)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None

    def pipelined(self, function: str, arguments: Mapping[str, Any] | None = None, *,
                  types_checked: bool = False) -> list[tuple[wire.Statement, tuple[bytes, ...]]] | None:
        """The call as ``call`` sends it in one pipeline (api.begin_request and the call), for a
        caller that waits for the answer itself (``wire.execute_on_loop``, then ``rows``); None
        when the call does not go as one pipeline (see ``call``). Raises what ``call`` raises
        for the function and its arguments."""
        _, query, payload, headers = self._request(function, arguments, types_checked)
        return self._steps(query, payload, headers[2]) if self._one_pipeline() else None

    def rows(self, result: Any, row_factory: Any = dict_row) -> list[Any]:
        """The rows of a pipeline's answer (``pipelined``), as ``call`` returns them."""
        return wire.rows(result, self._loaders(), row_factory)

    def _request(self, function: str, arguments: Mapping[str, Any] | None, types_checked: bool,
                 ) -> tuple[FunctionSignature, RpcCall, str | None, tuple[tuple[Any, ...], str, bytes]]:
        """The function, its rendered query, the arguments' JSON body and the headers (_headers)."""
        signature = self.signature(function)
        if not arguments:
            return signature, self._query(signature, ()), None, self._headers()
        body = {k: v if type(v) in _JSON_SCALARS else to_json_value(v) for k, v in arguments.items()}
        if not signature.names.issuperset(body):
            unknown = sorted(set(body) - signature.names)
            raise registered("42883", f"api.{function} has no argument {', '.join(unknown)}",
                             hint=f"arguments: {', '.join(signature.arg_names) or '(none)'}")
        if not types_checked:
            plain = signature.plain
            for name, value in body.items():
                if type(value) not in plain[name]:  # a closer look, from the first argument on
                    check_argument_types(signature, body)
                    break
        return signature, self._query(signature, tuple(body)), _json_body(body), self._headers()

    def _one_pipeline(self) -> bool:
        """Whether a call goes as one pipeline: an autocommit connection, idle and not in a
        pipeline of psycopg's, on a database with api.begin_request."""
        conn = self.connection
        pgconn = conn.pgconn
        return (pgconn.transaction_status == _IDLE and pgconn.pipeline_status == _PIPELINE_OFF and conn.autocommit
                and self._has_begin_request())

    @staticmethod
    def _steps(query: RpcCall, payload: str | None,
               headers: bytes) -> list[tuple[wire.Statement, tuple[bytes, ...]]]:
        function, read_only = query.begin
        return [(_BEGIN_REQUEST, (function, headers, read_only)),
                (query.statement, (payload.encode(),) if payload is not None else ())]

    def _loaders(self) -> wire.Loaders:
        """The loaders of the rows: the connection's when adapt.install gave it ours, else a copy
        of its own with ours (the caller's connection keeps its own)."""
        if self._adapted:
            loaders = self._own_loaders
            if loaders is None or loaders.connection is not self.connection:
                loaders = self._own_loaders = wire.Loaders(self.connection)
            return loaders
        loaders = wire.Loaders(self.connection, AdaptersMap(self.connection.adapters))
        adapt.install(loaders)  # type: ignore[arg-type]
        return loaders

    def _has_begin_request(self) -> bool:
        """False for a database older than api.begin_request: the client then sends PostgREST's
        own statements (a client upgraded before its server keeps working)."""
        return "begin_request" in self.signatures

    def _postgrest_transaction(self, cur: psycopg.Cursor[Any], begin: tuple[str, str, bool], query: str,
                               params: list[str]) -> None:
        """PostgREST's five statements, pipelined through psycopg: BEGIN, the request context,
        api.pre_request, the call, COMMIT.

        When a statement fails, PostgreSQL skips the rest of the pipeline, including a statement
        psycopg chose to prepare there (on its sixth use), which psycopg records as prepared all
        the same and would use on every later call (26000). So after a failure the connection
        prepares nothing any more; the ROLLBACK ends the block the skipped COMMIT left open."""
        function, headers, read_only = begin
        conn = self.connection
        try:
            with conn.pipeline():
                conn.execute(sql.BEGIN_READ_ONLY if read_only else sql.BEGIN_READ_WRITE)
                conn.execute(sql.SET_REQUEST_CONTEXT, _postgrest_context(function, headers))
                conn.execute(sql.PRE_REQUEST)
                cur.execute(query, params)
                conn.execute("COMMIT")
        except BaseException:
            if not conn.closed:
                conn.prepare_threshold = None
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
            raise

    def _rows(self, function: str, cls: type[T], **arguments: Any) -> list[T]:
        """The rows of api.<function> as ``cls``; an optional argument left at None is not sent
        (the function's default applies), a required one is sent even when None."""
        required = self.signature(function).required_names
        return self.call(function, {"p_" + k: v for k, v in arguments.items() if v is not None or k in required},
                         row_factory=result_row(cls))

    def _one(self, function: str, cls: type[T], **arguments: Any) -> T:
        return self._rows(function, cls, **arguments)[0]

    def _value(self, function: str, **arguments: Any) -> Any:
        """The value a scalar api.<function> returns (e.g. one jsonb document)."""
        required = self.signature(function).required_names
        rows = self.call(function, {"p_" + k: v for k, v in arguments.items() if v is not None or k in required},
                         row_factory=tuple_row)
        return rows[0][0]

    # --- what is more than one call (the api methods themselves are generated: coordinator/api.py) ---

    def authenticate(self) -> PrincipalInfo | None:
        """api.authenticate; None when the token names no principal."""
        info = super().authenticate()
        return info if info.principal_id is not None else None

    def pre_request(self) -> PrincipalInfo | None:
        """api.pre_request; None when the token names no principal."""
        info = super().pre_request()
        return info if info.principal_id is not None else None

    def start_session(self, agent_type: str | None = None, capabilities: Sequence[str] | None = None,
                      ttl: timedelta | str | None = None, repository: str | None = None,
                      skill: str | None = None) -> SessionResult:
        """Start a session (in ``repository``, else the token's, else default; under ``skill``
        name@version when given); later calls of this client then act in it (x-coord-session)."""
        result = super().start_session(agent_type, capabilities, ttl, repository, skill)
        if result.ok:
            self.session_id = result.session_id
        return result

    def wait_for_task(self, kinds: Sequence[str], lease: timedelta | str | None = None, *, wait: float = 30.0,
                      recheck: float = 2.0) -> ClaimResult:
        """claim_task, waiting up to ``wait`` seconds for work without busy polling.

        When the queue is empty the database names the tenant's NOTIFY channel; this LISTENs on
        it and claims through api.claim_or_wait, which makes this connection a waiting claimer
        (tasks becoming ready are announced only while one waits; only a connection whose LISTEN
        has committed is one, hence LISTEN first, in autocommit), again when a task of any kind
        becomes ready (the wake-up hint) or every ``recheck`` seconds (the backstop for tasks
        whose run_after passes); the last claim ends the wait. The claim itself is always the
        database's decision. Needs an autocommit connection.
        """
        deadline = time.monotonic() + wait
        result = self.claim_task(kinds, lease)
        if result.code != Outcome.EMPTY or wait <= 0:
            return result
        conn = self.connection
        channel = pgsql.Identifier(result.details["channel"])
        try:
            conn.execute(pgsql.SQL("LISTEN {}").format(channel))
            result = self.claim_or_wait(kinds, lease)  # a task may have arrived before LISTEN took effect
            while result.code == Outcome.EMPTY:
                if (remaining := deadline - time.monotonic()) > 0:
                    for _ in conn.notifies(timeout=min(recheck, remaining), stop_after=1):
                        break
                waiting = deadline - time.monotonic() > 0
                result = self.claim_or_wait(kinds, lease, waiting)  # the last look ends the wait
                if not waiting:
                    break
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        finally:
            if not conn.closed:
                conn.execute(pgsql.SQL("UNLISTEN {}").format(channel))
        return result

    def wait_for_messages(self, wait: float = 30.0, limit: int | None = None) -> list[InboxRow]:
        """The unread messages of your inbox (api.inbox), waiting up to ``wait`` seconds for one
        to arrive when there are none, without polling.

        The first wait on a connection calls api.watch_inbox, which keeps the connection
        announced as a watcher until it closes (senders of the tenant NOTIFY only while someone
        watches), and LISTENs on the inbox channel it names; a notification (its payload is a
        message id, nothing else) makes this read the inbox again. The inbox is always the
        database's answer. Needs an autocommit connection of its own.
        """
        deadline = time.monotonic() + wait
        messages = self.inbox(True, None, limit)
        if messages or wait <= 0:
            return messages
        conn = self.connection
        try:
            if self._inbox_channel is None:
                watched = self.watch_inbox()
                if not watched.ok:
                    return messages
                conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(watched.details["channel"])))
                self._inbox_channel = watched.details["channel"]
            messages = self.inbox(True, None, limit)  # a message may have come before LISTEN
            while not messages and (remaining := deadline - time.monotonic()) > 0:
                for _ in conn.notifies(timeout=remaining, stop_after=1):
                    break
                messages = self.inbox(True, None, limit)
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        return messages
    def follow(self, after: int | None = None, types: Sequence[str] | None = None, *, batch: int = 100,
               recheck: float = 5.0, held_recheck: float = 0.2, idle: float | None = None,
               audit: bool = False, stop: Callable[[], bool] | None = None) -> Iterator[Any]:
        """The tenant's event stream (api.events_since) from after ``after`` (an id it handed out; 0:
        from the start; None: from now on), then live: a generator that never ends unless ``idle``
        seconds pass with nothing new (then it returns).

        Registers this connection as a follower (api.follow_events) and LISTENs on the channel
        the database names, so writers announce new events; it reads again on each
        announcement, every ``held_recheck`` seconds while committed events wait behind a
        running transaction (events_head.held; that transaction's end is not announced), and
        every ``recheck`` seconds as the backstop for a missed hint. What is yielded and in which
        order is the database's answer under its visibility rule, so resuming from the last id
        yielded misses nothing and repeats nothing. Needs an autocommit connection of its own.

        ``audit``: every audit event (api.audit_since, operators and auditors) instead of the typed
        stream. ``stop``: checked before each wait; the generator returns once it says True.
        """
        conn = self.connection
        followed = self.follow_events()
        if not followed.ok:
            raise registered("PT403", f"follow_events: {followed.code}: {followed.reason}")
        channel = pgsql.Identifier(followed.details["channel"])
        try:
            conn.execute(pgsql.SQL("LISTEN {}").format(channel))
            # Registered before listening: a writer that saw the registration may have announced
            # before LISTEN took effect, and the first read below sees its events.
            position = self.events_head()[0].id if after is None else after
            quiet_since = time.monotonic()
            while True:
                rows: list[Any] = (self.audit_since(position, batch) if audit
                                   else self.events_since(position, types, batch))
                for row in rows:
                    position = row.id
                    yield row
                if rows:
                    quiet_since = time.monotonic()
                if len(rows) == batch:
                    continue
                if stop is not None and stop():
                    return
                held = self.events_head()[0].held
                wait = held_recheck if held else recheck
                if idle is not None:
                    remaining = idle - (time.monotonic() - quiet_since)
                    if remaining <= 0:
                        return
                    wait = min(wait, remaining)
                for _ in conn.notifies(timeout=wait, stop_after=1):
                    break
        except psycopg.Error as exc:
            raise from_psycopg(exc) from None
        finally:
            if not conn.closed:
                conn.execute(pgsql.SQL("UNLISTEN {}").format(channel))

    def wait_for_approval(self, approval_id: int, timeout: float | timedelta | str | None = None) -> ApprovalResult:
        """api.wait_for_approval, waiting up to ``timeout`` (seconds or an interval; the database
        bounds it) for approval request ``approval_id`` to leave pending, without polling.

        LISTENs on the request's channel (every transition of the request is announced there)
        and asks again when a notification arrives; the state is always the database's answer.
        Needs an autocommit connection.
        """
        return wait_for_approval(self, approval_id, timeout)


def wait_for_approval(client: Client, approval_id: int, timeout: float | timedelta | str | None,
                      max_wait: float | None = None, *, wake: int | None = None) -> ApprovalResult:
    """Client.wait_for_approval, waiting at most ``max_wait`` seconds whatever ``timeout`` says
    (the MCP server's bound on one tool call). ``wake``: a file descriptor whose readability ends
    the wait with 57014 (the MCP server's cancelled call)."""
    wait = timeout if isinstance(timeout, timedelta | str) or timeout is None else timedelta(seconds=timeout)
    result = Api.wait_for_approval(client, approval_id, wait)  # checks the bounds, names the channel
    seconds = float(result.details.get("timeout_seconds") or 0)  # the database read the interval
    if max_wait is not None:
        seconds = min(seconds, max_wait)
    if result.code != Outcome.APPROVAL_PENDING or seconds <= 0:
        return result
    deadline = time.monotonic() + seconds
    conn = client.connection
    channel = pgsql.Identifier(result.details["channel"])
    try:
        conn.execute(pgsql.SQL("LISTEN {}").format(channel))
        result = Api.wait_for_approval(client, approval_id, wait)  # a decision may have come before LISTEN
        while result.code == Outcome.APPROVAL_PENDING and (remaining := deadline - time.monotonic()) > 0:
            _notified(conn, remaining, wake)
            result = Api.wait_for_approval(client, approval_id, wait)
    except psycopg.Error as exc:
        raise from_psycopg(exc) from None
    finally:
        if not conn.closed:
            conn.execute(pgsql.SQL("UNLISTEN {}").format(channel))
    return result


def _notified(conn: psycopg.Connection, timeout: float, wake: int | None) -> None:
    """Wait up to ``timeout`` seconds for a notification on ``conn``; raises QueryCanceled once
    ``wake`` is readable (checked between looks at the connection, which are non-blocking)."""
    if wake is None:
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            break
        return
    deadline = time.monotonic() + timeout
    while True:
        for _ in conn.notifies(timeout=0, stop_after=1):  # the backlog, and what already arrived
            return
        if (remaining := deadline - time.monotonic()) <= 0:
            return
        ready, _, _ = select.select([conn.fileno(), wake], [], [], remaining)
        if wake in ready:
            raise psycopg.errors.QueryCanceled("the wait was cancelled")
