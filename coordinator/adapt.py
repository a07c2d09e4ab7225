"""How the client turns result values into Python without ever failing on them.

A result that reaches the client is committed: a value Python cannot hold must not turn a
successful call into an error (the caller would retry work that is done). The database refuses
such values on input (CO226 timestamps, CO242 JSON depth; docs/security.md) and migration 0014
repaired what was stored before, but the audit log is append-only and older servers may still
hold them, so these loaders are total:

* JSON nested deeper than ``MAX_JSON_DEPTH`` levels (Python's own parser and everything that
  walks the value recursively stop at a few hundred) arrives as its JSON text, a ``DeepJson``
  (a ``str``);
* timestamps, dates and intervals beyond Python's range ('infinity', year 10000 and later)
  arrive as the nearest value Python has (``datetime.max``, ``timedelta.min``, ...).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import postgres
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types.datetime import IntervalLoader
from psycopg.types.json import set_json_loads

MAX_JSON_DEPTH = 100  # the database accepts 32 levels (CO242); this leaves room for wrappers
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deeper_than(data: bytes, limit: int) -> bool:
    depth = 0
    for match in _JSON_TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


_raw_decode = json.JSONDecoder().raw_decode


class DeepJson(str):
    """The text of a JSON value nested too deeply to load as Python objects."""


def load_json(data: bytes | bytearray | memoryview | str) -> Any:
    """json.loads, except for JSON too deep for Python: then its text, as a DeepJson."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _deeper_than(raw, MAX_JSON_DEPTH):
        return DeepJson(raw.decode())
    text = raw.decode("utf-8", "surrogatepass")  # what json.loads does with UTF-8 bytes, once
    try:
        try:
            value, end = _raw_decode(text)  # json.loads without its two whitespace scans
        except ValueError:
            return json.loads(text)  # leading whitespace (json keeps it), or json.loads's error
        return value if end == len(text) else json.loads(text)
    except RecursionError:  # a deep stack at the caller leaves less room than MAX_JSON_DEPTH
        return DeepJson(text)


def _negative(data: Any) -> bool:
    raw = bytes(data)
    return raw.startswith(b"-") or raw.endswith(b" BC") or b" BC " in raw or raw.endswith(b" ago")


class _Total(Loader):
    """psycopg's own text loader of the type (its C one when psycopg_binary is installed), made
    total: a value beyond Python's range is the nearest value Python has."""

    base: type[Loader]

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._load = self.base(oid, context).load

    @staticmethod
    def nearest(negative: bool) -> Any:
        raise NotImplementedError

    def load(self, data: Any) -> Any:
        try:
            return self._load(data)
        except (psycopg.DataError, OverflowError):
            return self.nearest(_negative(data))


def _psycopgs(name: str) -> type[Loader]:
    return postgres.adapters.get_loader(postgres.types[name].oid, Format.TEXT)  # type: ignore[return-value]


class _Timestamptz(_Total):
    base = _psycopgs("timestamptz")

    @staticmethod
    def nearest(negative: bool) -> datetime:
        return (datetime.min if negative else datetime.max).replace(tzinfo=UTC)


class _Timestamp(_Total):
    base = _psycopgs("timestamp")

    @staticmethod
    def nearest(negative: bool) -> datetime:
        return datetime.min if negative else datetime.max


class _Date(_Total):
    base = _psycopgs("date")

    @staticmethod
    def nearest(negative: bool) -> date:
        return date.min if negative else date.max


class _Interval(_Total):
    base = IntervalLoader  # psycopg's Python one: its C one wraps around past ~1.5 million years


    @staticmethod
    def nearest(negative: bool) -> timedelta:
        return timedelta.min if negative else timedelta.max


class _Json(Loader):
    """json and jsonb text as load_json reads it (one call per value: results carry several)."""

    def load(self, data: Any) -> Any:
        return load_json(data)


_LOADERS = (("timestamptz", _Timestamptz), ("timestamp", _Timestamp), ("date", _Date), ("interval", _Interval),
            ("json", _Json), ("jsonb", _Json))


def install(context: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> None:
    """Use the total loaders for the results of this connection or cursor (text format, as the
    client fetches; binary json too)."""
    set_json_loads(load_json, context)
    for name, loader in _LOADERS:
        context.adapters.register_loader(name, loader)
