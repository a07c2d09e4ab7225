"""The client's per-call shortcuts give exactly what the long ways give: the JSON body as
json.dumps writes it, result dataclasses as their constructors build them, JSON values as
json.loads reads them, and the argument checks' answers (coordinator/client.py, adapt.py).

Pure Python: no server needed.
"""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from coordinator import adapt
from coordinator.client import (
    FunctionSignature,
    _json_body,
    _positional,
    argument_type_error,
    check_argument_types,
    to_json_value,
)
from coordinator.errors import CoordError
from coordinator.results import ClaimResult, LockResult

BODIES: list[dict[str, Any]] = [
    {},
    {"p_path": "src/app.py", "p_ttl": "1 minute"},
    {"p_n": 1, "p_f": 1.5, "p_b": True, "p_none": None, "p_big": 2**70, "p_neg": -0.0},
    {"p_text": "é ☃ \u2028 \"quoted\" \\ \n\t \x00", "p_surrogate": "\ud800"},
    {"p_list": [1, [2, [3]], {"a": None}], "p_obj": {"nested": {"deep": [True, False]}}},
    {"p_nan": float("nan"), "p_inf": float("inf"), "p_minf": float("-inf")},
    to_json_value({"p_when": datetime(2026, 12, 7, tzinfo=UTC), "p_ttl": timedelta(minutes=2),
                   "p_id": UUID(int=7), "p_set": ("a", "b")}),
]


@pytest.mark.parametrize("body", BODIES)
def test_the_json_body_is_what_json_dumps_writes(body: dict[str, Any]) -> None:
    assert _json_body(body) == json.dumps(body)


def test_a_value_json_cannot_write_fails_as_json_dumps_fails() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError) as ours:
        _json_body({"p_x": [Opaque()]})
    with pytest.raises(TypeError) as theirs:
        json.dumps({"p_x": [Opaque()]})
    assert str(ours.value) == str(theirs.value)
    assert _json_body({"p_x": [1]}) == '{"p_x": [1]}'  # nothing left behind by the failure


def test_a_body_too_deep_for_python_is_json_too_deep() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(CoordError) as raised:
        _json_body({"p_x": deep})
    assert raised.value.code == "CO242"


@pytest.mark.parametrize("cls", [LockResult, ClaimResult])
def test_result_dataclasses_are_built_as_their_constructor_builds_them(cls: type) -> None:
    values = tuple(f"v{i}" for i in range(len(fields(cls))))
    built = _positional(cls)(values)
    assert built == cls(*values) and hash(built) == hash(cls(*values)) and repr(built) == repr(cls(*values))
    assert type(built) is cls
    with pytest.raises(FrozenInstanceError):
        built.ok = False


def test_a_dataclass_with_more_to_its_init_is_built_by_its_constructor() -> None:
    @dataclass(frozen=True)
    class Checked:
        a: int
        b: int

        def __post_init__(self) -> None:
            if self.a > self.b:
                raise ValueError("a > b")

    with pytest.raises(ValueError, match="a > b"):
        _positional(Checked)((2, 1))
    assert _positional(Checked)((1, 2)) == Checked(1, 2)

    @dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    assert _positional(Slotted)((1,)) == Slotted(1)


@pytest.mark.parametrize("text", [b'{"a": 1, "b": [true, null]}', b" [1, 2] ", b'"x"', b"null", b"1.5", b"\n{}\n",
                                  '{"é": "☃"}'.encode(), b'{"a": "\\ud800"}'])
def test_json_values_load_as_json_loads_reads_them(text: bytes) -> None:
    assert adapt.load_json(text) == json.loads(text)


@pytest.mark.parametrize("text", [b"", b'{"a": 1} x', b"[1,", b"nul"])
def test_bad_json_fails_as_json_loads_fails(text: bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        adapt.load_json(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)


TYPES = ["text", "boolean", "smallint", "integer", "bigint", "numeric", "double precision", "real", "json",
         "jsonb", "uuid", "interval", "timestamp with time zone", "text[]", "bigint[]", "jsonb[]"]
VALUES: list[Any] = [None, "x", "", True, False, 0, 1, -5, 2**70, 1.5, float("nan"), [], ["a"], [1, "2"], [[1]],
                     [True], {}, {"a": 1}]


def test_the_exact_type_shortcut_never_passes_what_the_check_refuses() -> None:
    """FunctionSignature.plain: a value of one of its types passes check_argument_types."""
    signature = FunctionSignature(name="f", arg_names=tuple(f"p_{i}" for i in range(len(TYPES))),
                                  arg_types=tuple(TYPES), n_defaults=0, volatile=True, returns_set=False,
                                  return_type="void", comment="")
    for name, pg_type in signature.types.items():
        for value in VALUES:
            if type(value) in signature.plain[name]:
                assert argument_type_error(name, pg_type, value) is None, (pg_type, value)
                check_argument_types(signature, {name: value})


def test_required_names_are_the_required_arguments_without_their_prefix() -> None:
    signature = FunctionSignature(name="f", arg_names=("p_a", "b", "p_c"), arg_types=("text",) * 3, n_defaults=1,
                                  volatile=True, returns_set=False, return_type="void", comment="")
    assert signature.required_names == {"a"}  # b has no p_ prefix: the generated methods never send it as p_b
