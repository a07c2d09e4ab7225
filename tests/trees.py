"""The SQL tree (migrations/, plpgsql/, rls/) as it was at another commit, for upgrade tests:
a database installed from an older tree and upgraded to this one must end up as a fresh install
of this one. Read with git from the checkout's own history (CI clones it whole)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

REPOSITORY = Path(__file__).parent.parent


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=REPOSITORY, check=True, capture_output=True).stdout


def tree_at(commit: str, into: Path) -> Path:
    """Export migrations/, plpgsql/ and rls/ of commit into a new directory under into."""
    root = into / f"sql-{commit[:12]}"
    archive = _git("archive", "--format=tar", commit, "migrations", "plpgsql", "rls")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def commit_adding(path: str) -> str:
    """The first commit that added path (a migration, say)."""
    return _git("log", "--diff-filter=A", "--format=%H", "--", path).decode().split()[-1]


def tree_before(migration: str, into: Path) -> Path:
    """The SQL tree just before migration (a file name in migrations/) was added."""
    return tree_at(commit_adding(f"migrations/{migration}") + "^", into)
