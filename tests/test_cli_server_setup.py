"""coord up, status, down and the commands that read a data directory, given one they cannot use:
a file instead of a directory, a corrupt coord.json, a port that is no port. Each is a registered
error (CO531, CO532, CO533) with the exit code of the registry, never a traceback, and nothing
is written. No server is started here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from coord_cli.main import main

from coordinator.errors import EXIT_CONFIG, EXIT_NOT_OK, EXIT_USAGE

ENV = {"COORD_TOKEN": "", "COORD_DSN": "", "COORD_ADMIN_DSN": "", "COORD_DATA_DIR": "", "COORD_PORT": ""}


def coord(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**ENV, **(env or {})}, catch_exceptions=False)


def error(result: Result) -> dict[str, Any]:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


COMMANDS = [["up"], ["status"], ["down"], ["migrate"], ["maintain"], ["lock", "list", "--token", "coord_x"],
            ["login", "list"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_data_dir_that_is_a_file_is_co532(tmp_path: Path, command: list[str]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a data directory\n")
    refused = coord(*command, "--data-dir", str(file), "--json")
    assert refused.exit_code == EXIT_CONFIG, refused.stdout
    reported = error(refused)
    assert reported["code"] == "CO532" and str(file) in reported["detail"]
    assert file.read_text() == "not a data directory\n"
    human = coord(*command, "--data-dir", str(file))
    assert human.exit_code == EXIT_CONFIG and "CO532" in human.stderr and "hint" in human.stderr


def test_a_data_dir_below_a_file_is_co532(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    refused = coord("up", "--data-dir", str(tmp_path / "file" / "data"), "--json")
    assert refused.exit_code == EXIT_CONFIG and error(refused)["code"] == "CO532"


@pytest.mark.parametrize("content", ["{not json", "", "[]", "{}", '{"port": "five", "authenticator_password": "x"}',
                                     '{"port": 5432}', '{"port": 70000, "authenticator_password": "x"}'])
@pytest.mark.parametrize("command", [c for c in COMMANDS if c != ["down"]], ids=lambda c: " ".join(c[:2]))
def test_a_corrupt_coord_json_is_co533_and_stays_as_it_was(tmp_path: Path, content: str,
                                                           command: list[str]) -> None:
    state = tmp_path / "coord.json"
    state.write_text(content)
    refused = coord(*command, "--data-dir", str(tmp_path), "--json")
    assert refused.exit_code == EXIT_CONFIG, refused.stdout
    reported = error(refused)
    assert reported["code"] == "CO533" and str(state) in reported["detail"]
    assert state.read_text() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coord.json"]


def test_down_needs_no_coord_json(tmp_path: Path) -> None:
    """Stopping reads only the cluster directory, so a broken coord.json never keeps a server up."""
    (tmp_path / "coord.json").write_text("{not json")
    stopped = coord("down", "--data-dir", str(tmp_path), "--json")
    assert stopped.exit_code == 0 and json.loads(stopped.stdout)["stopped"] is False


def test_a_coord_json_that_is_a_directory_is_co533(tmp_path: Path) -> None:
    (tmp_path / "coord.json").mkdir()
    refused = coord("status", "--data-dir", str(tmp_path), "--json")
    assert refused.exit_code == EXIT_CONFIG and error(refused)["code"] == "CO533"


@pytest.mark.parametrize(("flags", "env"), [
    (["--port", "70000"], {}), (["--port", "-1"], {}), ([], {"COORD_PORT": "65536"}), ([], {"COORD_PORT": "-5"}),
    ([], {"COORD_PORT": "fivefive"}),
])
@pytest.mark.parametrize("command", ["up", "demo"])
def test_a_port_that_is_no_port_is_co531_before_anything_is_written(tmp_path: Path, command: str, flags: list[str],
                                                                   env: dict[str, str]) -> None:
    data_dir = tmp_path / "data"
    refused = coord(command, "--data-dir", str(data_dir), *flags, "--json", env=env)
    assert refused.exit_code == EXIT_USAGE, refused.stdout
    reported = error(refused)
    assert reported["code"] == "CO531" and "port" in reported["detail"]
    assert not data_dir.exists()


def test_status_of_a_directory_without_a_server_exits_1(tmp_path: Path) -> None:
    for directory in (tmp_path / "never", tmp_path):  # missing, and empty
        shown = coord("status", "--data-dir", str(directory), "--json")
        assert shown.exit_code == EXIT_NOT_OK, shown.stdout
        report = json.loads(shown.stdout)
        assert (report["initialized"], report["running"]) == (False, False)
        human = coord("status", "--data-dir", str(directory))
        assert human.exit_code == EXIT_NOT_OK and "coord up" in human.stdout
    assert not (tmp_path / "never").exists()
