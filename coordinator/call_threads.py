"""Worker threads for blocking calls made from the event loop (the HTTP MCP server's database calls)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import anyio

T = TypeVar("T")

# anyio's default thread limit (its default CapacityLimiter), which these calls went through before.
DEFAULT_LIMIT = 40


class _Call(Generic[T]):
    __slots__ = ("context", "ended", "fn", "future", "loop", "waiter")

    def __init__(self, fn: Callable[[], T], loop: asyncio.AbstractEventLoop) -> None:
        self.fn = fn
        self.loop = loop
        self.context = contextvars.copy_context()
        self.future: asyncio.Future[T] = loop.create_future()
        self.ended = False
        self.waiter: asyncio.Future[None] | None = None  # set by a cancelled caller that waits for the end

    def deliver(self, result: Any, error: BaseException | None) -> None:
        """On the loop: the call has ended."""
        self.ended = True
        if not self.future.done():
            if error is None:
                self.future.set_result(result)
            else:
                self.future.set_exception(error)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class CallThreads:
    """``await threads.run(fn)``: ``fn()`` on a worker thread, as ``anyio.to_thread.run_sync(fn)``
    runs it, for about a third of its CPU on the event loop (~17 against ~45 us a call in a
    micro-benchmark: no capacity limiter, cancel scope, backend lookup or per-call thread
    bookkeeping; the call is put on a queue that idle threads take from).

    The same semantics as anyio's default: at most ``limit`` threads (anyio's default limit),
    started as needed and kept; calls beyond it wait their turn; ``fn`` runs in a copy of the
    caller's context variables; a caller cancelled while ``fn`` runs waits, shielded, for ``fn``
    to end before the cancellation goes on (anyio's ``abandon_on_cancel=False``): a database
    call is never left running behind a request that has moved on."""

    def __init__(self, limit: int = DEFAULT_LIMIT, *, name: str = "coord call") -> None:
        self.limit = limit
        self.name = name
        self._queue: queue.SimpleQueue[_Call[Any] | None] = queue.SimpleQueue()
        # A token per time a thread became free again (a C queue: cheaper than a Semaphore).
        self._idle: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def threads(self) -> int:
        return len(self._threads)

    async def run(self, fn: Callable[[], T], *, on_cancel: Callable[[], object] | None = None) -> T:
        """``fn()`` on a worker thread; ``on_cancel`` (on a thread of its own) when the caller is
        cancelled while ``fn`` runs, to make ``fn`` end sooner (cancel its database statement)."""
        call: _Call[T] = _Call(fn, asyncio.get_running_loop())
        try:
            self._idle.get_nowait()
        except queue.Empty:
            self._start_thread()
        self._queue.put(call)
        try:
            return await call.future
        except asyncio.CancelledError:
            if not call.ended:
                if on_cancel is not None:
                    threading.Thread(target=on_cancel, name=f"{self.name} cancel", daemon=True).start()
                call.waiter = call.loop.create_future()
                with anyio.CancelScope(shield=True):
                    await call.waiter
            raise

    def _start_thread(self) -> None:
        with self._lock:
            if len(self._threads) >= self.limit:
                return
            thread = threading.Thread(target=self._work, name=f"{self.name} {len(self._threads) + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        while (call := self._queue.get()) is not None:
            result: Any = None
            error: BaseException | None = None
            try:
                result = call.context.run(call.fn)
            except BaseException as exc:  # handed to the caller, as anyio does
                error = exc
            # Free before the caller hears of it, so that its next call finds this thread idle.
            self._idle.put(None)
            with contextlib.suppress(RuntimeError):  # the loop is closed: no one waits for this call any more
                call.loop.call_soon_threadsafe(call.deliver, result, error)
            del call, result, error

    def stop(self) -> None:
        """Let every thread end once the calls queued before this have ended."""
        with self._lock:
            for _ in self._threads:
                self._queue.put(None)
            self._threads.clear()
