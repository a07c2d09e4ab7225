"""One MCP tool call (stdio and streamable HTTP) against the same call through the Python client.

One invocation, one embedded server (durable commits), one agent session per workload, the
same call in every workload: ``acquire_lock`` on a path the session already holds (a write
transaction that verifies the token and the session, passes the policy gate, renews the lease
and is audited). Workloads, run in interleaved rounds so machine noise hits each alike:

* client     ``Client.call("acquire_lock", ...)`` in the session (x-coord-session)
* mcp_stdio  the official ``mcp`` client's ``call_tool`` to a ``coord mcp`` subprocess over stdio
* mcp_http   the same over streamable HTTP to a ``coord mcp --http`` subprocess (bearer token)
* raw_stdio  a minimal MCP client, as an agent's (Node, Rust) is: after the initialize handshake,
             one newline-delimited JSON-RPC ``tools/call`` written to the server's stdin and its
             answer read from stdout (buffered), on this thread; the server answers it on its
             tools/call fast path
* raw_stdio_sdk  the same with ``_meta`` (a progress token) in the request, which the fast path
             leaves to the SDK's message handling: what the fast path saves
* raw_http   the same as a plain keep-alive POST (``http.client``) with ``Mcp-Session-Id``,
             ``MCP-Protocol-Version`` and the bearer token, the answer read from its JSON body
* raw_http_socket  the same POST written on a kept-alive socket and the answer read by its
             Content-Length: what a compiled HTTP stack (Node's undici, Rust's hyper) costs its
             caller, where ``http.client`` parses headers with the email package (~0.1 ms a call)

The 1.3x goal is judged on the raw clients: an agent's MCP client is not the Python SDK's, whose
own cost (pydantic models, anyio streams, jsonschema validation of every result) is the caller's,
not the server's. The SDK clients stay for comparison.

Calls are sequential (one client). The SDK clients run on an asyncio loop in a second thread of
this process; a call is handed to it and waited for (about 0.05 ms of the figure). CPU per call
is this process's (the caller) and the MCP server process's (from /proc), not PostgreSQL's.

Usage: bin/bench mcp_call [--calls 500] [--rounds 3] [--only raw_stdio,raw_stdio_sdk,raw_http,raw_http_socket]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

import harness
import httpx2
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from coordinator import admin
from coordinator.client import Client
from coordinator.server import free_port

COORD = str(Path(sys.executable).parent / "coord")


def args_for(agent: str) -> dict[str, str]:
    return {"p_path": f"bench/{agent}.py", "p_ttl": "10 minutes"}
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) of a process, from /proc."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Loop:
    """An asyncio loop on its own thread, for the MCP clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


class McpCaller:
    """An MCP client session kept open across rounds by one task of the loop (anyio's contexts
    are left in the task that entered them); ``call()`` hands it one tools/call."""

    def __init__(self, loop: Loop, opener: Callable[[AsyncExitStack], Any], pid: Callable[[], int | None],
                 arguments: dict[str, str]) -> None:
        self.loop = loop
        self.pid = pid
        self.arguments = arguments
        self.requests: asyncio.Queue[asyncio.Future[Any] | None] = loop.run(self._queue())
        ready: asyncio.Future[None] = loop.run(self._future())
        self.task = asyncio.run_coroutine_threadsafe(self._serve(opener, ready), loop.loop)
        loop.run(self._wait(ready))

    async def _queue(self) -> asyncio.Queue[Any]:
        return asyncio.Queue()

    async def _future(self) -> asyncio.Future[None]:
        return asyncio.get_running_loop().create_future()

    async def _wait(self, future: asyncio.Future[Any]) -> Any:
        return await future

    async def _serve(self, opener: Callable[[AsyncExitStack], Any], ready: asyncio.Future[None]) -> None:
        try:
            async with AsyncExitStack() as stack:
                session: ClientSession = await opener(stack)
                ready.set_result(None)
                while (done := await self.requests.get()) is not None:
                    try:
                        done.set_result(await session.call_tool("acquire_lock", self.arguments))
                    except Exception as exc:
                        done.set_exception(exc)
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    async def _call(self) -> Any:
        done = asyncio.get_running_loop().create_future()
        await self.requests.put(done)
        return await done

    def call(self) -> None:
        result = self.loop.run(self._call())
        assert not result.is_error and result.structured_content["ok"], result

    def close(self) -> None:
        self.loop.run(self.requests.put(None))
        self.task.result()


PROTOCOL_VERSION = "2025-11-25"  # the newest revision with the initialize handshake
INITIALIZE = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
              "clientInfo": {"name": "bench-raw-client", "version": "0"}}


