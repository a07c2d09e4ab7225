"""CallThreads: the HTTP MCP server's worker threads keep anyio.to_thread.run_sync's semantics:
the result or the exception comes back, the caller's context variables are seen, at most
``limit`` threads run, and a cancelled caller waits for its call to end."""

from __future__ import annotations

import contextvars
import threading

import anyio
import pytest

from coordinator.call_threads import CallThreads

who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def test_a_call_returns_its_result_or_raises_its_exception_in_the_caller_s_context() -> None:
    threads = CallThreads()

    def fail() -> None:
        raise LookupError("from the thread")

    async def main() -> None:
        who.set("the caller")
        assert await threads.run(who.get) == "the caller"
        assert await threads.run(threading.current_thread) is not threading.current_thread()
        with pytest.raises(LookupError, match="from the thread"):
            await threads.run(fail)
        assert await threads.run(lambda: 42) == 42

    anyio.run(main)
    assert threads.threads == 1, "sequential calls reuse the idle thread"
    threads.stop()


def test_no_more_threads_than_the_limit_and_every_call_runs() -> None:
    threads = CallThreads(limit=2)
    started = threading.Semaphore(0)
    release = threading.Event()
    done: list[int] = []

    def hold(i: int) -> int:
        started.release()
        release.wait()
        return i

    async def call(i: int) -> None:
        done.append(await threads.run(lambda: hold(i)))

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for i in range(5):
                tasks.start_soon(call, i)
            for _ in range(2):
                await anyio.to_thread.run_sync(started.acquire)
            await anyio.wait_all_tasks_blocked()
            assert threads.threads == 2 and not done  # both threads hold a call; the others wait
            release.set()

    anyio.run(main)
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert threads.threads == 2
    threads.stop()


def test_a_cancelled_caller_waits_for_its_call_to_end() -> None:
    """As anyio's run_sync (abandon_on_cancel=False): the request does not move on while its
    database call still runs."""
    threads = CallThreads()
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def hold() -> None:
        started.set()
        release.wait()
        order.append("the call ended")

    async def caller(scope_ready: list[anyio.CancelScope]) -> None:
        with anyio.CancelScope() as scope:
            scope_ready.append(scope)
            try:
                await threads.run(hold)
            finally:
                order.append("the caller went on")
        assert scope.cancelled_caught

    async def main() -> None:
        scopes: list[anyio.CancelScope] = []
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(caller, scopes)
            await anyio.to_thread.run_sync(started.wait)
            scopes[0].cancel()
            await anyio.wait_all_tasks_blocked()
            assert order == [], "the caller left while its call was running"
            release.set()
        assert order == ["the call ended", "the caller went on"]

    anyio.run(main)
    threads.stop()
