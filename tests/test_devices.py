"""Devices: principals of kind device, owned by the agent or operator that added them, that
authenticate as the agent role held to their own token scopes; token rotation with and without a
grace period; revocation; presence from heartbeats; and owners never approving their devices'
requests (coord.acts_for)."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from coord_cli.main import main

from coordinator import errors
from coordinator.client import Client
from coordinator.errors import EXIT_NOT_OK
from tests.conftest import Database, advance_clock, make_principal


def last_rule(db: psycopg.Connection, action: str) -> str:
    row = db.execute("select rule from audit.events where action = %s and decision = 'denied' order by id desc limit 1",
                     (action,)).fetchone()
    assert row is not None
    return row[0]


def operator_of(db: psycopg.Connection, tenant: str = "t1") -> Client:
    return Client(connection=db, token=make_principal(db, role="operator", tenant=tenant).token)


def test_a_device_reaches_only_what_its_scopes_allow(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory("owner")
    grant = owner.add_device("door-sensor", ["sessions:write", "tasks:read"])
    assert (grant.code, grant.role, grant.scopes) == ("issued", "agent", ["sessions:write", "tasks:read"])
    device = Client(connection=db, token=grant.token)
    info = device.authenticate()
    assert info is not None and (info.kind, info.role, info.name) == ("device", "agent", "door-sensor")
    assert device.start_session("sensor").ok
    assert device.heartbeat().ok
    refused = device.acquire_lock("src/a.py")
    assert refused.code == "denied" and refused.details["rule"] == "scope.missing"
    assert device.submit_task("build", {}).code == "denied"
    # A device adds no devices, and cannot widen its scopes through one.
    assert device.add_device("child", ["sessions:write"]).code == "denied"
    row = db.execute("select owner_id from coord.principals where name = 'door-sensor'").fetchone()
    assert row is not None and row[0] == owner.authenticate().principal_id  # type: ignore[union-attr]


def test_device_scopes_never_exceed_the_adder_s(db: psycopg.Connection, agent_factory: Any) -> None:
    _, narrow = agent_factory(scopes=["principals:write", "sessions:write"])
    refused = narrow.add_device("cam", ["locks:write"])
    assert refused.code == "denied" and last_rule(db, "device.add") == "scope.escalation"
    assert narrow.add_device("cam", ["sessions:write"]).code == "issued"
    with pytest.raises(errors.CoordError) as caught:
        narrow.add_device("cam", ["sessions:write"])
    assert caught.value.code == "CO304"


def test_rotation_without_grace_refuses_the_old_token_at_once(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory()
    old = owner.add_device("probe", ["sessions:write"])
    new = owner.rotate_token("probe")
    assert (new.code, new.scopes) == ("rotated", ["sessions:write"]) and new.token != old.token
    with pytest.raises(errors.Unauthenticated):
        Client(connection=db, token=old.token).authenticate()
    assert Client(connection=db, token=new.token).authenticate() is not None
    replaced = db.execute("select replaced_by from coord.tokens where id = %s", (old.token_id,)).fetchone()
    assert replaced is not None and replaced[0] == new.token_id
    assert owner.rotate_token("probe", token_id=old.token_id).code == "not_live"
    assert db.execute("select count(*) from audit.events where action = 'token.rotate' and decision = 'rotated'"
                      ).fetchone()[0] == 1  # type: ignore[index]


def test_rotation_with_grace_keeps_the_old_token_until_it_ends(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory()
    old = owner.add_device("probe", ["sessions:write"])
    new = owner.rotate_token("probe", "10 minutes")
    assert new.code == "rotated"
    advance_clock(db, "9 minutes")
    assert Client(connection=db, token=old.token).authenticate() is not None
    advance_clock(db, "2 minutes")
    with pytest.raises(errors.Unauthenticated) as caught:
        Client(connection=db, token=old.token).authenticate()
    assert "expired" in (caught.value.detail or "")
    assert Client(connection=db, token=new.token).authenticate() is not None
    with pytest.raises(errors.CoordError) as bad:
        owner.rotate_token("probe", "31 days")
    assert bad.value.code == "CO227"


def test_operators_rotate_any_token_agents_only_their_own_and_their_devices(db: psycopg.Connection,
                                                                          agent_factory: Any) -> None:
    worker, _ = agent_factory("worker")
    _, owner = agent_factory("owner")
    operator = operator_of(db)
    owner.add_device("owned", ["sessions:write"])
    operator.add_device("fleet-cam", ["sessions:write"])
    other = owner.rotate_token("worker")
    assert other.code == "denied" and last_rule(db, "token.rotate") == "principal.not_owner"
    assert owner.rotate_token("fleet-cam").code == "denied"
    assert owner.revoke_device("fleet-cam").code == "denied"
    assert owner.rotate_token("owned").code == "rotated"
    mine = owner.rotate_token("owner", "1 minute")
    assert mine.code == "rotated"
    # An operator rotates an agent's token without a superuser DSN.
    rotated = operator.rotate_token("worker")
    assert rotated.code == "rotated"
    with pytest.raises(errors.Unauthenticated):
        Client(connection=db, token=worker.token).authenticate()
    assert operator.rotate_token("fleet-cam").code == "rotated"


def test_rotation_never_hands_out_scopes_the_caller_lacks(db: psycopg.Connection, agent_factory: Any) -> None:
    agent_factory("wide-agent")
    narrow = Client(connection=db, token=make_principal(db, role="operator", scopes=["tokens:write"]).token)
    refused = narrow.rotate_token("wide-agent")
    assert refused.code == "denied" and refused.token is None and last_rule(db, "token.rotate") == "scope.escalation"


def test_revoke_token_covers_device_tokens(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory()
    grant = owner.add_device("plug", ["sessions:write"])
    assert operator_of(db).revoke_token(grant.token_id).code == "revoked"
    with pytest.raises(errors.Unauthenticated):
        Client(connection=db, token=grant.token).authenticate()


def test_a_revoked_device_is_refused_on_its_next_call(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory()
    grant = owner.add_device("lamp", ["sessions:write"])
    rotated = owner.rotate_token("lamp", "1 hour")  # two live tokens: both must go
    assert owner.revoke_device("lamp").code == "revoked"
    assert owner.revoke_device("lamp").code == "already_revoked"
    for token in (grant.token, rotated.token):
        with pytest.raises(errors.Unauthenticated):
            Client(connection=db, token=token).authenticate()
    devices = [(d.name, d.presence, d.disabled_at is not None) for d in owner.list_devices()]
    assert devices == [("lamp", "offline", True)]
    with pytest.raises(errors.CoordError) as caught:
        owner.revoke_device("nothing-here")
    assert caught.value.code == "CO302"


def test_other_tenants_devices_are_out_of_reach(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory(tenant="ta")
    owner.add_device("ta-device", ["sessions:write"])
    _, stranger = agent_factory(tenant="tb")
    operator_b = operator_of(db, "tb")
    for client in (stranger, operator_b):
        with pytest.raises(errors.CoordError) as caught:
            client.rotate_token("ta-device")
        assert caught.value.code == "CO302"
        with pytest.raises(errors.CoordError):
            client.revoke_device("ta-device")
        assert client.list_devices() == []


def test_presence_follows_the_heartbeat(db: psycopg.Connection, agent_factory: Any) -> None:
    _, owner = agent_factory()
    device = Client(connection=db, token=owner.add_device("thermo", ["sessions:write"]).token)
    [row] = owner.list_devices()
    assert (row.presence, row.last_seen_at, row.scopes, row.owner_name) == ("offline", None, ["sessions:write"],
                                                                            owner.authenticate().name)  # type: ignore[union-attr]
    assert device.start_session("thermo", ttl="1 minute").ok
    assert [d.presence for d in owner.list_devices()] == ["online"]
    advance_clock(db, "90 seconds")  # past the session's ttl, within twice it
    assert [d.name for d in owner.list_devices("online")] == ["thermo"]
    advance_clock(db, "31 seconds")
    assert [d.presence for d in owner.list_devices()] == ["offline"]
    assert owner.list_devices("online") == []


def test_an_owner_never_approves_its_device_s_request(db: psycopg.Connection, agent_factory: Any) -> None:
    operator = operator_of(db)
    boss_principal = make_principal(db, "boss")
    assert operator.create_profile("trust4-boss", 4).ok
    assert operator.assign_profile("boss", "trust4-boss").ok
    boss = Client(connection=db, token=boss_principal.token)
    device = Client(connection=db, token=boss.add_device("deployer", ["guardrails:*"]).token)
    assert operator.add_guardrail("release-always-asks", "deployment", "command", "critical",
                                  pattern=r"^make release\y", mode="needs_approval").ok
    asked = device.check_operation("command", "make release")
    assert asked.code == "needs_approval"
    refused = boss.approve_request(asked.approval_id, "my own device")
    assert refused.code == "self_approval" and not refused.ok
    assert db.execute("select coord.acts_for(%s, (select id from coord.principals where name = 'deployer'))",
                      (boss_principal.principal_id,)).fetchone()[0] is True  # type: ignore[index]
    assert operator.approve_request(asked.approval_id, "fine").code == "approved"


def test_the_device_and_token_commands(committed_db: Database) -> None:
    with committed_db.connect() as conn:
        owner = make_principal(conn, "cli-owner")
        operator = make_principal(conn, "cli-operator", role="operator")

    def coord(token: str, *args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, [*args, "--dsn", committed_db.client_dsn, "--token", token],
                                  env={"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": ""},
                                  catch_exceptions=False)

    added = coord(owner.token, "device", "add", "cli-cam", "--scopes", "sessions:write,tasks:read", "--json")
    assert added.exit_code == 0, added.stdout
    grant = json.loads(added.stdout)
    assert (grant["code"], grant["scopes"]) == ("issued", ["sessions:write", "tasks:read"])
    listed = json.loads(coord(operator.token, "device", "list", "--json").stdout)
    assert [(d["name"], d["owner_name"], d["presence"]) for d in listed] == [("cli-cam", "cli-owner", "offline")]
    rotated = coord(owner.token, "device", "rotate", "cli-cam", "--grace", "5 minutes", "--json")
    assert rotated.exit_code == 0 and json.loads(rotated.stdout)["code"] == "rotated"
    # Operators rotate an agent's token with their own token, no superuser DSN.
    other = coord(operator.token, "token", "rotate", "cli-owner", "--json")
    assert other.exit_code == 0 and json.loads(other.stdout)["token"]
    refused = coord(json.loads(rotated.stdout)["token"], "device", "revoke", "cli-cam", "--json")
    assert refused.exit_code == EXIT_NOT_OK and json.loads(refused.stdout)["code"] == "denied"
    revoked = coord(operator.token, "device", "revoke", "cli-cam", "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["code"] == "revoked"
    assert "--scopes" in coord(operator.token, "device", "add", "--help").stdout
