"""The JWT mode: HS256 JWTs minted and verified by the database itself (HMAC-SHA256 from the
built-in sha256(), base64url, alg, exp/nbf, the jti as a token of coord.tokens), exercised by
replaying PostgREST's exact statements with `Authorization: Bearer <jwt>`.

PostgREST accepts a Bearer JWT only when it has a jwt-secret; it then runs the request as the
JWT's role with its claims in request.jwt.claims (the replay's jwt_claims). The database ignores
both and verifies the header's JWT again, so each forged token is replayed as if PostgREST had
let it through (a PostgREST configured with a leaked or wrong key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from coordinator.client import Client
from tests.conftest import Cluster, Database, Principal, advance_clock, clone_template, make_principal
from tests.interfaces import HttpResponse, PostgrestSession
from tests.test_logins import bind, dsn_as

# RFC 4231, section 4: HMAC-SHA-256 test cases (key, data, HMAC; case 5 is truncated to 128 bits).
RFC_4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data. The key "
                    b"needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes, digest: Any = hashlib.sha256) -> str:
    """A JWT signed in Python (as an attacker, or a PostgREST-side tool, would)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(hmac.new(key, signing_input.encode(), digest).digest())}"


def payload(jwt: str) -> dict[str, Any]:
    return json.loads(unb64url(jwt.split(".")[1]))


def header(jwt: str) -> dict[str, Any]:
    return json.loads(unb64url(jwt.split(".")[0]))


def issue_jwt(conn: psycopg.Connection, principal: Principal, expires_in: str | None = None) -> str:
    row = conn.execute("select (coord.issue_jwt(%s, %s, '{*}', %s::interval, null)).token",
                       (principal.tenant_id, principal.principal_id, expires_in)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def signing_key(conn: psycopg.Connection) -> tuple[str, bytes]:
    row = conn.execute("select kid, secret from coord.jwt_signing_key()").fetchone()
    assert row is not None
    return row[0], bytes(row[1])


# --- HMAC-SHA256 and base64url -------------------------------------------------------------------

@pytest.mark.parametrize(("key", "data", "expected"), RFC_4231)
def test_hmac_sha256_matches_rfc_4231(db: psycopg.Connection, key: bytes, data: bytes, expected: str) -> None:
    row = db.execute("select encode(coord.hmac_sha256(%s, %s), 'hex')", (key, data)).fetchone()
    assert row is not None
    assert row[0][:len(expected)] == expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(key=st.binary(max_size=200), data=st.binary(max_size=300))
def test_hmac_sha256_matches_pythons_hmac(db: psycopg.Connection, key: bytes, data: bytes) -> None:
    row = db.execute("select coord.hmac_sha256(%s, %s)", (key, data)).fetchone()
    assert row is not None and bytes(row[0]) == hmac.new(key, data, hashlib.sha256).digest()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(max_size=100))
def test_base64url_round_trips_and_matches_python(db: psycopg.Connection, data: bytes) -> None:
    row = db.execute("select coord.base64url_encode(%s), coord.base64url_decode(coord.base64url_encode(%s))",
                     (data, data)).fetchone()
    assert row is not None
    assert row[0] == b64url(data) and bytes(row[1]) == data


@pytest.mark.parametrize("text", ["QQ==", "QQ=", "a+b/", "QR", "Q", "abc.", " QQ", "QUI\n"])
def test_base64url_decode_refuses_anything_but_the_canonical_text(db: psycopg.Connection, text: str) -> None:
    # QR decodes to the same byte as QQ in lenient decoders (unused low bits); only QQ is canonical.
    row = db.execute("select coord.base64url_decode(%s)", (text,)).fetchone()
    assert row == (None,)


# --- replaying PostgREST with Bearer JWTs --------------------------------------------------------

@pytest.fixture(scope="module")
def jwt_db(cluster: Cluster) -> Iterator[Database]:
    """One committed database for the module: the replays commit (or abort) like PostgREST."""
    database = clone_template(cluster, f"jwt_{uuid.uuid4().hex[:10]}")
    try:
        yield database
    finally:
        with psycopg.connect(cluster.admin_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'drop database "{database.name}" with (force)')  # test-owned name


@pytest.fixture(scope="module")
def admin_conn(jwt_db: Database) -> Iterator[psycopg.Connection]:
    with jwt_db.connect() as conn:
        yield conn


