"""The small helpers every api call runs many times are inlined by the planner: coord.current_tenant_id
(the initplan of every RLS policy) and the input checks. Each is an SQL-standard body without
SECURITY DEFINER or SET clauses (tests/test_catalog.py holds what that needs), so a statement that
calls one runs its expression instead of entering a function. A later edit that stops the
inlining (a SET clause, SECURITY DEFINER, PL/pgSQL, a subquery or a polymorphic argument) fails here."""

from __future__ import annotations

import psycopg
import pytest

from tests.test_hot_paths import _hot_calls

INLINED = ("coord.current_tenant_id", "coord.check_ttl", "coord.check_duration", "coord.check_interval",
           "coord.check_limit", "coord.require_read_committed", "coord.check_claim", "coord.check_kind",
           "coord.check_json")


def test_a_policy_runs_the_tenant_expression_not_a_function(db: psycopg.Connection) -> None:
    # As the api's owner evaluates them: the initplan of coord.locks' policy reads the cache itself.
    with db.transaction(force_rollback=True):
        db.execute("set local role coord_owner")
        plan = "\n".join(r[0] for r in db.execute("explain (verbose, costs off) select * from coord.locks"))
    assert "InitPlan" in plan and "current_setting('coord.principal_cache'" in plan, plan
    assert "current_tenant_id" not in plan, plan
    assert "try_principal()" in plan, plan  # the fallback on a cache miss stays a call


@pytest.mark.parametrize("call", ["select coord.check_ttl(%s::interval)", "select coord.check_limit(%s::integer)",
                                  "select coord.check_kind(%s::text)", "select coord.check_claim(%s::bigint, 1)",
                                  "select coord.check_json(%s::jsonb, 'x', 100)",
                                  "select coord.require_read_committed() where %s::text is not null"])
def test_a_check_is_an_expression_in_the_calling_statement(db: psycopg.Connection, call: str) -> None:
    # A parameter, as in the PL/pgSQL that PERFORMs it: planned generically, nothing to fold away.
    with db.transaction(force_rollback=True):
        db.execute("set local plan_cache_mode = force_generic_plan")
        db.execute("prepare checked(unknown) as " + call.replace("%s", "$1"))
        plan = "\n".join(r[0] for r in db.execute("explain (verbose, costs off) execute checked(null)"))
        db.execute("deallocate checked")
    assert "coord.check_" not in plan and "coord.require_" not in plan and "coord.fail" in plan, plan


def test_the_hot_paths_enter_none_of_the_inlined_helpers(db: psycopg.Connection, agent_factory) -> None:
    db.execute("set local track_functions = 'all'")
    per_call = _hot_calls(db, agent_factory, with_leases=True)
    entered = {call: sorted(set(counts) & set(INLINED)) for call, counts in per_call.items()}
    assert entered == {call: [] for call in per_call}, {call: sorted(counts) for call, counts in per_call.items()}
