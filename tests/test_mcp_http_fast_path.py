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

import anyio
import anyio.lowlevel
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
    # Once the session, the tools and the loop's connection are there, calls are made on the loop.
    assert served.app.coordinator.calls_on_loop >= len(CALLS) - 3, served.app.coordinator.calls_on_loop


def test_a_call_on_the_loop_whose_connection_was_lost_fails_alone(committed_db: Database, served: Served) -> None:
    """The event loop's connection ends under a call (the database terminated it): that call is
    a tool error, the next one goes to a worker thread (which opens the loop's connection
    again), and the one after is made on the loop again."""
    session = Session(served, _agent(committed_db))
    coordinator = served.app.coordinator
    session.call("my_locks", {})  # the session starts, the tools load, the loop's connection opens
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert coordinator.calls_on_loop == 1
    connection = coordinator.connections.loop_connection
    with committed_db.connect() as conn:
        conn.execute("select pg_terminate_backend(%s)", (connection.info.backend_pid,))
    lost = session.call("my_locks", {})
    assert lost["isError"] and json.loads(lost["content"][0]["text"])["code"], lost
    assert coordinator.calls_on_loop == 2 and connection.closed
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert coordinator.calls_on_loop == 2, "the loop's connection is closed: a worker thread made the call"
    assert coordinator.connections.loop_connection is not connection
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert coordinator.calls_on_loop == 3


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


# --- refusals, repeated headers, chunked bodies, sessions at once, a client that goes away ----------

