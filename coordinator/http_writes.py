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


class OneWritePerAnswer(HttpToolsProtocol):
    """uvicorn's httptools protocol; each new request's cycle writes through ``HeadWithBody``."""

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not previous:  # a new request (not a WebSocket upgrade)
            self.cycle.transport = HeadWithBody(self.cycle.transport, self.loop)  # type: ignore[assignment]