@pytest.fixture(scope="module")
def postgrest(jwt_db: Database) -> Iterator[PostgrestSession]:
    with PostgrestSession(jwt_db.client_dsn) as session:
        yield session


def bearer(session: PostgrestSession, jwt: str, function: str = "acquire_lock",
           body: dict[str, Any] | None = None, claims: dict[str, Any] | None = None) -> HttpResponse:
    """The request as PostgREST runs it once it accepted the JWT (claims: what it decoded)."""
    if body is None:
        body = {"p_path": f"src/{uuid.uuid4().hex[:8]}.py"} if function == "acquire_lock" else {}
    if claims is None:
        try:
            claims = payload(jwt)
        except ValueError:
            claims = {"role": "coord_anon"}
    return session.call(function, json.dumps(body), {"Authorization": f"Bearer {jwt}"}, jwt_claims=claims)


def refused(response: HttpResponse, detail: str) -> None:
    assert response.status == 401, response
    assert response.body["code"] == "PT401"
    assert detail in (response.body["details"] or ""), response.body
    assert response.body["hint"]


def test_a_valid_jwt_acts_as_its_principal(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="ja")
    jwt = issue_jwt(admin_conn, agent)
    claims, head = payload(jwt), header(jwt)
    assert head == {"alg": "HS256", "typ": "JWT", "kid": signing_key(admin_conn)[0]}
    row = admin_conn.execute("select principal_id from coord.tokens where id = %s", (claims["jti"],)).fetchone()
    assert row == (agent.principal_id,) and claims["jti"] != str(agent.token_id)  # a token of its own
    assert (claims["sub"], claims["role"], claims["tenant"]) == (str(agent.principal_id), "coord_agent",
                                                                 str(agent.tenant_id))
    assert claims["exp"] - claims["iat"] == 24 * 3600 and claims["nbf"] == claims["iat"]
    response = bearer(postgrest, jwt, body={"p_path": "src/jwt.py"})
    assert response.status == 200 and response.body["code"] == "granted", response
    mine = bearer(postgrest, jwt, "my_locks")
    assert mine.status == 200 and [lock["path"] for lock in mine.body] == ["src/jwt.py"]


def test_the_token_row_names_the_jwt(admin_conn: psycopg.Connection) -> None:
    agent = make_principal(admin_conn, tenant="ja")
    jwt = issue_jwt(admin_conn, agent, "2 hours")
    row = admin_conn.execute("select principal_id, expires_at - created_at, revoked_at from coord.tokens where id = %s",
                             (payload(jwt)["jti"],)).fetchone()
    assert row is not None and row[0] == agent.principal_id and row[1].total_seconds() == 7200 and row[2] is None


def test_an_expired_jwt_is_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"), "1 hour")
    advance_clock(admin_conn, "61 minutes")
    try:
        refused(bearer(postgrest, jwt), "the JWT expired")
    finally:
        advance_clock(admin_conn, "-61 minutes")
    assert bearer(postgrest, jwt).status == 200


def test_a_jwt_not_yet_valid_is_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    advance_clock(admin_conn, "-5 minutes")  # the verifier's clock is before nbf
    try:
        refused(bearer(postgrest, jwt), "not valid yet")
    finally:
        advance_clock(admin_conn, "5 minutes")
    kid, key = signing_key(admin_conn)
    claims = payload(issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja")))
    refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, {**claims, "nbf": claims["nbf"] + 600}, key)),
            "not valid yet")


def test_a_revoked_jwt_is_refused_and_raises_the_alert(jwt_db: Database, admin_conn: psycopg.Connection,
                                                       postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="jr")
    operator = make_principal(admin_conn, tenant="jr", role="operator")
    jwt = issue_jwt(admin_conn, agent)
    assert bearer(postgrest, jwt).status == 200
    with Client(jwt_db.client_dsn, operator.token) as ops:
        assert ops.revoke_token(uuid.UUID(payload(jwt)["jti"])).code == "revoked"
    refused(bearer(postgrest, jwt), "was revoked")
    with Client(jwt_db.client_dsn, operator.token) as ops:
        [alert] = ops.list_alerts(rule="revoked-token-use")
        assert (alert.severity, alert.state, alert.actor_name) == ("critical", "open", agent.name)
        [event] = ops.query_audit(action="auth.revoked_token")
        assert (event.decision, event.target_id) == ("refused", payload(jwt)["jti"])


