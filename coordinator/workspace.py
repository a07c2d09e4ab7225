"""Where the agent works: its repository root and the repository-relative path the api expects.

The database names files by their repository-relative path (``src/app.py``) and refuses absolute
ones (CO206), because ``/home/me/repo/src/app.py`` and ``src/app.py`` must never be two locks.
Agents and their tools speak in absolute paths (Claude Code's hooks) or paths relative to the
directory they run in (a person's shell). This module maps one to the other, once, for the CLI,
the hook adapters and the MCP server:

* ``repository_root(cwd, explicit)``: ``--root`` / ``COORD_ROOT`` if given, else the git toplevel
  of ``cwd``, else CO542.
* ``resolve_path(path, root, cwd)``: an absolute or cwd-relative path (symlinks followed, ``..``
  collapsed) as a path relative to the root; outside the root is CO541; an existing directory
  gets its trailing ``/`` (the database cannot see the disk, and the slash says the lease is on
  a directory: it covers the subtree either way).

Nothing is decided here: the database still normalizes every path and refuses bad ones.
"""

from __future__ import annotations

import functools
import os
import stat
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import POSTGRESQL_HINTS, registered

ROOT_VARIABLE = "COORD_ROOT"


def repository_root(cwd: Path | str | None = None, explicit: Path | str | None = None,
                    environ: Mapping[str, str] | None = None) -> Path:
    """The repository root, resolved (symlinks followed): ``explicit`` (--root), else
    COORD_ROOT, else ``git rev-parse --show-toplevel`` run in ``cwd`` (default: the current
    directory). CO542 when none of them names a directory."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    env = os.environ if environ is None else environ
    given, origin = (explicit, "--root") if explicit not in (None, "") else (env.get(ROOT_VARIABLE), ROOT_VARIABLE)
    if given:
        root = Path(given).expanduser()
        root = (base / root if not root.is_absolute() else root).resolve()
        if not root.is_dir():
            raise registered("CO542", "the repository root is not a directory", f"{origin} is {given}",
                             "pass --root (or set COORD_ROOT to) the repository's top directory")
        return root
    try:
        found = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=base, capture_output=True, text=True,
                               timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise registered("CO542", "cannot find the repository root", f"git rev-parse in {base}: {exc}",
                         "run inside a git checkout, or pass --root (or set COORD_ROOT) to the repository's "
                         "top directory") from None
    if found.returncode != 0 or not found.stdout.strip():
        raise registered("CO542", "cannot find the repository root",
                         f"{base} is not inside a git checkout ({found.stderr.strip() or 'git found none'})",
                         "run inside a git checkout, or pass --root (or set COORD_ROOT) to the repository's "
                         "top directory")
    return Path(found.stdout.strip()).resolve()


def resolve_path(path: str, root: Path | str, cwd: Path | str | None = None) -> str:
    """``path`` (absolute, or relative to ``cwd``, default the current directory) as the
    repository-relative path the api expects, with a trailing ``/`` when it names an existing
    directory (or was given with one). CO541 when it lies outside ``root`` (after following
    symlinks: a link inside the repository to a file outside it is outside). An empty path is
    passed on as it is: the database refuses it (CO201) with its own message; a NUL byte is
    CO203 and a lone surrogate 22P02, as the database reports them."""
    if not path:
        return path
    if "\x00" not in path:
        try:
            mapped = _below_real_root(path, str(root), str(cwd) if cwd is not None else os.getcwd())
        except ValueError as exc:  # a lone surrogate: no file name encodes it, and the database refuses it too
            raise registered("22P02", "the path holds a lone surrogate", f"{path!r}: {exc}",
                             POSTGRESQL_HINTS["22P02"]) from None
        if mapped is not None:
            return mapped
    return _resolve_with_pathlib(path, root, cwd)


def _resolve_with_pathlib(path: str, root: Path | str, cwd: Path | str | None) -> str:
    """resolve_path for every case: Path.resolve() follows each symlink (and reports a loop)."""
    root_path = _resolved_root(str(root))
    base = Path(cwd) if cwd is not None else Path.cwd()
    given = Path(path)
    absolute = given if given.is_absolute() else base / given
    if "\x00" in path:  # the file system cannot name it (and the database refuses control characters)
        raise registered("CO203", "path contains a control character", f"{path!r} holds a NUL byte",
                         "paths may not contain control characters")
    try:
        real = absolute.resolve()  # follows symlinks; a path not there yet is resolved as far as it exists
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long for the file system
        raise registered("CO541", "the path is outside the repository", f"{path}: {exc}",
                         _outside_hint(root_path)) from None
    except ValueError as exc:  # a lone surrogate: no file name encodes it, and the database refuses it too
        raise registered("22P02", "the path holds a lone surrogate", f"{path!r}: {exc}",
                         POSTGRESQL_HINTS["22P02"]) from None
    try:
        relative = real.relative_to(root_path)
    except ValueError:
        raise registered("CO541", "the path is outside the repository",
                         f"{path} is {real}, which is not under the repository root {root_path}",
                         _outside_hint(root_path)) from None
    text = relative.as_posix()
    if text == ".":  # the root itself: the database refuses it as CO205 with its own words
        return "./"
    try:
        is_dir = real.is_dir()
    except OSError:
        is_dir = False
    return text + "/" if is_dir or path.endswith(("/", os.sep)) else text


@functools.lru_cache(maxsize=8)
def _resolved_root(root: str) -> Path:
    """The repository root with its symlinks followed, once per process and root (a long-running
    MCP server maps every path argument against the same root)."""
    return Path(root).resolve()


@functools.lru_cache(maxsize=8)
def _real(directory: str) -> str:
    """The repository root's real path as text, once per process and root (as _resolved_root)."""
    return os.path.realpath(directory)


