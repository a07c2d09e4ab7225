"""The three ways in: the Python client, PostgREST (replayed statement by statement), and psql.

``postgrest_call`` sends exactly the statements PostgREST v12-v14 sends for ``POST /rpc/<fn>``
(transaction mode, one set_config statement, the pre-request, the call with named arguments
from a JSON body, COMMIT or ABORT) and maps errors to HTTP statuses with PostgREST's table.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.adapt import Dumper

from coordinator.client import Client, FunctionSignature, load_signatures
from coordinator.errors import CoordError


@dataclass
class HttpResponse:
    status: int
    body: Any


def postgrest_status(sqlstate: str, message: str, authenticated: bool) -> int:
    """PostgREST's mapSQLtoHTTP (src/PostgREST/Error.hs)."""
    exact = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503, "P0001": 400,
             "42P01": 404, "42P17": 500}
    if sqlstate in exact:
        return exact[sqlstate]
    if sqlstate == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if sqlstate == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if sqlstate == "42501":
        return 403 if authenticated else 401
    if sqlstate.startswith("PT"):
        return int(sqlstate[2:]) if sqlstate[2:].isdigit() else 500
    prefixes = {"08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
                "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
                "P0": 500, "XX": 500}
    return prefixes.get(sqlstate[:2], 400)


def _main_query(sig: FunctionSignature, keys: list[str]) -> str:
    function = f'"api"."{sig.name}"'
    if keys:
        types = dict(zip(sig.arg_names, sig.arg_types, strict=True))
        ordered = [k for k in sig.arg_names if k in keys]
        columns = ", ".join(f'"{k}"' for k in ordered)
        typed = ", ".join(f'"{k}" {types[k]}' for k in ordered)
        args = ", ".join(f'"{k}" := pgrst_body."{k}"' for k in ordered)
        source = (f"SELECT \"pgrst_call\".* FROM (SELECT %s::json AS json_data) pgrst_payload, "
                  f"LATERAL (SELECT {columns} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) "
                  f"pgrst_body , LATERAL {function}({args}) pgrst_call")
    else:
        source = f'SELECT "pgrst_call".* FROM {function}() pgrst_call'
    alias = sig.return_type.split(".")[-1] if sig.return_type != "record" else sig.name
    if sig.returns_set:
        page, body = "pg_catalog.count(_postgrest_t)", "coalesce(json_agg(_postgrest_t), '[]')"
    else:
        page, body = "1", "coalesce(json_agg(_postgrest_t)->0, 'null')"
    return (f"WITH pgrst_source AS ({source}) SELECT null::bigint AS total_result_set, {page} AS page_total, "
            f"{body} AS body, nullif(current_setting('response.headers', true), '') AS response_headers, "
            f"nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted "
            f'FROM (SELECT "{alias}".* FROM "pgrst_source" AS "{alias}" ) _postgrest_t')


class RawBody(bytes):
    """A request body exactly as PostgREST received it: bytes that need not be valid UTF-8."""


class RawBodyDumper(Dumper):
    oid = postgres.types["text"].oid

    def dump(self, obj: bytes) -> bytes:
        return bytes(obj)


