"""The Python client's api layer, generated from the catalog: ``coordinator/api.py`` (one method
per ``api`` function, its arguments and documentation) and ``coordinator/results.py`` (one frozen
dataclass per result shape). ``coord docs`` writes them with docs/api.md; a test fails when the
committed files differ from what the catalog generates, so an api function added in the
database reaches the client by running ``coord docs``, and nobody edits the mirror by hand.

What the catalog cannot say is below: names for the rows of RETURNS TABLE functions (composite
types name their own class) and the set-returning functions that always return one row.
Everything else (argument names, order, defaults, types, columns, docstrings) is read from
``pg_proc``, ``pg_type`` and ``COMMENT ON``. Columns are typed ``T | None``: PostgreSQL records
no NOT NULL for composite attributes or RETURNS TABLE columns.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from .client import FunctionSignature, load_signatures
from .sql import RESULT_COLUMNS

PACKAGE_DIR = Path(__file__).resolve().parent

# Classes for the rows of RETURNS TABLE functions; a function not named here gets <Name>Row.
TABLE_RESULT_NAMES = {
    "check_locks": "LockCheck",
    "explain_operation": "GuardrailExplanation",
    "fleet_status": "FleetStatus",
    "list_alert_rules": "AlertRule",
    "list_alerts": "Alert",
    "list_archives": "ArchiveRow",
    "list_guardrail_violations": "GuardrailViolation",
    "list_guardrail_vocabulary": "GuardrailWord",
    "list_guardrails": "GuardrailRule",
    "list_leases": "Lease",
    "list_network_rules": "NetworkRule",
    "list_principals": "PrincipalRow",
    "list_tokens": "TokenRow",
    "my_locks": "HeldLock",
    "query_audit": "AuditEvent",
    "query_restored_audit": "RestoredEvent",
}

# Set-returning functions whose answer is always exactly one row: the method returns that row.
ONE_ROW = {"explain_operation"}

# Marks, in the class each function returns, a scalar result: the Python type of the value.
SCALAR_PREFIX = "scalar:"

_SCALARS = {  # PostgreSQL type -> (argument type, column type)
    "text": ("str", "str"),
    "boolean": ("bool", "bool"),
    "smallint": ("int", "int"),
    "integer": ("int", "int"),
    "bigint": ("int", "int"),
    "interval": ("timedelta | str", "timedelta"),
    "timestamp with time zone": ("datetime | str", "datetime"),
    "date": ("date | str", "date"),
    "uuid": ("UUID | str", "UUID"),
    "jsonb": ("Any", "Any"),
    "json": ("Any", "Any"),
}

_RESULT_SHAPES = """
select p.proname as name,
       t.typtype = 'c' as composite,
       case when t.typtype = 'c' then pg_catalog.format_type(p.prorettype, null) end as type_name,
       pg_catalog.format_type(p.prorettype, null) as return_type,
       coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), '') as type_comment,
       {RESULT_COLUMNS}
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
join pg_catalog.pg_type as t on t.oid = p.prorettype
where n.nspname = 'api'
order by p.proname
""".replace("{RESULT_COLUMNS}", RESULT_COLUMNS)


@dataclass(frozen=True)
class Shape:
    """A result class: its name, documentation and columns (name, PostgreSQL type)."""

    name: str
    doc: str
    columns: tuple[tuple[str, str], ...]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _python_type(pg_type: str, column: bool) -> str:
    if pg_type.endswith("[]"):
        element = _python_type(pg_type[:-2], column)
        return f"list[{element}]" if column else f"Sequence[{element}]"
    scalar = _SCALARS.get(pg_type)
    if scalar is None:
        return "Any"
    return scalar[1] if column else scalar[0]


def _optional(python_type: str) -> str:
    return python_type if python_type == "Any" else f"{python_type} | None"


def _parameter(arg_name: str) -> str:
    if not arg_name.startswith("p_") or keyword.iskeyword(arg_name[2:]):
        raise ValueError(f"api argument {arg_name}: the client names arguments p_<name>, <name> not a keyword")
    return arg_name[2:]


def _wrapped(head: str, items: list[str], tail: str, indent: str) -> list[str]:
    """head + items joined by ', ' + tail, wrapped at 120 columns with continuation lines
    aligned after head's opening parenthesis."""
    lines = [head]
    for index, item in enumerate(items):
        piece = item + (", " if index < len(items) - 1 else tail)
        if len(lines[-1]) + len(piece.rstrip()) > 120:
            lines[-1] = lines[-1].rstrip()
            lines.append(indent)
        lines[-1] += piece
    if not items:
        lines[-1] += tail
    return lines


def _imports(types: set[str]) -> list[str]:
    """The import lines the annotations in ``types`` need."""
    names = set(re.findall(r"[A-Za-z_]+", " ".join(types)))
    lines = ["from collections.abc import Sequence"] if "Sequence" in names else []
    dates = [t for t in ("date", "datetime", "timedelta") if t in names]
    if dates:
        lines.append(f"from datetime import {', '.join(dates)}")
    if "Any" in names:
        lines.append("from typing import Any")
    if "UUID" in names:
        lines.append("from uuid import UUID")
    return lines


