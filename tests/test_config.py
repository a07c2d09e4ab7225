"""Connection settings: a flag wins over its own environment variable; two settings that name
different databases are CO530, whichever came from a flag and whichever from the environment.

These need no server: a data directory is known by the coord.json that coord up writes there."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator.config import Settings
from coordinator.errors import EXIT_USAGE, SettingsError
from coordinator.server import ServerState


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose (not running) server would listen on port 45001."""
    directory = tmp_path / "data"
    directory.mkdir()
    ServerState(port=45001, authenticator_password="pw").save(directory / "coord.json")
    return directory


def own_admin_dsn(directory: Path) -> str:
    return f"host={directory / 'run'} port=45001 user=postgres dbname=coord"


ELSEWHERE = "postgresql://postgres@db.example.com:5432/coord"


def conflict(settings: Settings, call: str) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        getattr(settings, call)()
    err = caught.value
    assert (err.code, err.exit_code) == ("CO530", EXIT_USAGE)
    return err


def test_a_data_dir_flag_beside_an_admin_dsn_elsewhere_in_the_environment_is_a_conflict(data_dir: Path) -> None:
    err = conflict(Settings(data_dir=data_dir, environ={"COORD_ADMIN_DSN": ELSEWHERE}), "superuser_dsn")
    assert "--data-dir" in str(err.detail) and "COORD_ADMIN_DSN (environment)" in str(err.detail)
    assert "db.example.com" in str(err.detail) and "45001" in str(err.detail)
    assert err.hint and "unset COORD_ADMIN_DSN" in err.hint


def test_a_dsn_flag_beside_a_data_dir_in_the_environment_is_a_conflict(data_dir: Path) -> None:
    err = conflict(Settings(dsn=ELSEWHERE, environ={"COORD_DATA_DIR": str(data_dir)}), "client_dsn")
    assert "--dsn" in str(err.detail) and "COORD_DATA_DIR (environment)" in str(err.detail)


def test_two_flags_or_two_variables_that_disagree_are_conflicts_too(data_dir: Path, tmp_path: Path) -> None:
    conflict(Settings(data_dir=data_dir, admin_dsn=ELSEWHERE, environ={}), "superuser_dsn")
    conflict(Settings(environ={"COORD_DATA_DIR": str(data_dir), "COORD_DSN": ELSEWHERE}), "client_dsn")
    never_up = tmp_path / "empty"
    err = conflict(Settings(data_dir=never_up, environ={"COORD_ADMIN_DSN": own_admin_dsn(data_dir)}),
                   "superuser_dsn")
    assert "coord up has not run" in str(err.detail)


def test_no_password_reaches_the_message(data_dir: Path) -> None:
    err = conflict(Settings(data_dir=data_dir, dsn="postgresql://u:s3cret@db.example.com/coord", environ={}),
                   "client_dsn")
    assert "s3cret" not in str(err)


def test_a_flag_wins_over_its_own_environment_variable(data_dir: Path, tmp_path: Path) -> None:
    env = {"COORD_DSN": ELSEWHERE, "COORD_TOKEN": "coord_env", "COORD_DATA_DIR": str(tmp_path / "other"),
           "COORD_ADMIN_DSN": "host=/nowhere dbname=x"}
    assert Settings(dsn="postgresql://flag/coord", environ={"COORD_DSN": ELSEWHERE}).client_dsn() == \
        "postgresql://flag/coord"
    assert Settings(token="coord_flag", environ=env).bearer() == "coord_flag"
    assert Settings(data_dir=data_dir, environ={"COORD_DATA_DIR": str(tmp_path)}).resolved_data_dir == data_dir
    assert Settings(admin_dsn=own_admin_dsn(data_dir), environ=env | {"COORD_DATA_DIR": ""}).superuser_dsn() == \
        own_admin_dsn(data_dir)


def test_settings_that_name_the_same_server_agree(data_dir: Path) -> None:
    # The variable says what the flag says: no conflict, and the flag is what is used.
    own = own_admin_dsn(data_dir)
    assert Settings(data_dir=data_dir, environ={"COORD_ADMIN_DSN": own}).superuser_dsn() == own
    client = "postgresql://coord_authenticator:pw@127.0.0.1:45001/coord"
    assert Settings(data_dir=data_dir, environ={"COORD_DSN": client}).client_dsn() == client
    tcp = "postgresql://postgres@localhost:45001/coord?sslmode=disable"
    assert Settings(admin_dsn=tcp, environ={"COORD_DATA_DIR": str(data_dir)}).superuser_dsn() == tcp


def test_only_the_settings_a_command_uses_are_compared(data_dir: Path) -> None:
    # coord lock acquire --data-dir D never reads COORD_ADMIN_DSN.
    settings = Settings(data_dir=data_dir, environ={"COORD_ADMIN_DSN": ELSEWHERE})
    assert settings.client_dsn().endswith("@127.0.0.1:45001/coord")
    assert Settings(environ={"COORD_ADMIN_DSN": ELSEWHERE}).superuser_dsn() == ELSEWHERE


def test_coord_up_takes_the_embedded_server_or_a_dsn_never_both(data_dir: Path) -> None:
    up = {"flag_names": {"admin_dsn": "--dsn"}}
    assert Settings(data_dir=data_dir, port=0, environ={}, **up).server_target() == (data_dir, 0, None)
    assert Settings(admin_dsn=ELSEWHERE, environ={}, **up).server_target() == (None, None, ELSEWHERE)
    err = conflict(Settings(admin_dsn=ELSEWHERE, environ={"COORD_PORT": "55432"}, **up), "server_target")
    assert "COORD_PORT (environment)" in str(err.detail) and "--dsn" in str(err.detail)
    conflict(Settings(data_dir=data_dir, environ={"COORD_ADMIN_DSN": ELSEWHERE}, **up), "server_target")
    same = Settings(data_dir=data_dir, environ={"COORD_ADMIN_DSN": own_admin_dsn(data_dir)}, **up)
    assert same.server_target() == (data_dir, None, None)
    with pytest.raises(SettingsError) as caught:
        Settings(environ={"COORD_PORT": "fivefive"}).port_setting()
    assert caught.value.code == "CO531" and "COORD_PORT" in str(caught.value.detail)