def _raw_post(served: Served, head: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
    """One POST written as is on a fresh socket (repeated headers, no Content-Length: what an
    HTTP client library will not send), its status and body."""
    import socket

    lines = "".join(f"{k}: {v}\r\n" for k, v in head)
    with socket.create_connection(("127.0.0.1", served.port), timeout=60) as sock:
        sock.sendall(f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{served.port}\r\nconnection: close\r\n{lines}\r\n".encode()
                     + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_text, _, payload = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head_text.lower():
        parts, rest = [], payload
        while True:
            size_text, _, rest = rest.partition(b"\r\n")
            if not (size := int(size_text, 16)):
                break
            parts.append(rest[:size])
            rest = rest[size + 2:]
        payload = b"".join(parts)
    return int(head_text.split(b" ", 2)[1]), payload


def test_every_refusal_before_the_fast_path_is_the_gate_s_or_the_sdk_s(committed_db: Database,
                                                                     served: Served) -> None:
    """Every request the SDK would refuse gets the bearer gate's or the SDK's answer, never the
    fast path's; repeated header names and a chunked body are read as the SDK reads them."""
    owner, intruder = _agent(committed_db, "owner"), _agent(committed_db, "intruder")
    session = Session(served, owner)
    call = {"jsonrpc": "2.0", "id": 90, "method": "tools/call", "params": {"name": "my_locks", "arguments": {}}}
    body = json.dumps(call).encode()

    # No bearer token, an unknown one: 401 with a clear body, before anything else.
    headers = {k: v for k, v in session.headers.items() if k != "authorization"}
    missing = session.http.post(served.url, content=body, headers=headers)
    assert missing.status_code == 401 and missing.json()["code"] == "PT401" and missing.json()["hint"]
    unknown = session.post(call, authorization="Bearer not-a-token")
    assert unknown.status_code == 401 and "names no principal" in unknown.json()["message"]
    # Another principal's token on the session, an unknown session id: 404, as if there were none.
    assert session.post(call, authorization=f"Bearer {intruder.token}").status_code == 404
    assert session.post(call, **{"mcp-session-id": "no-such-session"}).status_code == 404
    # The transport's refusals: Host and Origin (DNS rebinding), Accept, Content-Type.
    assert session.post(call, host="evil.example:80").status_code == 421
    assert session.post(call, origin="http://evil.example").status_code == 403
    assert session.post(call, accept="text/event-stream").status_code == 406
    assert session.post(call, **{"content-type": "text/plain"}).status_code == 400
    # A body over the manager's limit, declared: the SDK's 413.
    limit = served.app.mcp.__self__.max_request_body_size
    too_large = [*session.headers.items(), ("content-length", str(limit + 1))]
    assert _raw_post(served, too_large, body)[0] == 413
    # Malformed JSON-RPC: the SDK's parse error; a request that is not a plain tools/call: its answer.
    malformed = session.http.post(served.url, content=body[:-3], headers=session.headers)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == -32700
    invalid = session.post({"jsonrpc": "2.0", "id": 91, "method": "tools/call", "params": {"name": 7}})
    assert invalid.status_code < 500 and "error" in invalid.json()
    # A protocol version of the modern era (or unknown): the SDK's routing, not this path.
    assert session.post(call, **{"mcp-protocol-version": "2099-01-01"}).status_code >= 400
    assert served.fast.answered == 0

    # Repeated header names (the SDK reads the first of each), no Content-Length (chunked): the
    # fast path answers them as the SDK's transport reads them.
    head = list(session.headers.items())
    status, payload = _raw_post(served, [*head, ("content-length", str(len(body))),
                                         ("x-repeated", "1"), ("x-repeated", "2")], body)
    assert status == 200 and json.loads(payload)["result"]["structuredContent"] == {"rows": []}
    assert served.fast.answered == 1
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    status, payload = _raw_post(served, [*head, ("transfer-encoding", "chunked")], chunked)
    assert status == 200 and json.loads(payload)["result"]["structuredContent"] == {"rows": []}
    assert served.fast.answered == 2

    # The session ended (DELETE): 404 from the SDK, for the owner too.
    assert session.call("my_locks", {})["structuredContent"] == {"rows": []}
    assert served.fast.answered == 3
    assert session.http.delete(served.url, headers=session.headers).status_code == 200
    assert session.post(call).status_code == 404
    assert served.fast.answered == 3


def test_sessions_called_at_once_each_answer_in_their_own_coord_session(committed_db: Database,
                                                                        served: Served) -> None:
    """Several MCP sessions (two of them the same principal's) calling at the same time: each
    call runs in its own MCP session's coord session, one coord session per MCP session."""
    first = _agent(committed_db)
    sessions = [Session(served, p) for p in (first, first, _agent(committed_db), _agent(committed_db))]
    barrier = threading.Barrier(len(sessions))
    failures: list[BaseException] = []

    def work(i: int, session: Session) -> None:
        try:
            barrier.wait(30)
            for n in range(10):
                granted = session.call("acquire_lock", {"p_path": f"src/s{i}/{n}.py", "p_ttl": "5 minutes"})
                assert granted["structuredContent"]["code"] == "granted", granted
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert served.fast.answered == 4 * 10
    with committed_db.connect() as conn:
        by_session = conn.execute("select session_id, array_agg(path order by path) from coord.locks "
                                  "group by session_id").fetchall()
    assert None not in {session_id for session_id, _ in by_session}
    assert sorted(paths for _, paths in by_session) == [sorted(f"src/s{i}/{n}.py" for n in range(10))
                                                       for i in range(len(sessions))]


def test_claim_or_wait_leaves_no_connection_of_the_server_waiting(committed_db: Database, served: Served) -> None:
    """claim_or_wait as a tool: the server's connections (the pool's, the loop's) never LISTEN
    on the task channel, so the call is claim_task and none of them becomes a waiting claimer
    (one would have the tenant announce every ready task for the life of the pool)."""
    principal = _agent(committed_db)
    session = Session(served, principal)
    for through_sdk in (False, True, False, True):  # the loop's connection and the pool's
        empty = session.call("claim_or_wait", {"p_kinds": ["nothing"]}, through_sdk=through_sdk)
        assert empty["structuredContent"]["code"] == "empty", empty
    with committed_db.connect() as conn:
        ran = conn.execute("select count(*) from pg_stat_activity where application_name = 'coord-mcp' "
                           "and position('claim_or_wait' in query) > 0").fetchone()[0]
        waiting = conn.execute(
            "select l.pid from pg_locks as l where l.locktype = 'advisory' and l.objsubid = 1 "
            "and ((l.classid::bigint << 32) | l.objid::bigint) = "
            "coord.task_wait_key((select task_channel from coord.tenants where id = %s), 'waiting')",
            (principal.tenant_id,)).fetchall()
    assert ran >= 1  # the calls ran on the server's connections
    assert waiting == []
    assert served.fast.answered == 2


def test_a_call_whose_client_went_away_is_cancelled(committed_db: Database, served: Served) -> None:
    """A client that drops its connection while its call waits in the database: the call is
    cancelled as notifications/cancelled cancels it (its statement stops, it grants nothing, no
    answer is written), and the session goes on (tests/test_mcp_disconnect.py has the rest)."""
    import socket

    from tests.conftest import wait_for_backends

    holder, waiter = Session(served, _agent(committed_db)), Session(served, _agent(committed_db))
    granted = holder.call("acquire_lock", {"p_path": "src/contended.py", "p_ttl": "5 minutes"})
    fence = granted["structuredContent"]["fence"]
    waiter.call("my_locks", {})  # the waiter's coord session exists before its call waits
    body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {
        "name": "acquire_lock", "arguments": {"p_path": "src/contended.py", "p_ttl": "5 minutes",
                                              "p_wait": "60 seconds"}}}).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in waiter.headers.items())
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=60)
    sock.sendall(f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{served.port}\r\n{head}content-length: {len(body)}\r\n\r\n"
                 .encode() + body)
    waiting = "wait_event = 'PgSleep' and application_name = 'coord-mcp'"  # acquire_lock's re-check pause
    wait_for_backends(committed_db, waiting, 1)
    on_loop = served.app.coordinator.calls_on_loop
    assert on_loop == 1, "the waiting call is made on the event loop, which does not wait for it"
    sock.close()  # the client gives up
    wait_for_backends(committed_db, waiting, 0)  # while the lease is still held
    wait_for_backends(committed_db, "application_name = 'coord-mcp' and state <> 'idle'", 0)
    assert waiter.call("my_locks", {})["structuredContent"]["rows"] == []
    assert served.app.coordinator.calls_on_loop == on_loop + 1, "the loop's connection is free again"
    released = holder.call("release_lock", {"p_path": "src/contended.py", "p_fence": fence})
    assert released["structuredContent"]["ok"], released
    assert served.fast.answered == 4  # the cancelled call is not counted: nothing was answered
    assert (served.fast.cancelled, served.fast.disconnected) == (1, 1)


