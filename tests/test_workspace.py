"""coordinator.workspace: the repository root and the repository-relative path the api expects, in a
temporary git repository (no database: nothing is decided here, the database still normalizes)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coordinator.errors import InvalidArgument, SettingsError
from coordinator.workspace import (
    _below_real_root,
    _resolve_with_pathlib,
    repository_root,
    resolve_path,
    resolve_paths,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "app.py").write_text("")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root.resolve()


def test_root_is_the_git_toplevel_of_the_directory(repo: Path) -> None:
    assert repository_root(repo / "src" / "pkg", environ={}) == repo


def test_root_flag_wins_over_the_variable_and_git(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    assert repository_root(repo, environ={"COORD_ROOT": str(other)}) == other.resolve()
    assert repository_root(repo, explicit=repo / "src", environ={"COORD_ROOT": str(other)}) == repo / "src"
    assert repository_root(repo, explicit="src", environ={}) == repo / "src", "relative to the directory"


def test_no_root_is_a_clear_error(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(SettingsError) as caught:
        repository_root(outside, environ={})
    assert caught.value.code == "CO542" and str(outside) in (caught.value.detail or "")
    assert "--root" in (caught.value.hint or "")
    with pytest.raises(SettingsError) as caught:
        repository_root(outside, explicit=tmp_path / "missing", environ={})
    assert caught.value.code == "CO542" and "--root is" in (caught.value.detail or "")


def test_absolute_and_cwd_relative_paths(repo: Path) -> None:
    assert resolve_path(str(repo / "src" / "app.py"), repo, cwd="/") == "src/app.py"
    assert resolve_path("app.py", repo, cwd=repo / "src") == "src/app.py"
    assert resolve_path("../README.md", repo, cwd=repo / "src") == "README.md"
    assert resolve_path("./pkg/../app.py", repo, cwd=repo / "src") == "src/app.py"
    assert resolve_path("new/later.py", repo, cwd=repo) == "new/later.py", "a file not there yet"


def test_a_directory_on_disk_is_a_subtree(repo: Path) -> None:
    assert resolve_path("src", repo, cwd=repo) == "src/"
    assert resolve_path(str(repo / "src" / "pkg"), repo) == "src/pkg/"
    assert resolve_path("build/", repo, cwd=repo) == "build/", "a directory to be made says so with its slash"
    assert resolve_paths(["src", "src/app.py"], repo, cwd=repo) == ["src/", "src/app.py"]


def test_symlinks_are_followed(repo: Path, tmp_path: Path) -> None:
    (repo / "current").symlink_to(repo / "src")
    assert resolve_path("current/app.py", repo, cwd=repo) == "src/app.py"
    outside = tmp_path / "secrets"
    outside.mkdir()
    (repo / "leak").symlink_to(outside)
    with pytest.raises(InvalidArgument) as caught:
        resolve_path("leak/key.pem", repo, cwd=repo)
    assert caught.value.code == "CO541" and str(outside) in (caught.value.detail or "")


def test_outside_the_root_is_a_clear_error(repo: Path) -> None:
    for path, cwd in (("/etc/passwd", repo), ("../../x.py", repo / "src"), (str(repo.parent / "sibling.py"), repo)):
        with pytest.raises(InvalidArgument) as caught:
            resolve_path(path, repo, cwd=cwd)
        err = caught.value
        assert err.code == "CO541" and err.exit_code == 65 and path in (err.detail or "")
        assert str(repo) in (err.detail or "") and "--root" in (err.hint or "")


def test_the_root_itself_and_empty_are_left_to_the_database(repo: Path) -> None:
    assert resolve_path(str(repo), repo) == "./"  # the database refuses it: CO205
    assert resolve_path("", repo) == ""  # CO201


def test_characters_no_file_name_holds_are_the_database_s_errors(repo: Path) -> None:
    """A NUL byte or a lone surrogate cannot name a file; each is refused with the code the
    database gives the same path (CO203 control character, 22P02), not a bare ValueError."""
    for path, code in (("src/a\x00b.py", "CO203"), ("src/a\ud800.py", "22P02")):
        with pytest.raises(InvalidArgument) as caught:
            resolve_path(path, repo, cwd=repo)
        assert caught.value.code == code and caught.value.hint, (path, caught.value)


def _mapped(path: str, root: Path, cwd: Path) -> str:
    try:
        return resolve_path(path, root, cwd)
    except InvalidArgument as exc:
        return f"error {exc.code}"


def _mapped_with_pathlib(path: str, root: Path, cwd: Path) -> str:
    try:
        return _resolve_with_pathlib(path, root, cwd)
    except InvalidArgument as exc:
        return f"error {exc.code}"


def test_string_mapping_answers_what_pathlib_answers(repo: Path, tmp_path: Path) -> None:
    """resolve_path maps the common case with string operations (no symlink below the root);
    on every edge case it answers exactly what the pathlib resolution answers: ``..`` inside and
    out, ``.``, doubled and trailing slashes, files, directories, paths not there yet, symlinks
    inside and out (left to pathlib), the root itself, absolute paths inside and outside."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "current").symlink_to(repo / "src")
    (repo / "leak").symlink_to(outside)
    (repo / "loop").symlink_to(repo / "loop")
    names = ["src", "src/", "src/app.py", "src/app.py/", "src/pkg", "src/pkg/", "src//pkg", "./src/./app.py",
             "src/pkg/../app.py", "src/../src/app.py", "missing/../src", "missing/new.py", "new/", "..", "../",
             "../repo/src/app.py", "../elsewhere", "src/../..", "src/app.py/x", "current/app.py", "current/",
             "current/../README.md", "leak/key.pem", "loop/x", ".", "./", "src/a\x00b.py"]
    paths = [*names, *(str(repo) + "/" + n for n in names), str(repo), str(repo) + "/", "/etc/passwd", "/",
             "//" + str(repo).lstrip("/") + "/src/app.py", str(outside / "x.py")]
    for cwd in (repo, repo / "src", repo / "current", repo / "src" / "pkg", outside):
        for path in paths:
            assert _mapped(path, repo, cwd) == _mapped_with_pathlib(path, repo, cwd), (path, cwd)


def test_string_mapping_takes_the_common_case_and_leaves_symlinks(repo: Path) -> None:
    (repo / "current").symlink_to(repo / "src")
    root = str(repo)
    assert _below_real_root("src/app.py", root, root) == "src/app.py"
    assert _below_real_root(f"{root}/src/pkg", root, "/") == "src/pkg/"
    assert _below_real_root("src/../src/pkg/", root, root) == "src/pkg/"
    assert _below_real_root("current/app.py", root, root) is None, "a symlink: pathlib follows it"
    assert _below_real_root("../x.py", root, root) is None, "outside: pathlib reports it"
    assert _below_real_root("/etc/passwd", root, root) is None