def test_a_jwt_signed_with_another_key_is_refused(admin_conn: psycopg.Connection,
                                                  postgrest: PostgrestSession) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    forged = forge(header(jwt), payload(jwt), secrets.token_bytes(64))
    refused(bearer(postgrest, forged), "signature does not verify")


def test_a_tampered_payload_is_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    operator = make_principal(admin_conn, tenant="ja", role="operator")
    head, _, signature = jwt.split(".")
    changes = ({"role": "coord_operator"}, {"sub": str(operator.principal_id)}, {"exp": payload(jwt)["exp"] + 10**6})
    for change in changes:
        tampered = f"{head}.{b64url(json.dumps({**payload(jwt), **change}).encode())}.{signature}"
        refused(bearer(postgrest, tampered), "signature does not verify")


@pytest.mark.parametrize("alg", ["none", "HS512", "HS384", "RS256", "hs256", None])
def test_other_algorithms_are_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession,
                                      alg: str | None) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    kid, key = signing_key(admin_conn)
    head = {"typ": "JWT", "kid": kid} | ({} if alg is None else {"alg": alg})
    if alg == "none":
        forged = f"{b64url(json.dumps(head).encode())}.{jwt.split('.')[1]}."
    else:  # signed with the real key under the claimed algorithm (HS512), or HMAC-SHA256 anyway
        forged = forge(head, payload(jwt), key, hashlib.sha512 if alg == "HS512" else hashlib.sha256)
    refused(bearer(postgrest, forged), "is not accepted")


@pytest.mark.parametrize("mangle", [
    lambda jwt: jwt + "=",                                      # padding
    lambda jwt: jwt.replace(".", "=.", 1),                      # padded header
    lambda jwt: jwt.split(".")[0] + "." + jwt.split(".")[1],    # two parts
    lambda jwt: jwt + ".e30",                                   # four parts
    lambda jwt: "+" + jwt[1:],                                  # base64, not base64url
    lambda jwt: b64url(b"\xff\xfe") + jwt[jwt.index("."):],     # not UTF-8
    lambda jwt: b64url(b"[1]") + jwt[jwt.index("."):],          # not an object
    lambda jwt: b64url(b"{") + jwt[jwt.index("."):],            # not JSON
    lambda jwt: "",                                             # empty
    lambda jwt: "x" * 9000,                                     # too long
    lambda jwt: b64url(b"[" * 5000) + jwt[jwt.index("."):],     # deeply nested
])
def test_malformed_tokens_are_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession,
                                      mangle: Any) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    response = bearer(postgrest, mangle(jwt), claims={"role": "coord_agent"})
    assert response.status == 401 and response.body["code"] == "PT401", response


def test_a_jti_that_is_not_a_token_is_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    kid, key = signing_key(admin_conn)
    claims = payload(issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja")))
    refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, {**claims, "jti": str(uuid.uuid4())}, key)),
            "unknown token")
    refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, {**claims, "jti": "root"}, key)), "not a token id")
    no_jti = {k: v for k, v in claims.items() if k != "jti"}
    refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, no_jti, key)), "not a token id")
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, no_exp, key)), "no numeric exp")


def test_claims_that_do_not_match_the_token_are_refused(admin_conn: psycopg.Connection,
                                                        postgrest: PostgrestSession) -> None:
    """Even with the signing key (leaked), a JWT cannot move its token to another tenant,
    principal or role: the token row decides."""
    kid, key = signing_key(admin_conn)
    agent = make_principal(admin_conn, tenant="ja")
    other = make_principal(admin_conn, tenant="jb", role="operator")
    claims = payload(issue_jwt(admin_conn, agent))
    for change in ({"tenant": str(other.tenant_id)}, {"sub": str(other.principal_id)}, {"role": "coord_operator"}):
        refused(bearer(postgrest, forge({"alg": "HS256", "kid": kid}, {**claims, **change}, key)), "do not match")


@pytest.fixture
def logins(jwt_db: Database) -> Iterator[list[str]]:
    """Role names of the logins a test creates; dropped afterwards (roles are cluster-wide)."""
    made: list[str] = []
    yield made
    with jwt_db.connect() as conn:
        for role in made:
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (role,))
            conn.execute("select coord.remove_login(tenant_id, name) from coord.logins where role_name = %s", (role,))