def test_a_cancelled_call_on_the_loop_waits_for_its_answer(committed_db: Database) -> None:
    """Coordinator.call_on_loop cancelled while its call waits in the database: the cancellation
    waits for the answer (the call ends as it would have: granted once the lease is freed), the
    loop's connection is left idle and free, and the next call is made on it."""
    from coordinator.client import Client
    from tests.conftest import wait_for_backends

    holder, waiter = _agent(committed_db), _agent(committed_db)
    with Client(committed_db.client_dsn, holder.token) as client:
        assert client.start_session("test", [], "5 minutes").ok
        fence = client.call("acquire_lock", {"p_path": "src/cancelled.py", "p_ttl": "5 minutes"})[0]["fence"]
        connections = mcp_server.Connections(committed_db.client_dsn, pool_size=2)
        coordinator = mcp_server.Coordinator(connections)
        try:
            session = coordinator.session_for("test", waiter.token)
            assert session is not None and session.session_id is not None
            coordinator.tool(session, "acquire_lock")  # the role's tools are loaded
            connections.open_loop_connection()
            outcome: list[Any] = []

            async def main() -> None:
                scope = anyio.CancelScope()
                async with anyio.create_task_group() as tasks:

                    async def call() -> None:
                        with scope:  # the answer comes back (the cancellation lands at the next checkpoint)
                            outcome.append(await coordinator.call_on_loop(session, "acquire_lock", {
                                "p_path": "src/cancelled.py", "p_ttl": "5 minutes", "p_wait": "60 seconds"}))

                    tasks.start_soon(call)
                    await anyio.to_thread.run_sync(
                        wait_for_backends, committed_db, "wait_event = 'PgSleep' and application_name = 'coord-mcp'", 1)
                    scope.cancel()  # the caller goes away while the database works
                    await anyio.lowlevel.checkpoint()
                    assert connections.loop_connection_busy and outcome == []
                    await anyio.to_thread.run_sync(lambda: client.call("release_lock", {
                        "p_path": "src/cancelled.py", "p_fence": fence}))

            anyio.run(main)
            assert [row["code"] for row in outcome[0][1]] == ["granted"], outcome
            assert not connections.loop_connection_busy
            assert connections.loop_connection is not None and connections.loop_connection.info.transaction_status == 0

            async def again() -> Any:
                return await coordinator.call_on_loop(session, "my_locks", {})

            _, rows = anyio.run(again)
            assert [row["path"] for row in rows] == ["src/cancelled.py"]  # the cancelled call ended as granted
            assert coordinator.calls_on_loop == 2
        finally:
            coordinator.end_all()
            coordinator.close()


