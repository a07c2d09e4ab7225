"""Skills: permission manifests validated strictly in the database, immutable versions, an
approval for a wider manifest, sessions held to the intersection of profile and manifest, and
validate_skill predicting exactly what the live calls then do (docs/skills.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.client import Client
from coordinator.errors import CoordError
from tests.conftest import make_principal

HELD_BACK = json.loads((Path(__file__).parent / "fixtures" / "skills" / "heldback_manifests.json").read_text())

WEB = {"network": ["pypi.org", "*.github.com"],
       "files": [{"path": "src/", "access": "write"}, {"path": "docs/*.md", "access": "read"}],
       "env": ["HOME", "AWS_*"]}


def _operator(agent_factory) -> Client:
    return agent_factory(role="operator")[1]


def _agent(agent_factory, op: Client, trust: int = 2, name: str | None = None) -> tuple[Any, Client]:
    """An agent whose profile allows every host no rule denies (so only the skill can refuse)."""
    principal, agent = agent_factory(name)
    profile = f"open-{principal.name}"
    assert op.create_profile(profile, trust, {"network_default": "allow"}).ok
    assert op.assign_profile(principal.name, profile).ok
    return principal, agent


def _events(db: psycopg.Connection, action: str, decision: str) -> list[dict[str, Any]]:
    return [row[0] for row in db.execute(
        "select details from audit.events where action = %s and decision = %s order by id", (action, decision))]


# --- the manifest -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", HELD_BACK, ids=[c["why"] for c in HELD_BACK])
def test_held_back_manifests(agent_factory, case: dict[str, Any]) -> None:
    """A set of malicious and edge manifests written apart from the validator: each is refused with
    the registered code it deserves, or accepted, and a refusal writes nothing."""
    op = _operator(agent_factory)
    if case["expect"] == "ok":
        assert op.register_skill("probe", "1.0.0", case["manifest"]).code == "registered"
        return
    with pytest.raises(CoordError) as caught:
        op.register_skill("probe", "1.0.0", case["manifest"])
    assert caught.value.code == case["expect"], str(caught.value)
    assert caught.value.hint
    assert op.list_skills(include_retired=True) == []


@pytest.mark.parametrize(("manifest", "canonical"), [
    ({}, {"network": [], "files": [], "env": []}),
    ({"network": ["PyPI.org.", "pypi.org:443", "*.GitHub.com"]}, {"network": ["*.github.com", "pypi.org"]}),
    ({"network": ["2852039166"]}, {"network": ["169.254.169.254"]}),
    ({"files": [{"path": "src/", "access": "read"}, {"path": "./src/**", "access": "write"}]},
     {"files": [{"path": "src/**", "access": "write"}]}),
    ({"files": [{"path": "src\\lib\\a.py", "access": "read"}, {"path": "a/../docs/x.md", "access": "read"}]},
     {"files": [{"path": "docs/x.md", "access": "read"}, {"path": "src/lib/a.py", "access": "read"}]}),
    ({"env": ["HOME", "CI", "HOME"]}, {"env": ["CI", "HOME"]}),
])
def test_manifests_are_stored_canonical(agent_factory, manifest: dict[str, Any], canonical: dict[str, Any]) -> None:
    op = _operator(agent_factory)
    result = op.register_skill("canon", "1.0.0", manifest)
    expected = {"network": [], "files": [], "env": []} | canonical
    assert result.details["manifest"] == expected
    assert op.get_skill("canon@1.0.0")[0].manifest == expected


def test_versions_are_immutable_and_only_grow(agent_factory) -> None:
    op = _operator(agent_factory)
    assert op.register_skill("web", "1.0.0", WEB).code == "registered"
    again = op.register_skill("web", "1.0.0", {**WEB, "network": ["*.github.com", "pypi.org."]})
    assert again.code == "already_registered" and again.ok
    with pytest.raises(CoordError) as changed:
        op.register_skill("web", "1.0.0", {"network": ["pypi.org"]})
    assert changed.value.code == "CO767"
    with pytest.raises(CoordError) as older:
        op.register_skill("web", "0.9.9", WEB)
    assert older.value.code == "CO766"
    assert op.register_skill("web", "1.10.0", WEB).code == "registered"  # numeric order, not text
    with pytest.raises(CoordError) as between:
        op.register_skill("web", "1.9.0", WEB)
    assert between.value.code == "CO766"
    assert [s.version for s in op.list_skills("web")] == ["1.10.0", "1.0.0"]
    assert op.get_skill("web")[0].version == "1.10.0"


def test_retiring_stops_new_sessions_not_running_ones(agent_factory) -> None:
    op = _operator(agent_factory)
    _, agent = _agent(agent_factory, op)
    assert op.register_skill("web", "1.0.0", WEB).ok
    assert op.register_skill("web", "1.1.0", {"network": ["pypi.org"]}).ok
    assert agent.start_session(skill="web@1.1.0").details["skill"] == "web@1.1.0"
    result = op.retire_skill("web", "1.1.0")
    assert (result.code, result.details["versions"]) == ("retired", ["1.1.0"])
    assert op.retire_skill("web", "1.1.0").code == "already_retired"
    # The running session stays held to 1.1.0.
    assert agent.check_network("api.github.com").code == "outside_skill"
    _, other = _agent(agent_factory, op)
    with pytest.raises(CoordError) as retired:
        other.start_session(skill="web@1.1.0")
    assert retired.value.code == "CO768"
    assert other.start_session(skill="web").details["skill"] == "web@1.0.0"  # the newest live version
    assert [s.version for s in op.list_skills("web")] == ["1.0.0"]
    assert [s.version for s in op.list_skills("web", True)] == ["1.1.0", "1.0.0"]
    assert op.retire_skill("web").details["versions"] == ["1.0.0"]
    with pytest.raises(CoordError) as unknown:
        op.retire_skill("nope")
    assert unknown.value.code == "CO765"


# --- approval on widening ---------------------------------------------------------------------

def test_a_wider_manifest_needs_an_approval_when_an_agent_registers_it(db, agent_factory) -> None:
    op = _operator(agent_factory)
    _, admin = _agent(agent_factory, op, trust=4)
    _, worker = _agent(agent_factory, op, trust=3)
    assert worker.register_skill("web", "1.0.0", {}).code == "denied"  # trust 4 manages skills

    asked = admin.register_skill("web", "1.0.0", {"network": ["pypi.org"]}, reason="first version")
    assert (asked.ok, asked.code) == (False, "needs_approval")
    assert asked.details["widened"] == [{"network": "pypi.org"}]
    approval = asked.approval_id
    assert approval == asked.details["approval_id"]
    assert op.list_skills() == []  # nothing registered yet
    assert admin.register_skill("web", "1.0.0", {"network": ["pypi.org"]}).details["approval_id"] == approval
    not_yet = admin.register_skill("web", "1.0.0", {"network": ["pypi.org"]}, approval=approval)
    assert not_yet.code == "approval_not_granted"
    assert op.approve_request(approval, "reviewed").ok
    # The grant is for exactly that manifest and version.
    other = admin.register_skill("web", "1.0.0", {"network": ["pypi.org", "files.pythonhosted.org"]},
                                 approval=approval)
    assert other.code == "approval_mismatch"
    done = admin.register_skill("web", "1.0.0", {"network": ["pypi.org"]}, approval=approval)
    assert (done.code, done.approval_id, done.details["approval_id"]) == ("registered", approval, approval)
    assert op.get_skill("web@1.0.0")[0].approval_id == approval

    # Narrower or equal: no approval.
    assert admin.register_skill("web", "1.1.0", {"network": ["pypi.org"]}).code == "registered"
    narrower = admin.register_skill("web", "1.2.0", {})
    assert (narrower.code, narrower.details["widened"]) == ("registered", [])
    # Wider than the previous version (1.2.0 allows nothing), even if an older one allowed it.
    again = admin.register_skill("web", "1.3.0", {"network": ["pypi.org"]})
    assert again.code == "needs_approval"
    reused = admin.register_skill("web", "1.3.0", {"network": ["pypi.org"]}, approval=approval)
    assert reused.code == "approval_mismatch"  # a grant is for one version and manifest

    # Operators widen without an approval; the widening is audited all the same.
    wide = op.register_skill("web", "2.0.0", {"network": ["*.github.com"],
                                              "files": [{"path": "src/", "access": "read"}]})
    assert wide.code == "registered"
    assert wide.details["widened"] == [{"network": "*.github.com"}, {"files": {"path": "src/**", "access": "read"}}]
    events = _events(db, "skill.register", "registered")
    assert events[-1]["widened"] == wide.details["widened"] and events[-1]["version"] == "2.0.0"
    assert [e["approval_id"] for e in events if "approval_id" in e] == [approval]
    assert _events(db, "skill.register", "needs_approval")[0]["widened"] == [{"network": "pypi.org"}]


@pytest.mark.parametrize(("old", "new", "widened"), [
    ({"network": ["*.github.com"]}, {"network": ["api.github.com", "*.x.github.com"]}, []),
    ({"network": ["api.github.com"]}, {"network": ["*.github.com"]}, [{"network": "*.github.com"}]),
    ({"network": ["*.api.github.com"]}, {"network": ["api.github.com"]}, [{"network": "api.github.com"}]),
    ({"files": [{"path": "src/", "access": "write"}]},
     {"files": [{"path": "src/a.py", "access": "read"}, {"path": "src/lib/", "access": "write"},
                {"path": "src/*.py", "access": "write"}]}, []),
    ({"files": [{"path": "src/*.py", "access": "write"}]}, {"files": [{"path": "src/", "access": "read"}]},
     [{"files": {"path": "src/**", "access": "read"}}]),
    ({"files": [{"path": "src/*", "access": "write"}]}, {"files": [{"path": "src/*/**", "access": "read"}]},
     [{"files": {"path": "src/*/**", "access": "read"}}]),
    ({"files": [{"path": "src/a.py", "access": "read"}]}, {"files": [{"path": "src/a.py", "access": "write"}]},
     [{"files": {"path": "src/a.py", "access": "write"}}]),
    ({"files": [{"path": "s*/**", "access": "read"}]}, {"files": [{"path": "src/*.py", "access": "read"}]}, []),
    ({"env": ["AWS_*"]}, {"env": ["AWS_REGION", "AWS_S3_*"]}, []),
    ({"env": ["AWS_REGION"]}, {"env": ["AWS_*"]}, [{"env": "AWS_*"}]),
])
def test_what_counts_as_wider(agent_factory, old: dict[str, Any], new: dict[str, Any], widened: list[Any]) -> None:
    op = _operator(agent_factory)
    assert op.register_skill("w", "1.0.0", old).ok
    assert op.register_skill("w", "1.0.1", new).details["widened"] == widened


# --- sessions held to profile and manifest ----------------------------------------------------

def test_an_agent_running_a_skill_cannot_lease_or_reach_outside_its_manifest(db, agent_factory) -> None:
    op = _operator(agent_factory)
    _, agent = _agent(agent_factory, op)
    assert op.register_skill("web", "1.0.0", WEB).ok
    started = agent.start_session(skill="web@1.0.0")
    assert started.details["skill"] == "web@1.0.0" and started.details["manifest"]["env"] == ["AWS_*", "HOME"]

    assert agent.acquire_lock("src/app.py").code == "granted"
    assert agent.acquire_lock("src/lib/").code == "granted"
    assert agent.acquire_lock("docs/guide.md", mode="shared").code == "granted"
    refused = agent.acquire_lock("docs/guide.md")  # read-only entry: no exclusive lease
    assert (refused.ok, refused.code) == (False, "outside_skill")
    assert refused.details["needs"] == {"files": {"path": "docs/guide.md", "access": "write"}}
    assert refused.details["skill"] == "web@1.0.0" and "web@1.0.0" in refused.reason
    assert agent.acquire_lock("docs/", mode="shared").code == "outside_skill"  # a subtree needs a /** entry
    assert agent.acquire_lock("secrets/prod.env").details["needs"] == {
        "files": {"path": "secrets/prod.env", "access": "write"}}

    batch = agent.acquire_locks(["src/b.py", "etc/passwd", "src/c.py"])
    assert [r.code for r in batch] == ["batch_refused", "outside_skill", "batch_refused"]
    assert {r.path for r in agent.my_locks()} == {"src/app.py", "src/lib/", "docs/guide.md"}

    assert agent.check_network("pypi.org").code == "allowed"
    assert agent.check_network("api.github.com").code == "allowed"
    outside = agent.check_network("evil.example")
    assert (outside.code, outside.decided_by, outside.details["needs"]) == (
        "outside_skill", "skill", {"network": "evil.example"})
    assert agent.check_network("github.com").code == "outside_skill"  # *.github.com: subdomains only

    assert agent.check_operation("env", "HOME").code == "allowed"
    assert agent.check_operation("env", "AWS_SECRET_ACCESS_KEY").code == "allowed"
    env = agent.check_operation("env", "GITHUB_TOKEN")
    assert (env.code, env.details["needs"]) == ("outside_skill", {"env": "GITHUB_TOKEN"})
    assert agent.check_operation("path", "src/app.py").code == "allowed"
    assert agent.check_operation("path", "docs/guide.md").code == "outside_skill"
    assert agent.check_operation("path", "/etc/passwd").code == "outside_skill"

    # Every refusal is audited with the skill and its version.
    lock_events = _events(db, "lock.acquire", "outside_skill")
    assert len(lock_events) == 4
    assert all(e["skill_name"] == "web" and e["skill_version"] == "1.0.0" for e in lock_events)
    assert [e["needs"] for e in _events(db, "network.check", "outside_skill")] == [
        {"network": "evil.example"}, {"network": "github.com"}]
    assert len(_events(db, "guardrail.check", "outside_skill")) == 3


def test_the_profile_still_decides_inside_the_manifest(agent_factory) -> None:
    """The intersection: what the manifest allows, the profile and the rules may still refuse."""
    op = _operator(agent_factory)
    principal, agent = _agent(agent_factory, op)
    assert op.register_skill("web", "1.0.0", WEB).ok
    assert op.add_network_rule("pypi.org", "deny", for_agent=principal.name).ok
    assert agent.start_session(skill="web").ok
    assert agent.check_network("pypi.org").code == "denied"
    assert op.update_profile(f"open-{principal.name}", {"max_lock_ttl": "1 minute"}).ok
    assert agent.acquire_lock("src/app.py", ttl="10 minutes").code == "denied"
    assert agent.acquire_lock("src/app.py", ttl="30 seconds").code == "granted"


def test_a_session_without_a_skill_is_not_held_to_any_manifest(agent_factory) -> None:
    op = _operator(agent_factory)
    _, agent = _agent(agent_factory, op)
    assert op.register_skill("web", "1.0.0", WEB).ok
    assert agent.start_session().ok
    assert agent.acquire_lock("secrets/prod.env").code == "granted"
    assert agent.check_network("evil.example").code == "allowed"
    assert agent.check_operation("env", "GITHUB_TOKEN").code == "allowed"


def test_a_claim_takes_only_task_leases_inside_the_manifest(db, agent_factory) -> None:
    op = _operator(agent_factory)
    _, agent = _agent(agent_factory, op)
    assert op.register_skill("web", "1.0.0", WEB).ok
    outside = op.submit_task("build", locks=["infra/main.tf"], priority=10).task_id
    assert agent.start_session(skill="web@1.0.0").ok
    refused = agent.claim_task(["build"])
    assert (refused.code, refused.details["task_ids"]) == ("outside_skill", [outside])
    assert refused.details["needs"] == {"files": {"path": "infra/main.tf", "access": "write"}}
    assert op.get_task(outside).state == "queued"
    inside = op.submit_task("build", locks=["src/app.py"]).task_id
    claimed = agent.claim_task(["build"])
    assert (claimed.code, claimed.task_id) == ("claimed", inside)
    assert list(claimed.locks) == ["src/app.py"]
    assert [e["task_id"] for e in _events(db, "lock.acquire", "outside_skill")] == [outside, outside]


def test_skills_stay_in_their_tenant(db) -> None:
    a_op = Client(connection=db, token=make_principal(db, tenant="skills-a", role="operator").token)
    b_op = Client(connection=db, token=make_principal(db, tenant="skills-b", role="operator").token)
    b_agent = Client(connection=db, token=make_principal(db, tenant="skills-b").token)
    assert a_op.register_skill("secret-skill", "1.0.0", WEB).ok
    assert b_op.list_skills(include_retired=True) == []
    for call in (lambda: b_op.get_skill("secret-skill"), lambda: b_agent.start_session(skill="secret-skill@1.0.0"),
                 lambda: b_op.validate_skill("secret-skill", []), lambda: b_op.retire_skill("secret-skill")):
        with pytest.raises(CoordError) as caught:
            call()
        assert caught.value.code == "CO765"
    # The same name in B is B's own, with its own versions.
    assert b_op.register_skill("secret-skill", "0.1.0", {}).code == "registered"
    assert a_op.get_skill("secret-skill")[0].version == "1.0.0"


def test_validate_skill_writes_nothing(db, agent_factory) -> None:
    op = _operator(agent_factory)
    assert op.register_skill("web", "1.0.0", WEB).ok
    count = "select (select count(*) from audit.events), (select count(*) from coord.locks)"
    before = db.execute(count).fetchone()
    rows = op.validate_skill("web", [{"kind": "lock", "path": "src/a.py"}, {"kind": "network", "domain": "x.org"},
                                     {"kind": "env", "name": "HOME"}, {"kind": "path", "path": "/etc/passwd"},
                                     {"kind": "lock", "path": "../x"}])
    assert [(r.code, r.needs) for r in rows] == [
        ("allowed", None), ("outside_skill", {"network": "x.org"}), ("allowed", None),
        ("outside_skill", {"files": {"path": "/etc/passwd", "access": "write"}}), ("error", {"sqlstate": "CO204"})]
    assert db.execute(count).fetchone() == before
    with pytest.raises(CoordError) as caught:
        op.validate_skill("web", [{"kind": "lock", "path": "a", "mode": "sideways"}])
    assert caught.value.code == "CO769"


# --- validate_skill predicts the live calls ---------------------------------------------------

HOSTS = ["pypi.org", "*.github.com", "api.example.com", "10.0.0.1", "*.pythonhosted.org"]
PATTERNS = ["src/", "src/*.py", "docs/readme.md", "docs/", "tests/*/x.py", "*.md", "src/lib/**"]
VARIABLES = ["HOME", "AWS_*", "CI"]
DOMAINS = ["pypi.org", "PyPI.org.", "files.pythonhosted.org", "pythonhosted.org", "api.github.com", "github.com",
           "a.b.github.com", "api.example.com:443", "10.0.0.1", "0x0a000001", "example.com", "https://pypi.org/x"]
PATHS = ["src/a.py", "src/", "src", "src/lib/b.py", "src/lib/", "docs/readme.md", "docs/", "docs/x/y.md",
         "tests/u/x.py", "tests/u/v/x.py", "README.md", "x.md", "./src/../src/a.py", "../etc/passwd", "/etc/passwd",
         "src\\win.py"]
NAMES = ["HOME", "AWS_REGION", "AWS", "PATH", "CI", "CIX", "not-a-name"]

manifests = st.fixed_dictionaries({
    "network": st.lists(st.sampled_from(HOSTS), max_size=3),
    "files": st.lists(st.fixed_dictionaries({"path": st.sampled_from(PATTERNS),
                                             "access": st.sampled_from(["read", "write"])}), max_size=3),
    "env": st.lists(st.sampled_from(VARIABLES), max_size=2)})
operations = st.lists(st.one_of(
    st.builds(lambda d: {"kind": "network", "domain": d}, st.sampled_from(DOMAINS)),
    st.builds(lambda p, m: {"kind": "lock", "path": p, "mode": m}, st.sampled_from(PATHS),
              st.sampled_from(["exclusive", "shared"])),
    st.builds(lambda p: {"kind": "path", "path": p}, st.sampled_from(PATHS)),
    st.builds(lambda n: {"kind": "env", "name": n}, st.sampled_from(NAMES))), min_size=1, max_size=6)


def _live(agent: Client, op: dict[str, Any]) -> Any:
    if op["kind"] == "network":
        return agent.check_network(op["domain"])
    if op["kind"] == "lock":
        return agent.acquire_lock(op["path"], mode=op["mode"])
    if op["kind"] == "path":
        return agent.check_operation("path", op["path"])
    return agent.check_operation("env", op["name"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(manifest=manifests, ops=operations)
def test_validate_skill_predicts_what_the_live_calls_do(db, agent_factory, manifest, ops) -> None:
    """For generated manifests and operations: where validate_skill says error, the live call
    raises that error; outside_skill, the live call answers outside_skill naming the same missing
    entry (and so does acquire_locks for a lock); allowed, the live call is not refused by the
    skill (the open profile then grants leases and hosts)."""
    with db.transaction(force_rollback=True):
        op = _operator(agent_factory)
        _, agent = _agent(agent_factory, op)
        assert op.register_skill("gen", "1.0.0", manifest).ok
        assert agent.start_session(skill="gen@1.0.0").ok
        predicted = agent.validate_skill("gen@1.0.0", ops)
        assert [r.position for r in predicted] == list(range(len(ops)))
        for operation, row in zip(ops, predicted, strict=True):
            with db.transaction(force_rollback=True):
                if row.code == "error":
                    with pytest.raises(CoordError) as caught:
                        _live(agent, operation)
                    assert caught.value.code == row.needs["sqlstate"], operation
                    continue
                live = _live(agent, operation)
                if row.code == "outside_skill":
                    assert (live.code, live.details["needs"]) == ("outside_skill", row.needs), operation
                else:
                    assert live.code != "outside_skill", operation
                    if operation["kind"] == "lock":
                        assert live.ok, (operation, live.code, live.reason)
            if operation["kind"] == "lock" and row.code != "error":
                with db.transaction(force_rollback=True):
                    batch = agent.acquire_locks([operation["path"]], mode=operation["mode"])
                    assert (batch[0].code == "outside_skill") == (row.code == "outside_skill"), operation