def test_a_jwt_of_another_tenant_is_refused_on_a_login_bound_to_a_tenant(
        jwt_db: Database, admin_conn: psycopg.Connection, logins: list[str]) -> None:
    mine = make_principal(admin_conn, tenant="jc")
    theirs = make_principal(admin_conn, tenant="jd")
    grant = bind(jwt_db, logins, "jc-host", "jc")
    with PostgrestSession(dsn_as(jwt_db, grant.role_name, grant.password)) as session:
        assert bearer(session, issue_jwt(admin_conn, mine)).status == 200
        refused(bearer(session, issue_jwt(admin_conn, theirs)), "bound to another tenant")


def test_tenants_stay_apart_in_jwt_mode(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    one = issue_jwt(admin_conn, make_principal(admin_conn, tenant="je"))
    two = issue_jwt(admin_conn, make_principal(admin_conn, tenant="jf"))
    assert bearer(postgrest, one, body={"p_path": "src/shared.py"}).body["code"] == "granted"
    assert bearer(postgrest, two, body={"p_path": "src/shared.py"}).body["code"] == "granted"


def test_a_jwt_call_acts_in_its_own_session_only(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="js")
    jwt, other = issue_jwt(admin_conn, agent), issue_jwt(admin_conn, make_principal(admin_conn, tenant="js"))
    started = bearer(postgrest, jwt, "start_session", body={"p_agent_type": "test"})
    assert started.status == 200 and started.body["ok"], started
    session = started.body["session_id"]
    headers = {"Authorization": f"Bearer {jwt}", "X-Coord-Session": session}
    locked = postgrest.call("acquire_lock", json.dumps({"p_path": "src/in-session.py"}), headers,
                            jwt_claims=payload(jwt))
    assert locked.status == 200 and locked.body["code"] == "granted"
    row = admin_conn.execute("select session_id from coord.locks where path = 'src/in-session.py' and tenant_id = %s",
                             (agent.tenant_id,)).fetchone()
    assert row is not None and str(row[0]) == session
    theirs = postgrest.call("my_locks", "{}", {"Authorization": f"Bearer {other}", "X-Coord-Session": session},
                            jwt_claims=payload(other))
    refused(theirs, "does not belong")


def test_claims_without_the_bearer_header_are_not_an_identity(admin_conn: psycopg.Connection,
                                                              postgrest: PostgrestSession) -> None:
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="ja"))
    response = postgrest.call("acquire_lock", json.dumps({"p_path": "src/x.py"}), {}, jwt_claims=payload(jwt))
    assert response.status == 401 and response.body["code"] == "PT401"


def test_both_credentials_at_once_are_refused(admin_conn: psycopg.Connection, postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="ja")
    jwt = issue_jwt(admin_conn, agent)
    response = postgrest.call("my_locks", "{}", {"Authorization": f"Bearer {jwt}", "X-Coord-Token": agent.token},
                              jwt_claims=payload(jwt))
    refused(response, "both")


def test_other_authorization_schemes_are_anonymous(admin_conn: psycopg.Connection,
                                                   postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="ja")
    response = postgrest.call("my_locks", "{}", {"Authorization": "Basic dXNlcjpwYXNz", "X-Coord-Token": agent.token})
    assert response.status == 200


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_any_single_character_change_is_refused(jwt_db: Database, data: st.DataObject) -> None:
    with jwt_db.connect() as conn:
        jwt = _property_jwt(conn)
    position = data.draw(st.integers(0, len(jwt) - 1), label="position")
    replacement = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0xff, exclude_characters=jwt[position]),
                            label="replacement")
    changed = jwt[:position] + replacement + jwt[position + 1:]
    with PostgrestSession(jwt_db.client_dsn) as session:
        assert bearer(session, jwt, "my_locks").status == 200
        response = bearer(session, changed, "my_locks", claims={"role": "coord_agent"})
    assert response.status == 401 and response.body["code"] == "PT401", (changed, response)


def test_every_other_last_character_of_a_segment_is_refused(jwt_db: Database, admin_conn: psycopg.Connection,
                                                           postgrest: PostgrestSession) -> None:
    """The last character of a base64url segment carries unused low bits that lenient decoders
    drop; a random single-character change rarely hits them, so each is tried exhaustively."""
    jwt = issue_jwt(admin_conn, make_principal(admin_conn, tenant="jq"))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    ends = [jwt.index(".") - 1, jwt.rindex(".") - 1, len(jwt) - 1]
    for position in ends:
        for replacement in alphabet.replace(jwt[position], ""):
            changed = jwt[:position] + replacement + jwt[position + 1:]
            response = bearer(postgrest, changed, "my_locks", claims={"role": "coord_agent"})
            assert response.status == 401, (position, replacement, response)


