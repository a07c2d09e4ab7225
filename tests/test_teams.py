"""Team files: api.apply_team computes the diff in the database and applies it idempotently;
dry runs write nothing; scope changes reissue tokens; prune disables the undeclared (never the
caller); malformed documents raise registered codes and write nothing; refusals are audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from coordinator import errors, teams
from coordinator.client import Client
from tests.conftest import make_principal

ROOT = Path(__file__).parent.parent
TENANT = "teams"


def _operator(db: psycopg.Connection, scopes: list[str] | None = None, name: str = "ops") -> Client:
    return Client(connection=db, token=make_principal(db, name, tenant=TENANT, role="operator", scopes=scopes).token)


def _team(*agents: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": 1, "agents": list(agents), **top}


def _counts(db: psycopg.Connection) -> dict[str, int]:
    row = db.execute(
        """select (select count(*) from coord.principals p join coord.tenants t on t.id = p.tenant_id
                   where t.name = %(t)s),
                  (select count(*) from coord.principals p join coord.tenants t on t.id = p.tenant_id
                   where t.name = %(t)s and p.disabled_at is not null),
                  (select count(*) from coord.tokens k join coord.tenants t on t.id = k.tenant_id
                   where t.name = %(t)s),
                  (select count(*) from coord.tokens k join coord.tenants t on t.id = k.tenant_id
                   where t.name = %(t)s and k.revoked_at is not null),
                  (select count(*) from audit.events e join coord.tenants t on t.id = e.tenant_id
                   where t.name = %(t)s)""", {"t": TENANT}).fetchone()
    assert row is not None
    return dict(zip(("principals", "disabled", "tokens", "revoked", "events"), row, strict=True))


def _events(db: psycopg.Connection, action: str) -> list[dict[str, Any]]:
    rows = db.execute("""select e.decision, e.rule, e.target_id, e.details from audit.events e
                         join coord.tenants t on t.id = e.tenant_id
                         where t.name = %s and e.action = %s order by e.id""", (TENANT, action)).fetchall()
    return [dict(zip(("decision", "rule", "target_id", "details"), r, strict=True)) for r in rows]


def _names(details: dict[str, Any], kind: str) -> list[str]:
    return [entry["name"] for entry in details[kind]]


ALICE = {"name": "alice", "scopes": ["locks:write", "locks:read"], "description": "writes code"}
BOB = {"name": "bob"}
EVE = {"name": "eve", "role": "auditor", "scopes": ["audit:read"]}


def test_apply_creates_principals_and_shows_each_token_once(db: psycopg.Connection) -> None:
    operator = _operator(db)
    result = operator.apply_team(_team(ALICE, BOB, EVE))
    assert (result.ok, result.code) == (True, "applied"), result
    assert result.reason == "created 3, changed 0, unchanged 0, disabled 0"
    details = result.details
    assert _names(details, "create") == ["alice", "bob", "eve"]
    assert details["change"] == details["unchanged"] == details["disable"] == []
    assert details["create"][0] == {"name": "alice", "role": "agent", "scopes": ["locks:read", "locks:write"],
                                    "description": "writes code"}
    assert details["create"][1]["scopes"] == ["*"], "scopes default to *, as in create_agent"
    assert sorted(details["tokens"]) == ["alice", "bob", "eve"]

    alice = Client(connection=db, token=details["tokens"]["alice"]).authenticate()
    eve = Client(connection=db, token=details["tokens"]["eve"]).authenticate()
    assert alice is not None and (alice.role, alice.tenant_name, alice.scopes) == ("agent", TENANT,
                                                                                  ["locks:read", "locks:write"])
    assert eve is not None and (eve.role, eve.kind) == ("auditor", "user")
    audited = _events(db, "team.apply")
    assert [e["decision"] for e in audited] == ["applied"]
    assert "tokens" not in audited[0]["details"] and len(audited[0]["details"]["team_sha256"]) == 64
    assert not any(token in str(audited) for token in details["tokens"].values()), "tokens never reach the log"
    assert [e["target_id"] for e in _events(db, "principal.create")] == ["ops", "alice", "bob", "eve"]


def test_applying_the_same_file_again_changes_nothing(db: psycopg.Connection) -> None:
    operator = _operator(db)
    team = _team(ALICE, BOB, EVE)
    assert operator.apply_team(team).code == "applied"
    before = _counts(db)
    again = operator.apply_team(_team(EVE, BOB, {**ALICE, "scopes": ["locks:read", "locks:write", "locks:read"]}))
    assert (again.ok, again.code) == (True, "no_change")
    assert _names(again.details, "unchanged") == ["eve", "bob", "alice"]
    assert again.details["create"] == again.details["change"] == again.details["disable"] == []
    assert again.details["tokens"] == {}
    after = _counts(db)
    assert {k: v for k, v in after.items() if k != "events"} == {k: v for k, v in before.items() if k != "events"}
    assert after["events"] == before["events"] + 1, "only the team.apply record of the call itself"
    assert [e["decision"] for e in _events(db, "team.apply")] == ["applied", "no_change"]
    assert len(_events(db, "principal.create")) == 4 and len(_events(db, "token.issue")) == 4


def test_dry_run_shows_the_diff_and_writes_nothing(db: psycopg.Connection) -> None:
    operator = _operator(db)
    operator.apply_team(_team(ALICE, BOB))
    make_principal(db, "stray", tenant=TENANT)
    before = _counts(db)
    planned = operator.apply_team(_team({**ALICE, "scopes": ["locks:read"]}, BOB, EVE, prune=True), dry_run=True)
    assert (planned.ok, planned.code) == (True, "planned")
    assert planned.reason == "1 to create, 1 to change, 1 unchanged, 1 to disable"
    details = planned.details
    assert (details["dry_run"], details["prune"]) == (True, True)
    assert (_names(details, "create"), _names(details, "change"), _names(details, "unchanged"),
            _names(details, "disable")) == (["eve"], ["alice"], ["bob"], ["stray"])
    change = details["change"][0]
    assert (change["change"], change["scopes"]) == ("scopes", ["locks:read"])
    assert [t["scopes"] for t in change["revoke"]] == [["locks:read", "locks:write"]]
    assert "tokens" not in details
    assert _counts(db) == before, "a dry run writes nothing, not even an audit event"


def test_a_scope_change_revokes_the_old_tokens_and_issues_one_new(db: psycopg.Connection) -> None:
    operator = _operator(db)
    first = operator.apply_team(_team(ALICE, BOB))
    old_token = first.details["tokens"]["alice"]
    changed = operator.apply_team(_team({**ALICE, "scopes": ["locks:read"]}, BOB))
    assert (changed.code, changed.reason) == ("applied", "created 0, changed 1, unchanged 1, disabled 0")
    entry = changed.details["change"][0]
    assert (entry["name"], entry["change"], entry["scopes"]) == ("alice", "scopes", ["locks:read"])
    assert entry["revoke"][0]["prefix"] == old_token[:14]
    with pytest.raises(errors.Unauthenticated) as caught:
        Client(connection=db, token=old_token).authenticate()
    assert "revoked" in (caught.value.detail or "")
    new = Client(connection=db, token=changed.details["tokens"]["alice"]).authenticate()
    assert new is not None and new.scopes == ["locks:read"]
    assert sorted(t.label for t in operator.list_tokens() if t.principal_name == "alice") == ["initial", "team"]
    assert operator.apply_team(_team({**ALICE, "scopes": ["locks:read"]}, BOB)).code == "no_change"


def test_revoked_tokens_are_not_reissued(db: psycopg.Connection) -> None:
    operator = _operator(db)
    operator.apply_team(_team(BOB))
    token_id = next(t.token_id for t in operator.list_tokens() if t.principal_name == "bob")
    assert operator.revoke_token(token_id).code == "revoked"
    again = operator.apply_team(_team(BOB))
    assert again.code == "no_change" and _names(again.details, "unchanged") == ["bob"]


def test_prune_disables_undeclared_principals_but_never_the_caller(db: psycopg.Connection) -> None:
    operator = _operator(db)
    stray = make_principal(db, "stray", tenant=TENANT)
    other_ops = make_principal(db, "other-ops", tenant=TENANT, role="operator")
    make_principal(db, "elsewhere", tenant="another-tenant")
    without = operator.apply_team(_team(BOB))
    assert without.details["disable"] == [] and without.details["prune"] is False
    pruned = teams.apply_team(operator, _team(BOB), prune=True)
    assert pruned.code == "applied"
    assert [(d["name"], d["role"]) for d in pruned.details["disable"]] == [("other-ops", "operator"),
                                                                           ("stray", "agent")]
    for principal in (stray, other_ops):
        with pytest.raises(errors.Unauthenticated) as caught:
            Client(connection=db, token=principal.token).authenticate()
        assert "disabled" in (caught.value.detail or "")
    assert operator.authenticate() is not None, "the caller is never pruned"
    assert [e["target_id"] for e in _events(db, "principal.disable")] == ["other-ops", "stray"]
    assert teams.apply_team(operator, _team(BOB), prune=True).code == "no_change"

    back = operator.apply_team(_team(BOB, {"name": "stray"}))
    entry = back.details["change"][0]
    assert (entry["name"], entry["change"], [t["token_id"] for t in entry["revoke"]]) == \
           ("stray", "enable", [str(stray.token_id)])
    with pytest.raises(errors.Unauthenticated):
        Client(connection=db, token=stray.token).authenticate()
    assert Client(connection=db, token=back.details["tokens"]["stray"]).authenticate() is not None
    assert [e["target_id"] for e in _events(db, "principal.enable")] == ["stray"]


def test_prune_from_the_file_and_an_empty_team(db: psycopg.Connection) -> None:
    operator = _operator(db)
    operator.apply_team(_team(ALICE, BOB))
    emptied = operator.apply_team(_team(prune=True))
    assert _names(emptied.details, "disable") == ["alice", "bob"]
    assert [p.name for p in operator.list_principals() if p.disabled_at is None] == ["ops"]


def test_a_role_cannot_change(db: psycopg.Connection) -> None:
    operator = _operator(db)
    operator.apply_team(_team(BOB))
    before = _counts(db)
    with pytest.raises(errors.Conflict) as caught:
        operator.apply_team(_team(ALICE, {"name": "bob", "role": "auditor"}))
    assert caught.value.code == "CO233" and "bob is agent" in (caught.value.detail or "")
    assert _counts(db) == before


def test_the_caller_cannot_change_itself(db: psycopg.Connection) -> None:
    operator = _operator(db)
    same = operator.apply_team(_team({"name": "ops", "role": "operator"}, BOB))
    assert same.code == "applied" and _names(same.details, "unchanged") == ["ops"]
    before = _counts(db)
    with pytest.raises(errors.Conflict) as caught:
        operator.apply_team(_team({"name": "ops", "role": "operator", "scopes": ["principals:write"]}))
    assert caught.value.code == "CO234"
    assert _counts(db) == before


BAD_DOCUMENTS: list[tuple[str, Any, str, str]] = [
    ("not a mapping", [ALICE], "CO231", "must be a mapping, got array"),
    ("unknown top-level keys", {**_team(ALICE), "profiles": [], "rules": {}}, "CO231",
     "unknown top-level keys: profiles, rules"),
    ("no version", {"agents": []}, "CO231", "version must be 1, got nothing"),
    ("version 2", {"version": 2, "agents": []}, "CO231", "version must be 1, got 2"),
    ("version as text", {"version": "1", "agents": []}, "CO231", 'version must be 1, got "1"'),
    ("no agents", {"version": 1}, "CO231", "agents must be a list, got nothing"),
    ("agents as mapping", {"version": 1, "agents": {"alice": {}}}, "CO231", "agents must be a list, got object"),
    ("prune as text", _team(prune="yes"), "CO231", 'prune must be true or false, got "yes"'),
    ("agent as text", _team("alice"), "CO231", "agents[0] must be a mapping"),
    ("unknown agent keys", _team(BOB, {"name": "x", "trust": 3, "limits": {}}), "CO231",
     "agents[1] has unknown keys: limits, trust"),
    ("name missing", _team({"role": "agent"}), "CO231", "agents[0].name is required and must be a string, got nothing"),
    ("name not text", _team({"name": False}), "CO231", "got false"),
    ("bad name", _team({"name": "bad name!"}), "CO221", "agents[0].name bad name!"),
    ("duplicate name", _team(BOB, ALICE, BOB), "CO232", "agents[2] and agents[0] are both named bob"),
    ("bad role", _team({"name": "x", "role": "admin"}), "CO231",
     'agents[0] (x).role must be agent, operator or auditor, got "admin"'),
    ("role not text", _team({"name": "x", "role": ["agent"]}), "CO231", "role must be agent, operator or auditor"),
    ("scopes as text", _team({"name": "x", "scopes": "locks:read"}), "CO231", "scopes must be a list of strings"),
    ("scopes with a number", _team({"name": "x", "scopes": ["locks:read", 7]}), "CO231",
     "scopes must be a list of strings"),
    ("bad scope", _team({"name": "x", "scopes": ["locks:everything"]}), "CO222", 'agents[0] (x).scopes ["locks:'),
    ("no scopes", _team({"name": "x", "scopes": []}), "CO222", "agents[0] (x).scopes []"),
    ("description not text", _team({"name": "x", "description": 42}), "CO231", "description must be a string"),
    ("description too long", _team({"name": "x", "description": "d" * 1001}), "CO231",
     "description must be a string"),
    ("null document", None, "CO231", "must be a mapping"),
]


@pytest.mark.parametrize(("document", "code", "detail"), [case[1:] for case in BAD_DOCUMENTS],
                         ids=[case[0] for case in BAD_DOCUMENTS])
def test_malformed_documents_raise_registered_codes_and_write_nothing(
        db: psycopg.Connection, document: Any, code: str, detail: str) -> None:
    operator = _operator(db)
    operator.apply_team(_team(BOB))
    before = _counts(db)
    for dry_run in (False, True):
        with pytest.raises(errors.CoordError) as caught:
            if document is None:
                operator.call("apply_team", {"p_team": None, "p_dry_run": dry_run})
            else:
                operator.apply_team(document, dry_run=dry_run)
        err = caught.value
        assert err.code == code, err
        assert isinstance(err, errors.REGISTRY[code].exception) and err.exit_code == errors.EXIT_DATAERR
        assert detail in (err.detail or ""), err.detail
        assert err.hint
    assert _counts(db) == before


def test_yaml_problems_are_reported_with_the_same_code() -> None:
    for text, detail in (("version: 1\nagents: []\nagents: [{name: x}]\n", "duplicate key 'agents'"),
                         ("version: 1\nagents:\n  - name: a\n    name: b\n", "duplicate key 'name'"),
                         ("version: 1\nagents: [\n", "not valid YAML"),
                         ("# nothing\n", "is empty")):
        with pytest.raises(errors.InvalidArgument) as caught:
            teams.parse_team(text, "team.yaml")
        assert caught.value.code == "CO231" and detail in (caught.value.detail or "")
    parsed = teams.parse_team("version: 1\nagents:\n  - name: no\n    description: 2024-05-01\n")
    assert parsed == {"version": 1, "agents": [{"name": False, "description": "2024-05-01"}]}


def test_only_operators_may_call_it(db: psycopg.Connection) -> None:
    for role in ("agent", "auditor"):
        client = Client(connection=db, token=make_principal(db, f"not-{role}", tenant=TENANT, role=role).token)
        with pytest.raises(errors.PermissionDenied) as caught:
            client.apply_team(_team(BOB))
        assert caught.value.code == "42501"


def test_an_operator_without_the_scope_is_denied_and_audited(db: psycopg.Connection) -> None:
    operator = _operator(db, scopes=["locks:*", "principals:read"])
    before = _counts(db)
    for dry_run in (False, True):
        denied = operator.apply_team(_team(BOB), dry_run=dry_run)
        assert (denied.ok, denied.code) == (False, "denied")
        assert denied.reason == "token lacks scope principals:write"
    assert [(e["decision"], e["rule"], e["details"]["dry_run"]) for e in _events(db, "team.apply")] == \
           [("denied", "scope.missing", False), ("denied", "scope.missing", True)]
    after = _counts(db)
    assert after == {**before, "events": before["events"] + 2}


def test_tokens_cannot_carry_scopes_the_caller_lacks(db: psycopg.Connection) -> None:
    operator = _operator(db, scopes=["principals:write", "locks:read"])
    before = _counts(db)
    denied = operator.apply_team(_team({"name": "boss", "role": "operator"}, {"name": "r", "scopes": ["locks:read"]}))
    assert (denied.ok, denied.code) == (False, "denied")
    assert denied.reason == "token lacks *, so it cannot issue tokens with it"
    event = _events(db, "team.apply")[-1]
    assert (event["decision"], event["rule"], event["details"]["grants"]) == ("denied", "scope.escalation",
                                                                              ["*", "locks:read"])
    assert _counts(db)["principals"] == before["principals"]
    allowed = operator.apply_team(_team({"name": "r", "scopes": ["locks:read"]}))
    assert allowed.code == "applied" and _names(allowed.details, "create") == ["r"]


def test_the_example_team_file_applies(db: psycopg.Connection) -> None:
    operator = _operator(db)
    document = teams.load_team(ROOT / "docs" / "examples" / "team.yaml")
    planned = teams.apply_team(operator, document, dry_run=True)
    assert planned.code == "planned" and len(planned.details["create"]) == 4
    applied = teams.apply_team(operator, document)
    assert applied.code == "applied" and sorted(applied.details["tokens"]) == ["coder-1", "coder-2", "planner",
                                                                               "reviewer"]
    coder = Client(connection=db, token=applied.details["tokens"]["coder-1"])
    assert coder.acquire_lock("src/app.py").code == "granted"
    reviewer = Client(connection=db, token=applied.details["tokens"]["reviewer"])
    assert [e.decision for e in reviewer.query_audit(action="team.apply")] == ["applied"]
    assert teams.apply_team(operator, document).code == "no_change"


def test_concurrent_applies_of_one_tenant_run_one_after_the_other(committed_db) -> None:
    import threading

    with committed_db.connect() as conn:
        token = make_principal(conn, "ops", tenant=TENANT, role="operator").token
    team = _team(ALICE, BOB, EVE)
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        with Client(committed_db.client_dsn, token) as client:
            barrier.wait()
            results.append(client.apply_team(team))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.code for r in results) == ["applied", "no_change", "no_change", "no_change"]
    with committed_db.connect() as conn:
        assert conn.execute("select count(*) from coord.principals").fetchone() == (4,)
        assert conn.execute("select count(*) from coord.tokens where revoked_at is null").fetchone() == (4,)


def test_agents_declare_their_profile(db: psycopg.Connection) -> None:
    op = _operator(db)
    assert op.create_profile("builders", 2, {"max_locks": 5}).ok
    assert op.create_profile("reviewers", 1).ok
    first = op.apply_team(_team({**ALICE, "profile": "builders"}, BOB))
    assert first.code == "applied"
    profiles = dict(db.execute("select p.name, f.name from coord.principals p left join coord.profiles f "
                               "on f.id = p.profile_id where p.name in ('alice', 'bob')").fetchall())
    assert profiles == {"alice": "builders", "bob": None}
    tokens_before = _counts(db)["tokens"]
    again = op.apply_team(_team({**ALICE, "profile": "builders"}, BOB))
    assert (again.code, _names(again.details, "unchanged")) == ("no_change", ["alice", "bob"])
    moved = op.apply_team(_team({**ALICE, "profile": None}, {**BOB, "profile": "reviewers"}))
    assert [(c["name"], c["change"], c.get("profile_before")) for c in moved.details["change"]] == [
        ("alice", "profile", "builders"), ("bob", "profile", None)]
    assert _counts(db)["tokens"] == tokens_before  # a profile change issues no token
    assert [e["details"]["profile"] for e in _events(db, "profile.assign")] == ["builders", None, "reviewers"]
    assert {e["rule"] for e in _events(db, "profile.assign")} == {"scope.granted"}  # the team.apply decision
    with pytest.raises(errors.CoordError) as err:
        op.apply_team(_team({**EVE, "profile": "builders"}))
    assert err.value.code == "CO231"
    with pytest.raises(errors.CoordError) as err:
        op.apply_team(_team({**BOB, "profile": "nobody"}))
    assert err.value.code == "CO462"
