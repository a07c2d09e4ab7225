"""What every MCP fast path (stdio and HTTP) must show: it answers exactly what the SDK answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol


class Answered(Protocol):
    answered: int


Call = Callable[..., dict[str, Any]]  # call(name, arguments, *, through_sdk=False) -> the tools/call result


class ToolCalls:
    """tools/call for a raw MCP client that has request(method, params) and counts its ids: with
    through_sdk a progress token in _meta, which the fast paths leave to the SDK."""

    next_id: int

    def request(self, method: str, params: Any, **extra: Any) -> dict[str, Any]:
        raise NotImplementedError

    def call(self, name: str, arguments: dict[str, Any] | None, *, through_sdk: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = arguments
        if through_sdk:
            params["_meta"] = {"progressToken": f"p{self.next_id}"}
        answer = self.request("tools/call", params)
        assert set(answer) == {"jsonrpc", "id", "result"}, answer
        return answer["result"]

# One of each kind of answer: rows, no arguments, an array argument, a registered error, a wrong
# JSON type, a function the caller's role may not execute, and no such tool.
CALLS: list[tuple[str, dict[str, Any] | None]] = [
    ("my_locks", {}),  # a set of rows
    ("my_locks", None),  # no arguments at all
    ("check_locks", {"p_paths": ["src/fast.py", "src/other.py"]}),
    ("acquire_lock", {"p_path": "src/fast.py", "p_ttl": "48 hours"}),  # a registered error: isError
    ("acquire_lock", {"p_path": "src/fast.py", "p_ttl": 600}),  # wrong JSON type: 22P02
    ("create_agent", {"p_name": "intruder"}),  # not a tool of an agent: 42883
    ("no_such_tool", {}),
]


def assert_the_fast_path_answers_what_the_sdk_answers(call: Call, fast: Answered) -> None:
    granted = call("acquire_lock", {"p_path": "src/fast.py", "p_ttl": "5 minutes"})
    assert granted["structuredContent"]["code"] == "granted" and not granted["isError"], granted
    renewed_by_sdk = call("acquire_lock", {"p_path": "src/fast.py", "p_ttl": "5 minutes"}, through_sdk=True)
    assert renewed_by_sdk["structuredContent"]["code"] == "renewed"
    assert renewed_by_sdk.keys() == granted.keys(), (granted, renewed_by_sdk)
    assert renewed_by_sdk["structuredContent"].keys() == granted["structuredContent"].keys()
    assert fast.answered == 1
    for name, arguments in CALLS:
        assert call(name, arguments) == call(name, arguments, through_sdk=True), (name, arguments)
    assert fast.answered == 1 + len(CALLS)
    errors = [call(name, arguments) for name, arguments in CALLS[3:]]
    assert all(e["isError"] and json.loads(e["content"][0]["text"])["code"] for e in errors)
