"""Network policy: host normalization (one canonical spelling per name and per address), rule
precedence, address and range rules, agent rules, the default, audit."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from coordinator.errors import CoordError
from coordinator.migrate import migrate
from tests.conftest import Database
from tests.test_migrations import _partial_root

METADATA = "169.254.169.254"
# Spellings of 169.254.169.254 that getaddrinfo (inet_aton, inet_pton) or a URL host accepts.
METADATA_SPELLINGS = [
    "2852039166", "0xa9fea9fe", "0XA9FEA9FE", "169.254.43518", "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe",
    "169.16689662", "0xa9.254.0251.0xfe", "0251.0xfe.43518", "0000000251.254.169.254", "169.254.169.254.",
    "169.254.169.254:80", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]:443", "::ffff:169.254.169.254",
    "0:0:0:0:0:ffff:a9fe:a9fe", "0000:0000:0000:0000:0000:FFFF:A9FE:A9FE", "::169.254.169.254", "::a9fe:a9fe",
    "64:ff9b::a9fe:a9fe", "[64:ff9b::169.254.169.254]:80", " 169.254.169.254 ", "64:ff9b:1::a9fe:a9fe",
    "[64:ff9b:1::169.254.169.254]:443", "64:ff9b:1:ab:cd::a9fe:a9fe"]


def _allowing_agent(agent_factory) -> tuple[object, object]:
    """An operator and an agent whose profile allows what no rule denies."""
    _, op = agent_factory(role="operator")
    principal, agent = agent_factory()
    assert op.create_profile(f"open-{principal.name}", 2, {"network_default": "allow"}).ok
    assert op.assign_profile(principal.name, f"open-{principal.name}").ok
    return op, agent


def test_one_address_is_denied_in_every_spelling(agent_factory) -> None:
    """Attack replayed: with deny 169.254.169.254 and a profile defaulting to allow, 2852039166,
    0xa9fea9fe, 169.254.43518, 0251.0376.0251.0376 and 127.1 (for 127.0.0.1) were allowed."""
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule(METADATA, "deny").ok
    assert op.add_network_rule("127.0.0.1", "deny").ok
    for spelling in METADATA_SPELLINGS:
        decision = agent.check_network(spelling)
        assert (decision.code, decision.domain, decision.pattern) == ("denied", METADATA, METADATA), spelling
    for spelling in ["127.1", "0x7f000001", "2130706433", "0177.0.0.01", "127.0.1", "[::ffff:127.0.0.1]"]:
        assert agent.check_network(spelling).code == "denied", spelling
    assert agent.check_network("169.254.169.253").code == "allowed"
    assert agent.check_network("example.com").code == "allowed"


@pytest.mark.parametrize(("given", "canonical"), [
    ("127.1", "127.0.0.1"), ("0", "0.0.0.0"), ("0x7f.1", "127.0.0.1"), ("010.0.0.1", "8.0.0.1"),
    ("1.2.3.4.", "1.2.3.4"), ("1.2.3.4:8080", "1.2.3.4"), ("4294967295", "255.255.255.255"), ("0x", "0.0.0.0"),
    ("[2001:DB8::1]", "2001:db8::1"), ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("[2001:db8:0:0:1:0:0:1]:443", "2001:db8::1:0:0:1"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    ("fe80::1%eth0", "fe80::1"), ("[fe80::1%25eth0]:80", "fe80::1"), ("::1", "::1"), ("[::]", "::"),
    ("0:0:0:0:0:0:0:1", "::1"), ("::ffff:1.2.3.4", "1.2.3.4"), ("::ffff:0102:0304", "1.2.3.4"),
    ("::1.2.3.4", "1.2.3.4"), ("64:ff9b::1.2.3.4", "1.2.3.4"), ("64:ff9b:1::1.2.3.4", "1.2.3.4"),
    ("[64:FF9B:1:FFFF::102:304]", "1.2.3.4"), ("64:ff9b:2::1.2.3.4", "64:ff9b:2::102:304"),
    ("a.0x1g", "a.0x1g"), ("1a.example", "1a.example"), ("0x.example", "0x.example")])
def test_addresses_are_canonical(agent_factory, given: str, canonical: str) -> None:
    _, a = agent_factory()
    assert a.check_network(given).domain == canonical


@pytest.mark.parametrize("bad", [
    "1.2.3.256", "256.1.1.1", "1.2.3.4.5", "08.1.1.1", "1.2.3.09", "4294967296", "1.2.65536", "1.16777216",
    "0x100000000", "example.123", "example.0x1f", "1..2.3", "[1.2.3.4]", "[::1", "::1]", "1::2::3", "::ffff:1.2.3",
    "::ffff:1.2.3.04", "::ffff:0x1.2.3.4", "fe80::1%", "fe80::1%eth 0", "1.2.3.4%eth0", "[::1]:0", "[::1]:99999",
    "1.2.3.4:99999", "1.2.3.4:", "1.2.3.4:80:80", "[::1]80", "%61.example", "exa%2ample.com", "10.0.0.0/8",
    "user@1.2.3.4", "//1.2.3.4", "1.2.3.4\\x", "1.2.3.4 5", "::g", ":::", "[]"])
def test_numeric_hosts_that_are_no_address_are_refused(agent_factory, bad: str) -> None:
    _, a = agent_factory()
    with pytest.raises(CoordError) as err:
        a.check_network(bad)
    assert err.value.code == "CO451", bad


def test_address_and_range_rules(agent_factory) -> None:
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule("0xa9fea9fe", "deny").details["pattern"] == METADATA
    ranges = {given: op.add_network_rule(given, "deny").details["pattern"]
              for given in ["10.0.0.0/8", "0xac.16.0.0/12", "192.168.0.0/16", "FD00::/8", "::ffff:100.64.0.0/106",
                            "[fe80::]/10", "::/128"]}
    assert ranges == {"10.0.0.0/8": "10.0.0.0/8", "0xac.16.0.0/12": "172.16.0.0/12", "192.168.0.0/16": "192.168.0.0/16",
                      "FD00::/8": "fd00::/8", "::ffff:100.64.0.0/106": "100.64.0.0/10", "[fe80::]/10": "fe80::/10",
                      "::/128": "::"}
    for host in ["10.1.2.3", "0xa000001", "167772161", "[::ffff:10.9.9.9]:22", "172.31.255.255", "192.168.1.1",
                 "fd12::1", "100.127.0.1", "fe80::1%eth0", "[::]"]:
        assert agent.check_network(host).code == "denied", host
    for host in ["11.0.0.1", "172.32.0.1", "192.169.0.1", "fc00::1", "100.128.0.1", "::1", "example.com"]:
        assert agent.check_network(host).code == "allowed", host
    # Priorities decide between an address and a range that contains it, as between names.
    assert op.add_network_rule("10.0.0.53", "allow", 10).ok
    assert agent.check_network("10.0.0.53").code == "allowed"
    assert agent.check_network("10.0.0.54").code == "denied"
    listed = {r.pattern for r in op.list_network_rules()}
    assert {"10.0.0.0/8", "10.0.0.53", METADATA} <= listed


@pytest.mark.parametrize(("pattern", "code"), [
    ("10.1.2.3/8", "CO454"), ("10.0.0.0/33", "CO454"), ("fd00::1/8", "CO454"), ("::/129", "CO454"),
    ("example.com/8", "CO454"), ("1.2.3.4:80/32", "CO454"), ("[::1]:80/128", "CO451"), ("10.0.0.0/8/8", "CO451"),
    ("192.168/16", "CO454"),  # inet_aton reads 192.168 as 192.0.0.168, not as PostgreSQL's classful 192.168.0.0
    ("*.10.0.0.1", "CO451"), ("*.[::1]", "CO451"), ("*.example.123", "CO451"), ("1.2.3.256", "CO451")])
def test_bad_rule_patterns_are_refused(agent_factory, pattern: str, code: str) -> None:
    _, op = agent_factory(role="operator")
    with pytest.raises(CoordError) as err:
        op.add_network_rule(pattern, "deny")
    assert err.value.code == code, pattern


def test_names_and_addresses_never_match_each_other(agent_factory) -> None:
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule("localhost", "deny").ok
    assert op.add_network_rule("1.2.3.4", "deny").ok
    assert agent.check_network("127.0.0.1").code == "allowed"  # a name rule says nothing about addresses
    assert agent.check_network("localhost.").code == "denied"
    assert agent.check_network("1.2.3.4.example").code == "allowed"  # a name that merely starts with digits


def test_old_numeric_rules_become_address_rules(empty_db_factory, tmp_path) -> None:
    """Rules stored by earlier versions under a numeric spelling (taken for a name, so they matched
    only that spelling) are rewritten by migration 0013 to the address they denote, as
    add_network_rule now writes them; numeric patterns that denote no address stay as they were."""
    database: Database = empty_db_factory()
    migrate(database.admin_dsn, root=_partial_root(tmp_path, 11), reapply=False)
    legacy = ["2852039166", "127.1", "0251.0376.0251.0376", "169.254.43518", "0xa9fea9fe", "10.0.0.1", "0x",
              "1.2.3.256", "*.1.2.3", "example.com", "08.1.1.1"]
    with database.connect() as conn, conn.transaction():
        profile = uuid.uuid4()
        tenant = conn.execute("insert into coord.tenants (name, created_at, default_profile_id) "
                              "values ('older', now(), %s) returning id", (profile,)).fetchone()[0]
        conn.execute("insert into coord.profiles (tenant_id, id, name, trust_level, created_at, updated_at) "
                     "values (%s, %s, 'standard', 2, now(), now())", (tenant, profile))
        for pattern in legacy:
            conn.execute("insert into authz.network_rules (tenant_id, pattern, action, created_at) "
                         "values (%s, %s, 'deny', now())", (tenant, pattern))
    migrate(database.admin_dsn)
    with database.connect() as conn:
        rows = conn.execute("select pattern, network::text from authz.network_rules order by id").fetchall()
        expected = []
        for pattern in legacy:
            try:
                canonical = conn.execute("select pattern, network::text from coord.network_pattern(%s)",
                                         (pattern,)).fetchone()
            except psycopg.Error:
                conn.rollback()
                canonical = (pattern, None)  # refused today: kept as it was
            expected.append(canonical)
    assert rows == expected
    assert rows[:3] == [(METADATA, f"{METADATA}/32"), ("127.0.0.1", "127.0.0.1/32"), (METADATA, f"{METADATA}/32")]


@pytest.mark.parametrize(("given", "canonical"), [
    ("Example.COM", "example.com"), ("example.com.", "example.com"), ("example.com:443", "example.com"),
    ("  api.example.com ", "api.example.com"), ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("XN--BCHER-KVA.Example.:8443", "xn--bcher-kva.example"), ("localhost.", "localhost")])
def test_domains_are_normalized(agent_factory, given: str, canonical: str) -> None:
    _, a = agent_factory()
    assert a.check_network(given).domain == canonical


@pytest.mark.parametrize("bad", ["", "example.com/path", "user@example.com", "bücher.example",
                                 "exa_mple.com", "%.com", "ex*ample.com", "*.example.com", "-bad.com", "a..b",
                                 "example.com..", "x" * 64 + ".com", "example.com:0", "example.com:65536",
                                 "ex\u3002ample.com", "EXAMPLE.com:80:80"])
def test_anything_else_is_refused(agent_factory, bad: str) -> None:
    _, a = agent_factory()
    with pytest.raises(CoordError) as err:
        a.check_network(bad)
    assert err.value.code == "CO451"


def test_an_http_url_is_read_for_its_host_or_denied_when_it_cannot_be_told(db: psycopg.Connection,
                                                                         agent_factory) -> None:
    """An http(s) URL is checked as the host a WHATWG parser (Claude Code's WebFetch) fetches; one
    whose host a parser could read differently is a denial (decided_by url), audited, not CO451."""
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule("pastebin.com", "deny").ok
    plain = agent.check_network("HTTPS://Docs.Python.org:443/3/?q#f")
    assert (plain.ok, plain.domain) == (True, "docs.python.org")
    assert agent.check_network("http://0xa9.0xfe.0xa9fe/latest/").domain == "169.254.169.254"
    assert agent.check_network("https://pastebin.com/x").code == "denied"
    for url in ("https://pastebin.com\\@docs.python.org/", "https://docs.python.org@pastebin.com/",
                "https:pastebin.com", "https:///pastebin.com", "https://paste\tbin.com/", "ftp://docs.python.org/",
                "https://pastebin%2Ecom/", "https://09.1/", "https://pastebin\u2400.docs.python.org/"):
        answer = agent.check_network(url)
        assert (answer.ok, answer.code, answer.decided_by) == (False, "denied", "url"), (url, answer)
    audited = db.execute("select count(*) from audit.events where action = 'network.check' and target_type = 'url' "
                         "and decision = 'denied'").fetchone()[0]
    assert audited >= 9


def test_local_use_nat64_reaches_the_ipv4_ranges_it_embeds(agent_factory) -> None:
    """64:ff9b:1::/48 (RFC 8215, local-use NAT64) carries an IPv4 address as 64:ff9b::/96 does: a
    deny of a private range or the metadata address holds through it (it was an IPv6 address of
    its own, which no IPv4 rule matched)."""
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule("10.0.0.0/8", "deny").ok
    assert op.add_network_rule(METADATA, "deny").ok
    for host in ("64:ff9b:1::10.1.2.3", "[64:ff9b:1::a01:203]:22", "64:ff9b:1:7::a9fe:a9fe",
                 "http://[64:ff9b:1::169.254.169.254]/latest/meta-data/"):
        assert agent.check_network(host).code == "denied", host
    assert agent.check_network("64:ff9b:1::b01:203").code == "allowed"  # 11.1.2.3


@pytest.mark.parametrize(("given", "canonical"), [
    # NAT64 in the other RFC 6052 placements (u octet and suffix zero): /32, /48 and /64 prefixes
    ("64:ff9b:a9fe:a9fe::", METADATA), ("64:ff9b:1:a9fe:a9:fe00::", METADATA), ("64:ff9b:1:0:a9:fea9:fe00:0", METADATA),
    # 6to4 and Teredo (the client address, inverted) of non-global addresses; IPv4-translated
    ("2002:a9fe:a9fe::1", METADATA), ("[2002:0a00:0001::]:443", "10.0.0.1"), ("2002:7f00:1::", "127.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:5601:5601", METADATA), ("::ffff:0:a9fe:a9fe", METADATA),
    # global addresses in those forms stay the IPv6 addresses they are
    ("2002:102:304::1", "2002:102:304::1"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
    ("64:ff9b:102:304::", "64:ff9b:102:304::"), ("64:ff9b:1::1.2.3.4", "1.2.3.4"),
    ("64:ff9b:a9fe:a9fe::1", "64:ff9b:a9fe:a9fe::1")])
def test_ipv6_forms_that_carry_a_non_global_ipv4_address_are_that_address(agent_factory, given: str,
                                                                          canonical: str) -> None:
    """6to4 (2002::/16), Teredo (2001::/32) and NAT64 prefixes other than the /96 (64:ff9b::/32 in
    any RFC 6052 placement) reached private, loopback and metadata addresses that no IPv4 rule
    matched; each is read as the IPv4 address it carries when that address is non-global."""
    _, a = agent_factory()
    assert a.check_network(given).domain == canonical


def test_a_deny_of_private_ranges_holds_through_6to4_teredo_and_nat64_placements(agent_factory) -> None:
    op, agent = _allowing_agent(agent_factory)
    assert op.add_network_rule("10.0.0.0/8", "deny").ok
    assert op.add_network_rule(METADATA, "deny").ok
    for host in ("2002:a01:203::", "[2002:a9fe:a9fe::1]:80", "2001:0:4136:e378:8000:63bf:5601:5601",
                 "64:ff9b:a01:203::", "http://[2002:a9fe:a9fe::]/latest/meta-data/",
                 "http://[2001:0:4136:e378:8000:63bf:5601:5601]/latest/meta-data/"):
        assert agent.check_network(host).code == "denied", host
    assert agent.check_network("2002:b01:203::").code == "allowed"  # 6to4 of 11.1.2.3


@pytest.mark.parametrize(("url", "why"), [
    ("https://paste_bin.com/x", "underscore"), ("https://_x.example.com/", "underscore"),
    ("https://-bad.example.com/", "hyphen"), ("https://bad-.example.com/", "hyphen"),
    ("http://a.bad-./", "hyphen")])
def test_a_url_host_that_is_no_host_name_is_denied_for_that_reason(agent_factory, url: str, why: str) -> None:
    """A WHATWG parser reads such a host as written, so the denial must not say a parser reads it
    another way: it says the host is no valid host name, and which label rule it breaks."""
    _, agent = _allowing_agent(agent_factory)
    answer = agent.check_network(url)
    assert (answer.ok, answer.code, answer.decided_by) == (False, "denied", "url"), answer
    assert "no valid host name" in answer.reason and why in answer.reason, answer.reason
    assert "reads the same way" not in answer.reason, answer.reason
    with pytest.raises(CoordError) as err:
        agent.check_network(url.split("/")[2])
    assert err.value.code == "CO451" and why in (err.value.detail or ""), err.value.detail


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


def test_a_trust_4_agent_cannot_escape_its_own_network_rules_through_tenant_wide_ones(
        db: psycopg.Connection, agent_factory: Any) -> None:
    """Agents (trust 4) may manage network policy but never rules that apply to themselves, and a
    tenant-wide rule (no agent, no profile) applies to them too: a high-priority tenant-wide allow
    would override the deny an operator set for the agent, removing a tenant-wide deny lift it."""
    operator = agent_factory(role="operator")[1]
    principal, admin = agent_factory()
    assert operator.create_profile("net-admins", 4).code == "created"
    assert operator.assign_profile(principal.name, "net-admins").code == "assigned"
    assert operator.add_network_rule("evil.example", "deny", 0, for_agent=principal.name).code == "added"
    assert admin.check_network("evil.example").code == "denied"
    sneaky = admin.add_network_rule("evil.example", "allow", 1000)
    assert (sneaky.ok, sneaky.code) == (False, "denied")
    assert admin.check_network("evil.example").code == "denied"
    tenant_deny = operator.add_network_rule("*.blocked.example", "deny", 0)
    assert tenant_deny.code == "added"
    removed = admin.remove_network_rule(tenant_deny.details["rule_id"])
    assert (removed.ok, removed.code) == (False, "denied")
    assert admin.check_network("a.blocked.example").code == "denied"
    # Rules for other agents and profiles stay the trust-4 agent's to manage.
    other, _ = agent_factory()
    assert admin.add_network_rule("ok.example", "allow", for_agent=other.name).code == "added"
