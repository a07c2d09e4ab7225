"""authz.decide skips authz.profile_refusal and authz.object_refusal when they cannot refuse (a
profile with none of the limits the first reads; a context with none of the keys the second
reads, and an action other than device.add). The skip names what each reads, so a new limit or
key must be named there too: these tests read the installed functions and fail when one reads
something the skip does not name, which would let the new rule be skipped without a word."""

from __future__ import annotations

import re
from typing import Any


def _source(db: Any, function: str) -> str:
    [source] = db.execute("select prosrc from pg_proc where oid = %s::regproc", (function,)).fetchone()
    return source


def _skip_condition(db: Any, call: str) -> str:
    """The condition of the if that guards ``call`` in authz.decide's body."""
    found = re.search(r"if ((?:(?!\bif\b).)*?) then\s+v_decision := " + re.escape(call), _source(db, "authz.decide"),
                      re.S)
    assert found, f"authz.decide no longer guards {call} with an if"
    return found.group(1)


def unnamed_profile_limits(db: Any) -> set[str]:
    """The profile columns profile_refusal reads that decide's skip does not name."""
    read = set(re.findall(r"p_profile\.(\w+)", _source(db, "authz.profile_refusal"))) - {"name"}
    assert read, "profile_refusal reads no limit: the pattern no longer sees them"
    return read - set(re.findall(r"v_profile\.(\w+) is not null", _skip_condition(db, "authz.profile_refusal(")))


def unnamed_context(db: Any) -> set[str]:
    """The context keys object_refusal reads, and the actions it refuses without reading one,
    that decide's skip does not name."""
    source = _source(db, "authz.object_refusal")
    read = set(re.findall(r"p_context\s*(?:->>|->|\?)\s*'(\w+)'", source))
    assert read, "object_refusal reads no context key: the pattern no longer sees them"
    condition = _skip_condition(db, "authz.object_refusal(")
    keys, _, actions = condition.partition("or p_action")
    # task.cancel's rule reads submitted_by, so the key keeps it; device.add's reads none
    context_free = {a for a in re.findall(r"p_action = '([\w.]+)'", source)
                    if not re.search(rf"p_action = '{re.escape(a)}'[^;]*?p_context", source, re.S)}
    return (read - set(re.findall(r"'(\w+)'", keys))) | (context_free - set(re.findall(r"'([\w.]+)'", actions)))


def test_every_profile_limit_profile_refusal_reads_is_named_where_decide_skips_it(db: Any) -> None:
    assert unnamed_profile_limits(db) == set()


def test_every_context_key_object_refusal_reads_is_named_where_decide_skips_it(db: Any) -> None:
    assert unnamed_context(db) == set()


def test_the_checks_see_a_limit_and_a_key_the_skip_would_miss(db: Any) -> None:
    # In the test's rolled-back transaction: each function reads one thing more.
    for function in ("authz.profile_refusal", "authz.object_refusal"):
        [definition] = db.execute("select pg_get_functiondef(%s::regproc)", (function,)).fetchone()
        extra = ("if p_profile.max_memories is not null then return null; end if;"
                 if function.endswith("profile_refusal")
                 else "if p_context ->> 'new_key' is not null or p_action = 'tenant.drop' then return null; end if;")
        db.execute(definition.replace("begin\n", "begin\n" + extra + "\n", 1))
    assert unnamed_profile_limits(db) == {"max_memories"}
    assert unnamed_context(db) == {"new_key", "tenant.drop"}
