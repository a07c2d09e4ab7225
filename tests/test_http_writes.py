"""coordinator.http_writes: an answer's head goes out with its body in one write; a head that
nothing follows in its turn of the loop (a stream waiting for its first event) still goes out,
at the end of the turn; the bytes and their order are uvicorn's. No database: the protocol is
driven with a transport that records its writes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from coordinator.http_writes import HeadWithBody, OneWritePerAnswer

REQUEST = b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Recording:
    """A transport that records what is written, and when it is closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False  # before the connection was lost

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name in ("sockname", "peername") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An answer in one body, as the MCP fast path sends one."""
    assert (await receive())["body"] == b"{}"
    body = b'{"jsonrpc":"2.0","id":1,"result":{}}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve(protocol: type[HttpToolsProtocol], app: Any, requests: bytes) -> Recording:
    """Feed ``requests`` to one connection of ``protocol`` serving ``app``; what it wrote."""
    transport = Recording()

    async def main() -> None:
        config = uvicorn.Config(app, log_level="warning", lifespan="off", http=protocol)
        config.load()
        state = ServerState()
        connection = protocol(config=config, server_state=state, app_state={})
        connection.connection_made(transport)  # type: ignore[arg-type]
        connection.data_received(requests)
        while state.tasks:
            await asyncio.gather(*state.tasks)
        await asyncio.sleep(0)  # one more turn: a held head is released at the end of its turn
        transport.closed_by_server = transport.closed
        connection.connection_lost(None)

    asyncio.run(main())
    return transport


def test_an_answer_goes_out_in_one_write_with_the_same_bytes() -> None:
    plain = serve(HttpToolsProtocol, answer, REQUEST)
    joined = serve(OneWritePerAnswer, answer, REQUEST)
    assert len(plain.writes) == 2, "uvicorn writes the head, then the body"
    assert len(joined.writes) == 1, joined.writes
    assert joined.writes[0] == b"".join(plain.writes)


def test_keep_alive_answers_each_in_one_write() -> None:
    joined = serve(OneWritePerAnswer, answer, REQUEST * 3)
    assert len(joined.writes) == 3
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") and w.endswith(b'"result":{}}') for w in joined.writes)
    assert not joined.closed_by_server


@pytest.mark.parametrize("connection", [b"keep-alive", b"close"])
def test_a_head_that_nothing_follows_in_its_turn_is_written_at_its_end(connection: bytes) -> None:
    """A stream: the head, then the app waits (here for one turn of the loop) before its body."""
    seen: list[list[bytes]] = []
    transport_of: dict[str, Recording] = {}

    async def stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"connection", connection)]})
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        seen.append(list(transport_of["t"].writes))  # the head is out before the first event
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    class Watching(OneWritePerAnswer):
        def connection_made(self, transport: Any) -> None:
            transport_of["t"] = transport
            super().connection_made(transport)

    written = serve(Watching, stream, REQUEST)
    assert len(seen[0]) == 1 and seen[0][0].startswith(b"HTTP/1.1 200 OK\r\n"), seen
    assert written.writes[0] == seen[0][0] and b"data: 1\n\n" in written.writes[1]
    assert b"".join(written.writes).endswith(b"0\r\n\r\n")
    assert written.closed_by_server == (connection == b"close")


def test_closing_writes_a_held_head_first() -> None:
    async def main() -> Recording:
        transport = Recording()
        held = HeadWithBody(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        held.write(b"head")
        assert transport.writes == [] and not held.is_closing()
        held.close()
        assert transport.writes == [b"head"] and held.is_closing()
        await asyncio.sleep(0)  # the end-of-turn release finds nothing held
        return transport

    assert asyncio.run(main()).writes == [b"head"]