class PostgrestSession:
    """PostgREST's connection: one database session reused for every request, as its pool does."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.conn.adapters.register_dumper(RawBody, RawBodyDumper)
        self.signatures = load_signatures(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgrestSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(self, function: str, raw_body: str | bytes, headers: dict[str, str],
             jwt_claims: dict[str, Any] | None = None) -> HttpResponse:
        """POST /rpc/<function> with raw_body (db-pre-request = api.pre_request). The keys are read
        from the body as PostgREST reads them; a body PostgREST itself cannot parse is its 400.
        jwt_claims: the claims of an Authorization: Bearer JWT that PostgREST (given a jwt-secret)
        accepted; it then runs the request as their role and puts them in request.jwt.claims."""
        if function not in self.signatures:
            return HttpResponse(404, {"code": "PGRST202", "message": f"Could not find the api.{function} function"})
        sig = self.signatures[function]
        body = RawBody(raw_body.encode("utf-8", "surrogatepass") if isinstance(raw_body, str) else raw_body)
        keys = _body_keys(body, sig)
        if keys is None:
            return HttpResponse(400, {"code": "PGRST102", "message": "Empty or invalid json"})
        conn = self.conn
        conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED " + ("READ WRITE" if sig.volatile else "READ ONLY"))
        try:
            conn.execute(
                "select set_config('search_path', %s, true), set_config('role', %s, true), "
                "set_config('request.jwt.claims', %s, true), set_config('request.method', %s, true), "
                "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
                "set_config('request.cookies', %s, true)",
                ('"api", "public"', (jwt_claims or {}).get("role", "coord_anon"),
                 json.dumps(jwt_claims if jwt_claims is not None else {"role": "coord_anon"}), "POST",
                 f"/rpc/{function}",
                 json.dumps({k.lower(): v for k, v in headers.items()}), "{}"))
            conn.execute('select "api"."pre_request"()')
            row = conn.execute(_main_query(sig, keys), [body] if keys else []).fetchone()
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            conn.execute("ABORT")
            diag = exc.diag
            error = {"code": exc.sqlstate, "message": diag.message_primary, "details": diag.message_detail,
                     "hint": diag.message_hint}
            # The JWT role stays coord_anon with opaque tokens, so PostgREST treats 42501 as anonymous.
            return HttpResponse(postgrest_status(exc.sqlstate or "", diag.message_primary or "",
                                                 jwt_claims is not None), error)
        assert row is not None
        status = int(row[4]) if row[4] else 200
        return HttpResponse(status, row[2])


_KEY = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:')


def _body_keys(body: bytes, sig: FunctionSignature) -> list[str] | None:
    """The argument names of a JSON object body. PostgREST decodes the body (aeson) to find them;
    a body that is not JSON is its own 400. Bodies too deep or not UTF-8 for Python's decoder still
    reach PostgreSQL (aeson reads them), so their keys are taken from the text: the argument names
    that appear as object keys."""
    if not body.strip():
        return []
    try:
        decoded = json.loads(body)
    except RecursionError:
        decoded = None
    except (UnicodeDecodeError, ValueError):
        if not body.lstrip().startswith(b"{"):
            return None
        decoded = None
    if decoded is None:
        named = {m.group(1).decode("utf-8", "replace") for m in _KEY.finditer(body)}
        return [name for name in sig.arg_names if name in named]
    if not isinstance(decoded, dict):
        return None
    return list(decoded)


def postgrest_call(dsn: str, function: str, raw_body: str | bytes, headers: dict[str, str]) -> HttpResponse:
    """One request on its own connection (see PostgrestSession)."""
    with PostgrestSession(dsn) as session:
        return session.call(function, raw_body, headers)


def client_call(dsn: str, function: str, arguments: dict[str, Any], token: str | None) -> Any:
    with Client(dsn, token) as client:
        try:
            rows = client.call(function, arguments)
        except CoordError as exc:
            return {"error": exc.code}
        return rows if client.signature(function).returns_set else rows[0]


def psql_call(psql: Path, dsn: str, function: str, arguments: dict[str, Any], token: str | None) -> Any:
    """What a DBA types: begin; select api.login('<token>'); select ... from api.fn(...); commit;"""
    with psycopg.connect(dsn) as conn:
        sig = load_signatures(conn)[function]
    types = dict(zip(sig.arg_names, sig.arg_types, strict=True))
    variables = []
    named = []
    for key, value in arguments.items():
        text = "{" + ",".join(value) + "}" if isinstance(value, list) else str(value)
        variables += ["-v", f"{key}={text}"]
        named.append(f"{key} => :'{key}'::{types[key]}")
    script = "\\set ON_ERROR_STOP 1\n\\set VERBOSITY verbose\nbegin;\n"
    if token:
        script += "select api.login(:'token') is not null as ok \\gset\n"
    script += (f"select coalesce(json_agg(r), '[]') from api.{function}({', '.join(named)}) r;\n"
               "commit;\n")
    run = subprocess.run([str(psql), "-X", "-q", "-A", "-t", "-d", dsn, "-v", f"token={token or ''}", *variables],
                         input=script, capture_output=True, text=True, timeout=60,
                         env={"PGOPTIONS": "-c client_min_messages=warning", "PATH": "/usr/bin:/bin"})
    if run.returncode != 0:
        match = re.search(r"ERROR:\s+([0-9A-Z]{5}):", run.stderr)
        return {"error": match.group(1) if match else run.stderr}
    rows = json.loads(run.stdout.strip())
    return rows if sig.returns_set else rows[0]