def _below_real_root(path: str, root: str, cwd: str) -> str | None:
    """What resolve_path answers, in plain string operations, for the common case: a path that
    lies inside the root with no symlink among its components below the root or cwd (their own
    real paths are known). Components are walked as os.path.realpath walks them (``.`` and empty
    ones skipped, ``..`` taking the last one off, one lstat per name), so the answer is the same;
    None for every other case (a symlink, a path leaving the root, ``//`` at the start), which
    resolve_path then resolves with pathlib as before. About a sixth of the CPU of mapping a path
    that way: two lstat calls for ``src/app.py`` instead of one per component from ``/`` and two
    stat calls, and no Path objects."""
    real_root = _real(root)
    if path.startswith("/"):
        if path.startswith("//"):
            return None  # POSIX leaves a leading // to the implementation: pathlib keeps it
        prefix = real_root.rstrip("/") + "/"
        if path.startswith(prefix):  # under the root's real path: walk from there
            current, rest = real_root, path[len(prefix):]
        elif path == real_root:
            current, rest = real_root, ""
        else:
            return None
    else:
        # The root's real path is cached (as _resolved_root is); any other cwd is resolved anew.
        current, rest = (real_root if cwd == root else os.path.realpath(cwd)), path
    mode: int | None = None  # the lstat mode of ``current`` when its last step was a name
    for name in rest.split("/"):
        if not name or name == ".":
            continue
        if name == "..":
            current = os.path.dirname(current)
            mode = None
            continue
        step = current + name if current.endswith("/") else current + "/" + name
        try:
            mode = os.lstat(step).st_mode
        except OSError:  # not there (yet): a plain name, as realpath takes it
            mode = 0
        if stat.S_ISLNK(mode):
            return None
        current = step
    if current == real_root:
        return "./"  # the root itself: the database refuses it as CO205 with its own words
    prefix = real_root.rstrip("/") + "/"
    if not current.startswith(prefix):
        return None  # outside: resolve_path reports it
    text = current[len(prefix):]
    is_dir = stat.S_ISDIR(mode) if mode is not None else os.path.isdir(current)
    return text + "/" if is_dir or path.endswith(("/", os.sep)) else text


def path_from_root(path: str, root: Path | str, cwd: Path | str | None = None) -> str:
    """Where ``path`` (absolute, or relative to ``cwd``) lies as seen from the repository root,
    symlinks followed as far as they resolve: ``../other/x`` or ``../../home/me/.bashrc`` for a
    path outside it (resolve_path's CO541), which a caller hands to the database to decide."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    absolute = Path(path) if Path(path).is_absolute() else base / path
    try:
        real = str(absolute.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop: read it lexically
        real = os.path.abspath(absolute)
    return os.path.relpath(real, _real(str(root)))


def resolve_paths(paths: Iterable[str], root: Path | str, cwd: Path | str | None = None) -> list[str]:
    return [resolve_path(p, root, cwd) for p in paths]


def _outside_hint(root: Path) -> str:
    return (f"leases name files inside the repository ({root}); pass a path under it, or pass --root "
            "(or set COORD_ROOT) to the repository the path belongs to")
