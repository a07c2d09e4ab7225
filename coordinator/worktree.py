"""What only a client on the agent's machine can know: whether a path names a directory.

The database cannot see the disk. A lock covers its node and everything below it whether or not
the path ends in ``/`` (docs/architecture.md, "File locks"), so the slash changes no decision;
it states what the path is. Adapters that know the file system (the CLI) send a directory that
exists on disk with its slash, so the lease, ``my_locks``, ``check_locks`` and the audit log say
that a directory is locked, and release and renew name the lease the way acquire took it.
"""

from __future__ import annotations

from pathlib import Path


def lock_path(path: str, root: Path | None = None) -> str:
    """``path`` with a trailing ``/`` when it names an existing directory under ``root`` (the
    current directory by default); anything else (a file, a path not there yet, an absolute or
    escaping path, which the database refuses) is sent as given."""
    if not path or path.endswith(("/", "\\")):
        return path
    try:
        is_dir = ((root or Path.cwd()) / path).is_dir()
    except OSError:  # a name too long for the file system, a permission error: the database decides
        return path
    return path + "/" if is_dir else path


def lock_paths(paths: list[str] | tuple[str, ...], root: Path | None = None) -> list[str]:
    return [lock_path(p, root) for p in paths]
