"""One write per HTTP answer: uvicorn's httptools protocol with a response's head sent together
with its first body part.

uvicorn writes an answer's head (status line and headers) when the app sends
``http.response.start`` and its body when the app sends ``http.response.body``; uvloop writes
each at once, so an answer in one body goes out as two ``write()`` calls and two TCP segments
(176 and ~780 bytes for a tool call of ``coord mcp --http``), and the client wakes for the head
alone. Here the head is held until the body's first part is written in the same turn of the
event loop and both go out in one write; a head that nothing follows in that turn (a stream
that waits for its first event) is written at the end of the turn. Nothing else changes: the
bytes, their order, keep-alive, flow control and closing are uvicorn's.

It also bounds how long a request may take to arrive: uvicorn times out only an idle keep-alive
connection, so a client that sends a request's head and then withholds or trickles its body
(or trickles the head) held the connection, and the app's task waiting for the body, forever.
A request must arrive whole within ``read_timeout`` seconds of its first byte (a new connection:
of the connection); otherwise it is answered 408 (when nothing was answered yet) and the
connection is closed, which ends the app's wait for the body as a disconnect.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadWithBody:
    """The transport of one request/response cycle: its first write (the head) is held until the
    next write of the same loop turn, or written at the end of the turn; every other call goes to
    the connection's transport."""

    __slots__ = ("held", "loop", "transport", "written")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.held: bytes | None = None
        self.written = False  # the head was seen: later writes go straight through

    def write(self, data: bytes) -> None:
        if self.held is not None:
            data, self.held = self.held + data, None
        elif not self.written:
            self.written = True
            self.held = bytes(data)
            self.loop.call_soon(self.release)
            return
        self.transport.write(data)

    def release(self) -> None:
        """Write the held head, if it is still held (nothing followed it in its turn)."""
        if self.held is not None:
            held, self.held = self.held, None
            self.transport.write(held)

    def close(self) -> None:
        self.release()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


READ_TIMEOUT = 30.0  # seconds for a request (head and body) to arrive once it began
_TIMED_OUT_BODY = b"the request did not arrive in time\n"
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"content-length: " + str(len(_TIMED_OUT_BODY)).encode() + b"\r\nconnection: close\r\n\r\n"
              + _TIMED_OUT_BODY)


class OneWritePerAnswer(HttpToolsProtocol):
    """uvicorn's httptools protocol; each new request's cycle writes through ``HeadWithBody``,
    and a request that does not arrive whole within ``read_timeout`` seconds is cut off."""

    read_timeout = READ_TIMEOUT
    _read_timer: asyncio.TimerHandle | None = None
    _begun: Any = None  # the cycle current when the arriving request began (False: none began)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begun = False
        self._arm_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begun = self.cycle
        self._arm_read_timer()

    def on_message_complete(self) -> None:
        self._disarm_read_timer()
        super().on_message_complete()

    def _arm_read_timer(self) -> None:
        self._disarm_read_timer()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        # Unanswered: a request whose head is still arriving (no cycle of its own yet), or whose
        # app has not started its answer (it waits for the body).
        if self._begun is not False and (cycle is self._begun or not cycle.response_started):
            self.transport.write(_TIMED_OUT)
        if cycle is not None and cycle is not self._begun and not cycle.response_complete:
            cycle.disconnected = True  # the app's wait for the body ends; what it sends is dropped
            cycle.message_event.set()
        self.transport.close()

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not previous:  # a new request (not a WebSocket upgrade)
            self.cycle.transport = HeadWithBody(self.cycle.transport, self.loop)  # type: ignore[assignment]