class RawStdio:
    """A minimal MCP client over stdio: newline-delimited JSON-RPC on the server's pipes."""

    def __init__(self, dsn: str, token: str, arguments: dict[str, str], *, through_sdk: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")} | {"COORD_DSN": dsn,
                                                                                     "COORD_TOKEN": token}
        self.through_sdk = through_sdk
        # Buffered pipes, flushed after each message: an unbuffered stdout would be read one byte
        # per read(2) by readline (~1,000 system calls per answer, ~0.2 ms of the caller's CPU).
        self.proc = subprocess.Popen([COORD, "mcp"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.arguments = arguments
        self.next_id = 0
        assert "serverInfo" in self.request("initialize", INITIALIZE)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdout is not None
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:  # skip notifications (logging, progress) until the answer
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("coord mcp closed stdout")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def call(self) -> None:
        params: dict[str, Any] = {"name": "acquire_lock", "arguments": self.arguments}
        if self.through_sdk:
            params["_meta"] = {"progressToken": self.next_id}
        result = self.request("tools/call", params)
        assert not result.get("isError") and result["structuredContent"]["ok"], result

    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


class RawHttp:
    """A minimal MCP client over streamable HTTP: keep-alive POSTs with the session id."""

    def __init__(self, url: str, token: str, arguments: dict[str, str]) -> None:
        host, _, rest = url.removeprefix("http://").partition("/")
        self.path = "/" + rest
        self.conn = http.client.HTTPConnection(host)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}
        self.arguments = arguments
        self.next_id = 0
        assert "serverInfo" in self.request("initialize", INITIALIZE)
        self.headers["MCP-Protocol-Version"] = PROTOCOL_VERSION
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, message: dict[str, Any]) -> tuple[http.client.HTTPResponse, bytes]:
        body = json.dumps(message)
        try:
            self.conn.request("POST", self.path, body, self.headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # the server closed the idle keep-alive connection (between rounds): reconnect, as HTTP clients do
            self.conn.close()
            self.conn.request("POST", self.path, body, self.headers)
            response = self.conn.getresponse()
        body = response.read()
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}: {body!r}")
        return response, body

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        response, body = self.post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        if session := response.getheader("mcp-session-id"):
            self.headers["Mcp-Session-Id"] = session
        if response.getheader("content-type", "").startswith("text/event-stream"):
            data = [line[5:] for line in body.split(b"\n") if line.startswith(b"data:")]
            messages = [json.loads(d) for d in data if d.strip()]
        else:
            messages = [json.loads(body)]
        message = next(m for m in messages if m.get("id") == self.next_id)
        if "error" in message:
            raise RuntimeError(message["error"])
        return message["result"]

    def call(self) -> None:
        result = self.request("tools/call", {"name": "acquire_lock", "arguments": self.arguments})
        assert not result.get("isError") and result["structuredContent"]["ok"], result

    def close(self) -> None:
        self.conn.close()  # a fresh connection: the kept-alive one may have been closed by the server
        self.conn.request("DELETE", self.path, headers=self.headers)
        self.conn.getresponse().read()
        self.conn.close()


