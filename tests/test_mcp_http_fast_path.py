"""coord mcp --http: the tools/call fast path answers exactly what the SDK answers, and only the
plain, well-formed tools/call of an initialized session, sent as the streamable HTTP transport
requires; everything else (other requests, anything odd, every request the SDK refuses before
it reads a body) gets the SDK's own answer.

The app (mcp_server.http_app) runs in this process under uvicorn on a thread, so the test sees
how many calls the fast path answered. The same request sent with ``_meta`` (a progress token,
which a tool call of coord ignores) goes through the SDK: its answer is the reference."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import uvicorn

from coordinator import mcp_server
from coordinator.server import free_port
from tests.conftest import Database, Principal, make_principal
from tests.mcp_fast_path_checks import CALLS, ToolCalls, assert_the_fast_path_answers_what_the_sdk_answers

VERSION = "2025-11-25"
INITIALIZE = {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}


class Served:
    """http_app under uvicorn on a thread of this process."""

    def __init__(self, database: Database) -> None:
        self.app = mcp_server.http_app(database.client_dsn, pool_size=2)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        listening = threading.Event()

        class Announcing(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:
                    listening.set()

        self.server = Announcing(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                lifespan="on"))
        self.thread = threading.Thread(target=lambda: (self.server.run(), listening.set()), daemon=True)
        self.thread.start()
        # Set once the socket listens, or when run() returned without listening (a failed start).
        assert listening.wait(60) and self.server.started, "uvicorn did not start"

    @property
    def fast(self) -> mcp_server.HttpToolCallFastPath:
        assert self.app.fast is not None
        return self.app.fast

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session(ToolCalls):
    """A raw MCP client of one principal: POSTs with the session id, as an agent's client sends them."""

    def __init__(self, served: Served, principal: Principal) -> None:
        self.served = served
        self.http = httpx2.Client(timeout=60)
        self.headers = {"authorization": f"Bearer {principal.token}", "content-type": "application/json",
                        "accept": "application/json, text/event-stream"}
        self.next_id = 0
        response = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INITIALIZE})
        assert response.status_code == 200, response.text
        self.id = response.headers["mcp-session-id"]
        self.headers |= {"mcp-session-id": self.id, "mcp-protocol-version": VERSION}
        assert self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202

    def post(self, message: Any, **headers: str) -> httpx2.Response:
        return self.http.post(self.served.url, content=json.dumps(message).encode(), headers=self.headers | headers)

    def request(self, method: str, params: Any, **extra: Any) -> dict[str, Any]:
        self.next_id += 1
        response = self.post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params, **extra})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json"), response.headers
        assert response.headers["mcp-session-id"] == self.id
        answer = response.json()
        assert answer["id"] == self.next_id, answer
        return answer


@pytest.fixture
def served(committed_db: Database) -> Iterator[Served]:
    with Served(committed_db) as served:
        yield served


def _agent(database: Database, name: str | None = None) -> Principal:
    with database.connect() as conn:
        return make_principal(conn, name, role="agent")


def test_the_fast_path_answers_what_the_sdk_answers(committed_db: Database, served: Served) -> None:
    session = Session(served, _agent(committed_db))
    assert_the_fast_path_answers_what_the_sdk_answers(session.call, served.fast)
    text_id = session.post({"jsonrpc": "2.0", "id": "call-1", "method": "tools/call", "params": {"name": "my_locks"}})
    assert text_id.json()["id"] == "call-1" and text_id.json()["result"]["structuredContent"]["rows"]
    assert served.fast.answered == 2 + len(CALLS) + len(CALLS[3:])


def test_everything_else_gets_the_sdk_s_answer(committed_db: Database, served: Served) -> None:
    owner, intruder = _agent(committed_db, "owner"), _agent(committed_db, "intruder")
    session = Session(served, owner)
    call = {"jsonrpc": "2.0", "id": 90, "method": "tools/call", "params": {"name": "my_locks", "arguments": {}}}
    assert session.request("ping", {})["result"] == {}
    assert session.request("tools/list", {})["result"]["tools"]
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
        assert session.post(message).status_code < 500, message  # the SDK's answer, whatever it is
    malformed = session.http.post(served.url, content=b'{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params":',
                                  headers=session.headers)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == -32700  # the SDK's parse error
    # Requests the transport refuses before it reads a body: the SDK's refusals, unchanged.
    assert session.post(call, accept="text/event-stream").status_code == 406
    assert session.post(call, **{"content-type": "text/plain"}).status_code == 400  # DNS-rebinding middleware's
    headers = {k: v for k, v in session.headers.items() if k != "mcp-session-id"}
    assert session.http.post(served.url, json=call, headers=headers).status_code == 400  # no session id: no session
    assert session.post(call, **{"mcp-session-id": "no-such-session"}).status_code == 404
    # Another principal on the owner's session: 404, as for no session, before any body is read.
    stolen = session.post(call, authorization=f"Bearer {intruder.token}")
    assert stolen.status_code == 404, stolen.text
    assert served.fast.answered == 0
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert served.fast.answered == 1
    served.app.fast.server.middleware.append(lambda ctx, call_next: call_next(ctx))
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert served.fast.answered == 1, "a middleware the fast path would skip: the SDK answers"
    served.app.fast.server.middleware.pop()
    assert session.http.delete(served.url, headers=session.headers).status_code == 200
    assert session.post(call).status_code == 404  # the session is over: the SDK's 404
    assert served.fast.answered == 1


def test_a_fast_call_holds_the_session_open_like_any_request(committed_db: Database, served: Served) -> None:
    """The idle timer of the SDK's session counts a fast-path call as a request in flight: while
    the call runs, the session's countdown is suspended, as for any request the SDK serves."""
    session = Session(served, _agent(committed_db))
    transport = served.app.mcp.__self__._server_instances[session.id]
    assert isinstance(transport, mcp_server._FastPathTransport)
    seen: list[tuple[int, float]] = []
    answer = served.fast.answer_call

    async def watched(name: str, arguments: Any, ctx: Any) -> dict[str, Any]:
        assert transport.idle_scope is not None
        seen.append((transport._requests_in_flight, transport.idle_scope.deadline))
        return await answer(name, arguments, ctx)

    served.fast.answer_call = watched
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert served.fast.answered == 1
    assert seen == [(1, float("inf"))]