def _docstring(text: str, indent: str) -> list[str]:
    body = (text.strip() or "(undocumented)").replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = textwrap.wrap(body, width=110 - len(indent), break_long_words=False, break_on_hyphens=False)
    if len(lines) == 1 and len(indent) + len(lines[0]) + 6 <= 110:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}', *(f"{indent}{line}" for line in lines[1:]), f'{indent}"""']


def _shapes(conn: psycopg.Connection) -> tuple[dict[str, Shape], dict[str, str]]:
    """Result classes by name, and the class each api function returns."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_RESULT_SHAPES).fetchall()
    shapes: dict[str, Shape] = {}
    returns: dict[str, str] = {}
    for row in rows:
        if row["composite"]:
            name = _camel(row["type_name"].split(".")[-1])
            doc = row["type_comment"] or f"The type {row['type_name']}."
        else:
            name = TABLE_RESULT_NAMES.get(row["name"], _camel(row["name"]) + "Row")
            doc = f"A row of api.{row['name']}."
        columns = tuple(zip(row["column_names"], row["column_types"], strict=True))
        if not columns:  # a scalar result (jsonb, text, ...): the method returns the value itself
            returns[row["name"]] = SCALAR_PREFIX + _python_type(row["return_type"], True)
            continue
        for column, _ in columns:
            if not column.isidentifier() or keyword.iskeyword(column):
                raise ValueError(f"api.{row['name']} returns a column {column!r}, which is no Python field name")
        shape = Shape(name, doc, columns)
        if name in shapes and shapes[name].columns != shape.columns:
            raise ValueError(f"two result shapes would both be called {name} (api.{row['name']}); "
                             "name one in coordinator.codegen.TABLE_RESULT_NAMES")
        shapes.setdefault(name, shape)
        returns[row["name"]] = name
    return shapes, returns


def render_results(shapes: dict[str, Shape]) -> str:
    types = {_python_type(t, True) for shape in shapes.values() for _, t in shape.columns} | {"Any"}
    lines = ['"""Typed results of the api functions, one frozen dataclass per result shape.', "",
             "Generated from the catalog by `coord docs` (coordinator/codegen.py); do not edit by hand.",
             "Field names and order are the columns the functions return.", '"""', "",
             "from __future__ import annotations", "", "from dataclasses import asdict, dataclass",
             *(line for line in _imports(types) if "Sequence" not in line), "", "",
             "class _Row:", "    def to_dict(self) -> dict[str, Any]:",
             "        return asdict(self)  # type: ignore[call-overload, no-any-return]", ""]
    for name in sorted(shapes):
        shape = shapes[name]
        lines += ["", "@dataclass(frozen=True)", f"class {name}(_Row):", *_docstring(shape.doc, "    "), ""]
        lines += [f"    {column}: {_optional(_python_type(pg_type, True))}" for column, pg_type in shape.columns]
        lines.append("")
    return "\n".join(lines)


def _method(sig: FunctionSignature, result: str) -> list[str]:
    parameters = ["self"]
    for index, (arg_name, pg_type) in enumerate(zip(sig.arg_names, sig.arg_types, strict=True)):
        python_type = _python_type(pg_type, False)
        if index < len(sig.required):
            parameters.append(f"{_parameter(arg_name)}: {python_type}")
        else:
            parameters.append(f"{_parameter(arg_name)}: {_optional(python_type)} = None")
    many = sig.returns_set and sig.name not in ONE_ROW
    scalar = result.startswith(SCALAR_PREFIX)
    if scalar:
        result = result.removeprefix(SCALAR_PREFIX)
    returns = f"list[{result}]" if many else result
    head = f"    def {sig.name}("
    signature = _wrapped(head, parameters, f") -> {returns}:", " " * len(head))
    call = f"        return self.{'_value' if scalar else '_rows' if many else '_one'}("
    arguments = [f'"{sig.name}"', *([] if scalar else [result]),
                 *(f"{_parameter(a)}={_parameter(a)}" for a in sig.arg_names)]
    return [*signature, *_docstring(sig.comment, "        "), *_wrapped(call, arguments, ")", " " * len(call))]


def render_api(signatures: dict[str, FunctionSignature], returns: dict[str, str]) -> str:
    methods: list[str] = []
    for name, sig in signatures.items():
        methods += ["", *_method(sig, returns[name])]
    types = {_python_type(t, False) for sig in signatures.values() for t in sig.arg_types}
    lines = ['"""The api functions as client methods: one per function, named as in the catalog, with its',
             "arguments (without the p_ prefix) in the catalog's order and its COMMENT ON as the docstring.", "",
             "Generated from the catalog by `coord docs` (coordinator/codegen.py); do not edit by hand.",
             "Arguments left at None take the function's default. coordinator.client.Client sends the calls",
             '(_one, _rows) and adds what is not a single call (sessions, waiting for work)."""', "",
             "from __future__ import annotations", "", *_imports(types), "", "from .results import ("]
    lines += [f"    {name}," for name in sorted(set(returns.values())) if not name.startswith(SCALAR_PREFIX)]
    lines += [")", "", "", "class Api:",
              '    """One method per api function (coordinator.client.Client is the one to use)."""']
    return "\n".join(lines + methods) + "\n"


def render_client(conn: psycopg.Connection) -> dict[str, str]:
    """coordinator/api.py and coordinator/results.py as the catalog defines them."""
    shapes, returns = _shapes(conn)
    return {"api.py": render_api(load_signatures(conn), returns), "results.py": render_results(shapes)}