class SocketResponse:
    """The status and headers of one HTTP/1.1 response, as RawHttp reads them from http.client."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status = status
        self.headers = headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class RawHttpSocket(RawHttp):
    """RawHttp on a plain socket: the request written in one send, the answer read by its length."""

    def __init__(self, url: str, token: str, arguments: dict[str, str]) -> None:
        self.host, _, port = url.removeprefix("http://").partition("/")[0].partition(":")
        self.port = int(port)
        self.sock: socket.socket | None = None
        self.buffer = b""
        super().__init__(url, token, arguments)

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        return sock

    def _read_until(self, sock: socket.socket, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            self.buffer += chunk
        head, self.buffer = self.buffer[:end], self.buffer[end + len(marker):]
        return head

    def _read_exactly(self, sock: socket.socket, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            self.buffer += chunk
        body, self.buffer = self.buffer[:size], self.buffer[size:]
        return body

    def _exchange(self, request: bytes) -> tuple[SocketResponse, bytes]:
        if self.sock is None:
            self.sock = self._connect()
        self.sock.sendall(request)
        status_line, *lines = self._read_until(self.sock, b"\r\n\r\n").decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int(self._read_until(self.sock, b"\r\n"), 16):
                parts.append(self._read_exactly(self.sock, size + 2)[:-2])
            self._read_until(self.sock, b"\r\n")
            body = b"".join(parts)
        else:
            body = self._read_exactly(self.sock, int(headers.get("content-length", "0")))
        return SocketResponse(int(status_line.split(" ", 2)[1]), headers), body

    def post(self, message: dict[str, Any]) -> tuple[Any, bytes]:  # type: ignore[override]
        body = json.dumps(message).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        request = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        try:
            response, data = self._exchange(request)
        except (BrokenPipeError, ConnectionResetError):
            # the server closed the idle keep-alive connection (between rounds): reconnect
            self.sock = None
            response, data = self._exchange(request)
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}: {data!r}")
        return response, data

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        super().close()


def stdio_caller(loop: Loop, dsn: str, token: str) -> McpCaller:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")} | {"COORD_DSN": dsn,
                                                                                 "COORD_TOKEN": token}
    holder: dict[str, int] = {}

    async def open_(stack: AsyncExitStack) -> ClientSession:
        before = set(_children())
        read, write = await stack.enter_async_context(stdio_client(
            StdioServerParameters(command=COORD, args=["mcp"], env=env)))
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        holder["pid"] = next(iter(set(_children()) - before))
        return session

    caller = McpCaller(loop, open_, lambda: holder.get("pid"), args_for("stdio"))
    return caller


def _children() -> list[int]:
    me = os.getpid()
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    out.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return out


def http_caller(loop: Loop, url: str, token: str, pid: int) -> McpCaller:
    async def open_(stack: AsyncExitStack) -> ClientSession:
        http = await stack.enter_async_context(httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}))
        streams = await stack.enter_async_context(streamable_http_client(url, http_client=http))
        session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
        await session.initialize()
        return session

    return McpCaller(loop, open_, lambda: pid, args_for("http"))


def start_http(dsn: str, stack: ExitStack) -> tuple[str, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")} | {"COORD_DSN": dsn}
    proc = subprocess.Popen([COORD, "mcp", "--http", f"127.0.0.1:{port}"], env=env, stderr=subprocess.DEVNULL)
    stack.callback(proc.wait)
    stack.callback(proc.terminate)
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}/mcp", proc.pid
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("coord mcp --http did not start")
        time.sleep(0.05)


def measure(call: Callable[[], None], pid: int | None, calls: int) -> tuple[list[float], tuple[float, float]]:
    """Latencies (ms) of ``calls`` sequential calls, and CPU seconds per call of this process
    and of the MCP server process."""
    latencies = []
    mine0, server0 = time.process_time(), _cpu_of(pid)
    for _ in range(calls):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, ((time.process_time() - mine0) / calls, (_cpu_of(pid) - server0) / calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated workloads to measure (client is always measured)")
    args = parser.parse_args()

    with harness.bench_server() as up, ExitStack() as stack:
        assert up.dsn is not None
        tokens = [admin.add_principal(up.admin_dsn, f"mcp-{i}", tenant="bench").token for i in range(7)]
        client = stack.enter_context(Client(up.dsn, tokens[0]))
        assert client.start_session("bench", [], "10 minutes").ok
        stack.callback(client.end_session)
        loop = Loop()
        stack.callback(loop.close)
        stdio = stdio_caller(loop, up.dsn, tokens[1])
        stack.callback(stdio.close)
        url, http_pid = start_http(up.dsn, stack)
        http = http_caller(loop, url, tokens[2], http_pid)
        stack.callback(http.close)
        raw_stdio = RawStdio(up.dsn, tokens[3], args_for("raw_stdio"))
        stack.callback(raw_stdio.close)
        raw_http = RawHttp(url, tokens[4], args_for("raw_http"))
        stack.callback(raw_http.close)
        raw_stdio_sdk = RawStdio(up.dsn, tokens[5], args_for("raw_stdio_sdk"), through_sdk=True)
        stack.callback(raw_stdio_sdk.close)
        raw_http_socket = RawHttpSocket(url, tokens[6], args_for("raw_http_socket"))
        stack.callback(raw_http_socket.close)

        def client_call() -> None:
            assert client.call("acquire_lock", args_for("client"))[0]["ok"]

        workloads: dict[str, tuple[Callable[[], None], Callable[[], int | None]]] = {
            "client": (client_call, lambda: None), "mcp_stdio": (stdio.call, stdio.pid),
            "mcp_http": (http.call, http.pid), "raw_stdio": (raw_stdio.call, raw_stdio.pid),
            "raw_stdio_sdk": (raw_stdio_sdk.call, raw_stdio_sdk.pid), "raw_http": (raw_http.call, lambda: http_pid),
            "raw_http_socket": (raw_http_socket.call, lambda: http_pid)}
        if args.only:
            keep = {"client", *args.only.split(",")}
            workloads = {name: w for name, w in workloads.items() if name in keep}
        for call, _ in workloads.values():
            for _ in range(50):  # warm up: caches, prepared statements, the server's tool list
                call()
        latencies: dict[str, list[float]] = {name: [] for name in workloads}
        cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in workloads}
        for r in range(args.rounds):
            for name, (call, pid) in workloads.items():
                lat, per_call = measure(call, pid(), args.calls)
                latencies[name].extend(lat)
                cpu[name].append(per_call)
                print(f"round {r + 1}/{args.rounds}  {name:<10} p50 {statistics.median(lat):.2f} ms",
                      file=sys.stderr)
        print(harness.header(up, args.rounds, 0).replace("x 0s per cell", f"x {args.calls} sequential calls"))
        base = harness.percentile(latencies["client"], 50)
        print("| workload | p50 ms | p99 ms | p50 vs client | CPU ms/call: caller | CPU ms/call: MCP server |")
        print("|---|---|---|---|---|---|")
        for name in workloads:
            p50 = harness.percentile(latencies[name], 50)
            p99 = harness.percentile(latencies[name], 99)
            caller = statistics.median(c[0] for c in cpu[name]) * 1000
            server = statistics.median(c[1] for c in cpu[name]) * 1000
            server_cpu = "–" if name == "client" else f"{server:.2f}"
            print(f"| {name} | {p50:.2f} | {p99:.2f} | {p50 / base:.2f}x | {caller:.2f} | {server_cpu} |")


if __name__ == "__main__":
    main()
