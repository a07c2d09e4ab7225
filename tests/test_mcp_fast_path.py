"""coord mcp over stdio: the tools/call fast path answers exactly what the SDK answers, and only
the plain, well-formed tools/call of an initialized connection; everything else reaches the SDK.

The server runs in this process on a pair of OS pipes (serve_pipes, as ``coord mcp`` serves
stdin and stdout); the test speaks newline-delimited JSON-RPC on the other ends. The same request
sent with ``_meta`` (a progress token, which a tool call of coord ignores) goes through the SDK:
its answer is the reference."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from coordinator import mcp_server
from coordinator.client import FunctionSignature
from tests.conftest import Database, make_principal
from tests.mcp_fast_path_checks import ToolCalls, assert_the_fast_path_answers_what_the_sdk_answers

INITIALIZE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}


class Pipes(ToolCalls):
    """A stdio MCP server in a thread of this process, and the client's ends of its pipes."""

    def __init__(self, database: Database, token: str) -> None:
        self.server, self.coordinator, self.fast = mcp_server.stdio_connection_for(database.client_dsn, token)
        # The server's ends stay open until it stops (it duplicates them when it starts).
        to_server, self._to_server = os.pipe()
        self._from_server, from_server = os.pipe()
        self._server_ends = (to_server, from_server)
        self.thread = threading.Thread(target=anyio.run, args=(mcp_server.serve_pipes, self.server, self.coordinator,
                                                               self.fast, to_server, from_server))
        self.thread.start()
        self.writer = os.fdopen(self._to_server, "wb")
        self.reader = os.fdopen(self._from_server, "rb")
        self.next_id = 0

    def send(self, message: Any) -> None:
        self.writer.write(json.dumps(message).encode() + b"\n")
        self.writer.flush()

    def answer(self) -> dict[str, Any]:
        line = self.reader.readline()
        assert line, "the server closed stdout"
        return json.loads(line)

    def request(self, method: str, params: Any, **extra: Any) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params, **extra})
        while True:
            message = self.answer()
            if message.get("id") == self.next_id:
                return message

    def close(self) -> None:
        self.writer.close()
        self.thread.join(30)
        assert not self.thread.is_alive()
        self.reader.close()
        for fd in self._server_ends:
            os.close(fd)
        self.coordinator.close()


@pytest.fixture
def pipes(committed_db: Database) -> Iterator[Pipes]:
    with committed_db.connect() as conn:
        agent = make_principal(conn, None, role="agent")
    served = Pipes(committed_db, agent.token)
    try:
        yield served
    finally:
        served.close()


def _initialize(pipes: Pipes) -> None:
    assert "serverInfo" in pipes.request("initialize", INITIALIZE)["result"]
    pipes.send({"jsonrpc": "2.0", "method": "notifications/initialized"})


def test_the_fast_path_answers_what_the_sdk_answers(pipes: Pipes) -> None:
    _initialize(pipes)
    assert_the_fast_path_answers_what_the_sdk_answers(pipes.call, pipes.fast)


def test_everything_else_reaches_the_sdk(pipes: Pipes) -> None:
    assert pipes.request("ping", {})["result"] == {}
    before = pipes.request("tools/call", {"name": "my_locks", "arguments": {}})
    assert "error" in before, "the SDK refuses a call before initialize"
    _initialize(pipes)
    odd = [
        {"jsonrpc": "2.0", "id": 1.5, "method": "tools/call", "params": {"name": "my_locks"}},
        {"jsonrpc": "2.0", "id": True, "method": "tools/call", "params": {"name": "my_locks"}},
        {"jsonrpc": "2.0", "id": 900, "method": "tools/call", "params": {"name": 7}},
        {"jsonrpc": "2.0", "id": 901, "method": "tools/call", "params": {"name": "my_locks", "arguments": [1]}},
        {"jsonrpc": "2.0", "id": 902, "method": "tools/call", "params": {"name": "my_locks", "task": {}}},
        {"jsonrpc": "2.0", "id": 903, "method": "tools/call", "params": "my_locks"},
        {"jsonrpc": "1.0", "id": 904, "method": "tools/call", "params": {"name": "my_locks"}},
        [{"jsonrpc": "2.0", "id": 905, "method": "tools/call", "params": {"name": "my_locks"}}],
    ]
    for message in odd:
        pipes.send(message)
    pipes.next_id = 1000
    assert pipes.request("ping", {})["result"] == {}  # every odd message was read before the ping
    assert pipes.fast.answered == 0
    assert pipes.request("tools/list", {})["result"]["tools"]
    assert pipes.call("my_locks", {}) == {"content": [{"type": "text", "text": '{"rows": []}'}],
                                          "structuredContent": {"rows": []}, "isError": False}
    assert pipes.fast.answered == 1
    pipes.server.middleware.append(lambda ctx, call_next: call_next(ctx))
    assert pipes.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert pipes.fast.answered == 1, "a middleware the fast path would skip: the SDK answers"


