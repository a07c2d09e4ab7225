"""The SQL tree (migrations/, plpgsql/, rls/) as it was at another commit, for upgrade tests:
a database installed from an older tree and upgraded to this one must end up as a fresh install
of this one. Read with git from the checkout's own history (CI clones it whole, so the commits
migrations/RELEASES names are there even without tags)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
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


# --- releases: migrations/RELEASES names each release's commit; its migrations are frozen -------

@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    last_migration: str  # the file name of the newest migration the release ships


def releases() -> list[Release]:
    found = []
    for line in (REPOSITORY / "migrations" / "RELEASES").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            version, commit, last = line.split()
            found.append(Release(version, commit, last))
    return found


def migrations_at(commit: str) -> list[str]:
    """The numbered migration files of commit, in order."""
    names = _git("ls-tree", "--name-only", commit, "migrations/").decode().split()
    return sorted(Path(n).name for n in names if Path(n).name[:4].isdigit())


def edited_released_migrations(root: Path = REPOSITORY) -> list[str]:
    """Released migrations whose bytes under root differ from the release's (missing ones too)."""
    edited = []
    for release in releases():
        for name in migrations_at(release.commit):
            current = root / "migrations" / name
            if not current.exists() or current.read_bytes() != _git("show", f"{release.commit}:migrations/{name}"):
                edited.append(f"{release.version}: {name}")
    return edited


def _numbered(listing: str) -> list[tuple[str, str]]:
    """(file name, blob id) of the numbered migrations in `git ls-tree` output, in order."""
    rows = [line.split("\t") for line in listing.splitlines()]
    return sorted((Path(path).name, meta.split()[2]) for meta, path in rows if Path(path).name[:4].isdigit())


def earlier_trees() -> dict[str, str]:
    """Trees to upgrade from, by name: each release, and the newest tree whose migrations are
    exactly those before each migration (byte for byte; a tree that held an unreleased migration
    since edited is no upgrade source: only released migrations are frozen)."""
    current = [(path.name, _git("hash-object", str(path)).decode().strip())
               for path in sorted((REPOSITORY / "migrations").glob("[0-9]*.sql"))]
    trees = {release.version: release.commit for release in releases()}
    for commit in _git("log", "--format=%H", "--", "migrations/").decode().split():
        shipped = _numbered(_git("ls-tree", commit, "migrations/").decode())
        if 0 < len(shipped) < len(current) and shipped == current[:len(shipped)]:
            name = f"before-{Path(current[len(shipped)][0]).stem}"
            if name not in trees and commit not in trees.values():
                trees[name] = commit
    return trees
