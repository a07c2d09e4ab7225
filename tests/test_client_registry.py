"""The Python client has exactly one method per api function, with the same argument names,
and its result dataclasses have exactly the columns the functions return: both are generated
from the catalog (coordinator/codegen.py, written by coord docs), and the committed files are
what the catalog generates now."""

from __future__ import annotations

import inspect
import typing
from dataclasses import fields, is_dataclass

import psycopg

from coordinator import results
from coordinator.client import Client, load_signatures
from coordinator.codegen import PACKAGE_DIR, render_client
from tests.conftest import make_principal

_COLUMNS = """
select coalesce(
  (select array_agg(a.attname order by a.attnum) from pg_attribute a
   where a.attrelid = (select typrelid from pg_type where oid = p.prorettype) and a.attnum > 0 and not a.attisdropped),
  p.proargnames[p.pronargs + 1:])
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'api' and p.proname = %s
"""


def _api_methods() -> dict[str, inspect.Signature]:
    generic = {"call", "pipelined", "rows", "close", "signature", "request_headers", "wait_for_task",
               "wait_for_messages", "follow"}
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(Client, inspect.isfunction)
            if not name.startswith("_") and name not in generic}


def _result_class(hint: object) -> type:
    """LockResult from LockResult, list[LockCheck] or PrincipalInfo | None."""
    for candidate in (hint, *typing.get_args(hint)):
        if typing.get_origin(candidate) is list:
            candidate = typing.get_args(candidate)[0]
        if is_dataclass(candidate) and isinstance(candidate, type) and candidate.__module__ == results.__name__:
            return candidate
    raise AssertionError(f"no result dataclass in {hint}")


def test_one_method_per_api_function_with_the_same_arguments(db: psycopg.Connection) -> None:
    signatures = load_signatures(db)
    methods = _api_methods()
    assert set(methods) == set(signatures)
    for name, sig in signatures.items():
        python_args = [p for p in methods[name].parameters if p != "self"]
        assert ["p_" + a for a in python_args] == list(sig.arg_names), name
        optional = [p for p in python_args if methods[name].parameters[p].default is not inspect.Parameter.empty]
        assert ["p_" + a for a in optional] == list(sig.arg_names[len(sig.required):]), f"{name}: defaults differ"


def test_result_dataclasses_match_the_returned_columns(db: psycopg.Connection) -> None:
    for name, method in _api_methods().items():
        columns = db.execute(_COLUMNS, (name,)).fetchone()[0]
        if not columns:  # a scalar result (api.fleet_status's jsonb): the method returns the value
            assert "self._value(" in inspect.getsource(getattr(Client, name)), name
            continue
        cls = _result_class(typing.get_type_hints(getattr(Client, name))["return"])
        assert [f.name for f in fields(cls)] == columns, f"{name} -> {cls.__name__}"
        assert method  # the method exists for every function checked


def test_the_client_is_generated_from_the_catalog(db: psycopg.Connection) -> None:
    """An api function added, changed or dropped in the database changes coordinator/api.py and
    coordinator/results.py; this fails until coord docs has regenerated them."""
    for name, text in render_client(db).items():
        assert (PACKAGE_DIR / name).read_text() == text, f"coordinator/{name} is stale: run coord docs"


def test_a_new_api_function_reaches_the_generated_client(db: psycopg.Connection) -> None:
    db.execute("""create function api.count_widgets(p_kind text, p_limit integer default 10)
                  returns table (kind text, widgets bigint, seen_at timestamptz)
                  language sql stable set search_path = pg_catalog, pg_temp
                  as $$ select p_kind, 0::bigint, now() $$""")
    db.execute("comment on function api.count_widgets(text, integer) is 'Counts widgets of p_kind.'")
    db.execute("""create function api.widget_total() returns bigint language sql stable
                  set search_path = pg_catalog, pg_temp as $$ select 0::bigint $$""")
    generated = render_client(db)
    assert generated != {name: (PACKAGE_DIR / name).read_text() for name in generated}
    method = ("    def count_widgets(self, kind: str, limit: int | None = None) -> list[CountWidgetsRow]:\n"
              '        """Counts widgets of p_kind."""\n'
              '        return self._rows("count_widgets", CountWidgetsRow, kind=kind, limit=limit)\n')
    assert method in generated["api.py"]
    assert ("class CountWidgetsRow(_Row):\n"
            '    """A row of api.count_widgets."""\n\n'
            "    kind: str | None\n    widgets: int | None\n    seen_at: datetime | None\n") in generated["results.py"]
    # a scalar result is returned as the value itself, with no result class
    assert ("    def widget_total(self) -> int:\n"
            '        """(undocumented)"""\n'
            '        return self._value("widget_total")\n') in generated["api.py"]
    assert "WidgetTotal" not in generated["results.py"]


def test_a_scalar_result_reaches_the_caller_as_its_value(db: psycopg.Connection) -> None:
    """The client sends PostgREST's statement, which names a scalar function's one column after
    its alias (pgrst_call), not after the function: the value is taken by position."""
    db.execute("""create function api.widget_doc(p_n integer default 2) returns jsonb language sql stable
                  set search_path = pg_catalog, pg_temp as $$ select jsonb_build_object('n', p_n) $$""")
    db.execute("grant execute on function api.widget_doc(integer) to coord_agent")
    agent = make_principal(db)
    client = Client(connection=db, token=agent.token)
    assert client._value("widget_doc") == {"n": 2}
    assert client._value("widget_doc", n=5) == {"n": 5}