_PROPERTY_JWT: list[str] = []


def _property_jwt(conn: psycopg.Connection) -> str:
    if not _PROPERTY_JWT:
        _PROPERTY_JWT.append(issue_jwt(conn, make_principal(conn, tenant="jp")))
    return _PROPERTY_JWT[0]


# --- keys: rotation, retirement, the JWK set for PostgREST ----------------------------------------

def test_rotation_keeps_old_jwts_until_their_key_is_retired(admin_conn: psycopg.Connection,
                                                            postgrest: PostgrestSession) -> None:
    agent = make_principal(admin_conn, tenant="jk")
    old_kid, _ = signing_key(admin_conn)
    old = issue_jwt(admin_conn, agent)
    new_kid = admin_conn.execute("select coord.rotate_jwt_key()").fetchone()[0]  # type: ignore[index]
    new = issue_jwt(admin_conn, agent)
    assert (header(old)["kid"], header(new)["kid"]) == (old_kid, new_kid) and old_kid != new_kid
    keys = admin_conn.execute("select coord.jwt_keys_jwks()").fetchone()[0]  # type: ignore[index]
    assert [(k["kid"], k["kty"], k["alg"]) for k in keys["keys"]] == [(new_kid, "oct", "HS256"),
                                                                     (old_kid, "oct", "HS256")]
    assert unb64url(keys["keys"][0]["k"]) == signing_key(admin_conn)[1]
    assert bearer(postgrest, old).status == 200 and bearer(postgrest, new).status == 200
    admin_conn.execute("select coord.retire_jwt_key(%s)", (old_kid,))
    refused(bearer(postgrest, old), "signature does not verify")
    assert bearer(postgrest, new).status == 200
    assert [k["kid"] for k in admin_conn.execute("select coord.jwt_keys_jwks()").fetchone()[0]["keys"]] == [new_kid]  # type: ignore[index]


def test_request_roles_cannot_read_keys_or_mint(jwt_db: Database) -> None:
    with psycopg.connect(jwt_db.client_dsn, autocommit=True) as conn:
        for statement in ("select * from coord.secrets", "select coord.jwt_signing_key()",
                          "select coord.jwt_sign('{}')", "select coord.jwt_keys_jwks()",
                          "select coord.rotate_jwt_key()", "select coord.jwt_claims('a.b.c')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


# --- the other ways in: the Python client, psql's api.login, the CLI -----------------------------

def test_the_client_and_api_login_accept_a_jwt(jwt_db: Database, admin_conn: psycopg.Connection) -> None:
    agent = make_principal(admin_conn, tenant="jl")
    jwt = issue_jwt(admin_conn, agent)
    with Client(jwt_db.client_dsn, jwt) as client:
        assert client.acquire_lock("src/client.py").code == "granted"
        assert [lock.path for lock in client.my_locks()] == ["src/client.py"]
    with psycopg.connect(jwt_db.client_dsn) as conn:
        row = conn.execute("select (api.login(%s)).name", (jwt,)).fetchone()
        assert row == (agent.name,)


def test_coord_token_issue_jwt(jwt_db: Database, admin_conn: psycopg.Connection) -> None:
    agent = make_principal(admin_conn, tenant="jm")
    runner = CliRunner()
    result = runner.invoke(main, ["token", "issue", agent.name, "--tenant", "jm", "--jwt", "--expires-in", "1 hour",
                                  "--admin-dsn", jwt_db.admin_dsn, "--json"])
    assert result.exit_code == 0, result.output
    grant = json.loads(result.output)
    claims = payload(grant["token"])
    assert claims["jti"] == grant["token_id"] and claims["exp"] - claims["iat"] == 3600
    with Client(jwt_db.client_dsn, grant["token"]) as client:
        assert client.my_locks() == []
    row = admin_conn.execute("select label from coord.tokens where id = %s", (grant["token_id"],)).fetchone()
    assert row == ("jwt",)
    revoked = runner.invoke(main, ["token", "revoke", grant["token"], "--admin-dsn", jwt_db.admin_dsn, "--json"])
    assert revoked.exit_code == 0 and json.loads(revoked.output)["code"] == "revoked", revoked.output
    keys = runner.invoke(main, ["token", "jwt-keys", "--admin-dsn", jwt_db.admin_dsn])
    assert keys.exit_code == 0 and header(grant["token"])["kid"] in [k["kid"] for k in json.loads(keys.output)["keys"]]