def test_a_malformed_line_is_left_to_the_sdk(pipes: Pipes) -> None:
    _initialize(pipes)
    pipes.writer.write(b'{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {\n')
    pipes.writer.flush()
    assert pipes.request("ping", {})["result"] == {}  # the SDK dropped the line; the connection goes on
    assert pipes.fast.answered == 0
    assert pipes.call("my_locks", {})["structuredContent"] == {"rows": []}


def _signature() -> FunctionSignature:
    return FunctionSignature(name="f", arg_names=(), arg_types=(), n_defaults=0, volatile=True, returns_set=False,
                             return_type="r", comment="")


def _row(name: str) -> dict[str, Any]:
    """A result row holding every kind of value a row holds, with name as its text."""
    now = datetime.now(UTC)
    return {"ok": True, "code": "granted", "reason": None, "id": uuid.uuid4(), "fence": 3, "score": 0.5,
            "at": now, "day": date(2026, 12, 6), "ttl": timedelta(minutes=5), "details": {"rule": None, "at": [now]},
            "paths": ["src/a.py"], "name": name}


def test_the_wire_result_is_the_sdk_s_dump_of_the_result() -> None:
    """The fast path builds its result as a dict: the dump of the CallToolResult the SDK path
    returns, for every kind of value a row holds, one row or a set, and for an error."""
    signature, row = _signature(), _row("é\ud800")
    for returns_set, rows in ((False, [row]), (True, [row, row]), (True, []), (False, [])):
        spec = mcp_server.ToolSpec(replace(signature, returns_set=returns_set), False, False, ())
        dumped = mcp_server.tool_result(spec, rows).model_dump(by_alias=True, mode="json", exclude_none=True)
        assert mcp_server.tool_result_wire(spec, rows) == dumped
    error = mcp_server.call_failed("f", RuntimeError("a bug"))
    assert mcp_server.error_result_wire(error) == mcp_server.error_result(error).model_dump(
        by_alias=True, mode="json", exclude_none=True)


def test_a_result_encoded_once_is_the_response_the_sdk_s_serializer_gives() -> None:
    """The fast paths encode a structured result once and put it into the response twice (as
    structuredContent and as the text copy), in the shape the SDK's serializer gives a result for
    the negotiated version: the response built from the SDK's serialization of the same result as
    a dict (the same JSON; structuredContent spaced as the text copy is), in every handshake-era
    version, one row or a set, with any request id.
    A result holding an infinity (the SDK dumps it as null) keeps the dict."""
    signature, row = _signature(), _row('é\ud800 "quoted" \\ \n')
    for version in HANDSHAKE_PROTOCOL_VERSIONS:
        assert mcp_server._result_shape(version) is not None, f"the SDK's result shape for {version} changed"
        for returns_set, rows in ((False, [row]), (True, [row, row]), (True, []), (False, [])):
            spec = mcp_server.ToolSpec(replace(signature, returns_set=returns_set), False, False, ())
            encoded = mcp_server.tool_result_encoded(spec, rows)
            assert type(encoded) is mcp_server.EncodedToolResult
            for request_id in (7, 'r"1\u00e9'):
                response = json.loads(mcp_server.tool_call_response(version, request_id, "f", encoded))
                assert response == json.loads(mcp_server.tool_call_response(version, request_id, "f",
                                                                            mcp_server.tool_result_wire(spec, rows)))
                assert response["result"]["content"][0]["text"] == encoded.structured
    spec = mcp_server.ToolSpec(signature, False, False, ())
    infinite = [{"ok": True, "score": float("inf")}]
    assert mcp_server.tool_result_encoded(spec, infinite) == mcp_server.tool_result_wire(spec, infinite)
    assert json.loads(mcp_server.tool_call_response("2025-11-25", 1, "f", mcp_server.tool_result_encoded(
        spec, infinite)))["result"]["structuredContent"] == {"ok": True, "score": None}


def test_a_shape_the_serializer_changes_leaves_the_result_to_the_serializer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the SDK's serializer ever rewrite the stand-ins a result's shape is cut at, the
    shape is not used: the encoded result goes through the serializer as a dict, as before."""
    real = mcp_server.serialize_server_result

    def rewriting(method: str, version: str, data: Any) -> dict[str, Any]:
        result = real(method, version, data)
        return {**result, "structuredContent": {key: 1.0 for key in result["structuredContent"]}}

    monkeypatch.setattr(mcp_server, "serialize_server_result", rewriting)
    monkeypatch.setattr(mcp_server, "_RESULT_SHAPES", {})
    assert mcp_server._result_shape("2025-11-25") is None
    encoded = mcp_server.EncodedToolResult('{"ok": true}')
    response = json.loads(mcp_server.tool_call_response("2025-11-25", 1, "f", encoded))
    assert response["result"]["structuredContent"] == {"ok": 1.0}
    assert response["result"]["content"] == [{"type": "text", "text": '{"ok": true}'}]