@pytest.mark.parametrize("through_sdk", [False, True], ids=["fast-path", "sdk"])
def test_a_cancelled_call_stops_in_the_database_and_gets_no_result(committed_db: Database, served: Served,
                                                                   through_sdk: bool) -> None:
    """notifications/cancelled for a tools/call in flight: its statement is cancelled in the
    database (acquire_lock stops waiting while the lease is still held: no pg_sleep is left in
    coord-mcp's backends), and the POST gets no result but REQUEST_CANCELLED, the SDK's answer to
    a cancelled request on this wire; on the fast path and through the SDK (a call with _meta).
    The session goes on; the call granted nothing."""
    from tests.conftest import wait_for_backends

    holder, waiter = Session(served, _agent(committed_db)), Session(served, _agent(committed_db))
    granted = holder.call("acquire_lock", {"p_path": "src/cancel-me.py", "p_ttl": "5 minutes"})
    assert granted["structuredContent"]["ok"], granted
    waiter.call("my_locks", {})  # the waiter's coord session exists before its call waits
    answer: dict[str, Any] = {}

    def call() -> None:  # on a client of its own: the cancellation goes over another connection
        body = {"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {
            "name": "acquire_lock", "arguments": {"p_path": "src/cancel-me.py", "p_ttl": "5 minutes",
                                                  "p_wait": "60 seconds"}}}
        if through_sdk:
            body["params"]["_meta"] = {"progressToken": "p77"}  # type: ignore[index]
        with httpx2.Client(timeout=60) as http:
            response = http.post(served.url, content=json.dumps(body).encode(), headers=waiter.headers)
        answer.update(status=response.status_code, body=response.json())

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    waiting = "wait_event = 'PgSleep' and application_name = 'coord-mcp'"  # acquire_lock's re-check pause
    wait_for_backends(committed_db, waiting, 1)
    notified = waiter.post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                            "params": {"requestId": 77, "reason": "the user pressed Esc"}})
    assert notified.status_code == 202, notified.text
    thread.join(60)
    assert not thread.is_alive()
    assert answer["status"] == 200
    assert answer["body"] == {"jsonrpc": "2.0", "id": 77, "error": {"code": -32800, "message": "Request cancelled"}}
    assert served.fast.cancelled == (0 if through_sdk else 1)
    wait_for_backends(committed_db, waiting, 0)  # nothing waits any more, though the lease is still held
    assert waiter.call("my_locks", {})["structuredContent"]["rows"] == []
    again = waiter.call("acquire_lock", {"p_path": "src/other.py", "p_ttl": "5 minutes"})
    assert again["structuredContent"]["ok"], again  # the session (and the connection it used) goes on
    # A cancellation of a call already answered, or of another session's id, changes nothing.
    assert holder.post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                        "params": {"requestId": 77}}).status_code == 202
    assert served.fast.cancelled == (0 if through_sdk else 1)


def test_a_request_whose_body_is_withheld_is_cut_off(committed_db: Database) -> None:
    """coord mcp --http bounds how long a request may take to arrive (uvicorn bounds only idle
    keep-alive): a client that sends a POST's head and withholds its body, or trickles its head,
    is answered 408 and disconnected once the read timeout passes, and the server goes on."""
    import socket

    agent = _agent(committed_db)
    app = mcp_server.http_app(committed_db.client_dsn, pool_size=2)
    port = free_port()
    listening = threading.Event()
    config = mcp_server.uvicorn_config(app, "127.0.0.1", port, read_timeout=1)

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            listening.set()

    server = Announcing(config)
    thread = threading.Thread(target=lambda: (server.run(), listening.set()), daemon=True)
    thread.start()
    assert listening.wait(60) and server.started

    def until_closed(sock: socket.socket) -> bytes:
        answer = b""
        while chunk := sock.recv(4096):  # blocks until the server writes or closes (60 s safety net)
            answer += chunk
        return answer

    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INITIALIZE}).encode()
        head = (f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nauthorization: Bearer {agent.token}\r\n"
                f"content-type: application/json\r\naccept: application/json, text/event-stream\r\n"
                f"content-length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as withheld, \
                socket.create_connection(("127.0.0.1", port), timeout=60) as trickled:
            withheld.sendall(head + body[:10])  # the head and a little of the body, then nothing
            trickled.sendall(head[:20])  # part of the head, then nothing
            answer = until_closed(withheld)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert until_closed(trickled).startswith(b"HTTP/1.1 408 ")
        # The server goes on: a whole request is answered.
        with socket.create_connection(("127.0.0.1", port), timeout=60) as whole:
            whole.sendall(head + body)
            assert whole.recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        server.should_exit = True
        thread.join(60)
    assert not thread.is_alive()
