"""Network policy: domain normalization, rule precedence, agent rules, the default, audit."""

from __future__ import annotations

import psycopg
import pytest

from coordinator.errors import CoordError


@pytest.mark.parametrize(("given", "canonical"), [
    ("Example.COM", "example.com"), ("example.com.", "example.com"), ("example.com:443", "example.com"),
    ("  api.example.com ", "api.example.com"), ("xn--bcher-kva.example", "xn--bcher-kva.example")])
def test_domains_are_normalized(agent_factory, given: str, canonical: str) -> None:
    _, a = agent_factory()
    assert a.check_network(given).domain == canonical


@pytest.mark.parametrize("bad", ["", "https://example.com", "example.com/path", "user@example.com", "bücher.example",
                                 "exa_mple.com", "%.com", "ex*ample.com", "*.example.com", "-bad.com", "a..b",
                                 "[::1]:80", "x" * 64 + ".com"])
def test_anything_else_is_refused(agent_factory, bad: str) -> None:
    _, a = agent_factory()
    with pytest.raises(CoordError) as err:
        a.check_network(bad)
    assert err.value.code == "CO451"


def test_rules_priority_deny_wins_ties_and_agent_rules(db: psycopg.Connection, agent_factory) -> None:
    _, op = agent_factory("op", role="operator")
    _, alice = agent_factory("alice")
    _, bob = agent_factory("bob")
    assert alice.check_network("pypi.org").decided_by == "default"
    assert alice.check_network("pypi.org").code == "denied"  # the tenant default is deny
    op.add_network_rule("*.pypi.org", "allow", 10)
    op.add_network_rule("pypi.org", "allow", 10)
    assert alice.check_network("files.pypi.org").ok and alice.check_network("pypi.org").ok
    assert not alice.check_network("evilpypi.org").ok  # *.pypi.org is not a suffix match on text
    op.add_network_rule("*.pypi.org", "deny", 10, reason="tie: deny wins")
    assert alice.check_network("files.pypi.org").code == "denied"
    assert alice.check_network("pypi.org").ok
    op.add_network_rule("files.pypi.org", "allow", 20, for_agent="alice")
    assert alice.check_network("files.pypi.org").decided_by == "agent"
    assert alice.check_network("files.pypi.org").ok and not bob.check_network("files.pypi.org").ok
    rules = op.list_network_rules()
    assert [(r.pattern, r.action, r.priority, r.agent) for r in rules][:2] == [
        ("files.pypi.org", "allow", 20, "alice"), ("*.pypi.org", "deny", 10, None)]
    removed = op.remove_network_rule(rules[0].rule_id)
    assert removed.code == "removed" and not alice.check_network("files.pypi.org").ok


def test_every_check_is_audited_and_rules_are_tenant_scoped(db: psycopg.Connection, agent_factory) -> None:
    principal, a = agent_factory(tenant="t1")
    _, op_other = agent_factory(role="operator", tenant="t2")
    op_other.add_network_rule("example.com", "allow", 100)
    assert not a.check_network("example.com").ok  # another tenant's rule does not apply
    events = db.execute("select decision, details->>'decided_by' from audit.events where action = 'network.check' "
                        "and tenant_id = %s", (principal.tenant_id,)).fetchall()
    assert events == [("denied", "default")]


def test_agents_below_trust_4_cannot_change_rules(db, agent_factory) -> None:
    principal, a = agent_factory()
    refused = a.add_network_rule("example.com", "allow")
    assert (refused.ok, refused.code) == (False, "denied") and "needs trust 4" in refused.reason
    assert db.execute("select count(*) from authz.network_rules where tenant_id = %s",
                      (principal.tenant_id,)).fetchone()[0] == 0
    assert db.execute("select rule from audit.events where action = 'network.rule_add' and tenant_id = %s",
                      (principal.tenant_id,)).fetchall() == [("trust.too_low",)]
