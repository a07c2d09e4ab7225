"""Where the SQL sources live: migrations/, plpgsql/ and rls/.

In a checkout (and an editable install) they are at the repository root; a built wheel ships
them inside the package as ``coordinator/sql_tree/`` (setup.py copies them at build time).
Everything that reads the SQL tree asks :func:`sql_root`.
"""

from __future__ import annotations

import os
from pathlib import Path

SQL_DIRS = ("migrations", "plpgsql", "rls")
_PACKAGE = Path(__file__).resolve().parent
PACKAGED_ROOT = _PACKAGE / "sql_tree"  # an installed wheel
CHECKOUT_ROOT = _PACKAGE.parent  # a checkout or an editable install


def is_sql_tree(root: Path) -> bool:
    return (root / "migrations" / "bootstrap.sql").is_file() and all((root / d).is_dir() for d in SQL_DIRS)


def sql_root() -> Path:
    """The directory holding migrations/, plpgsql/ and rls/: ``COORD_SQL_ROOT`` when set, else
    the copy shipped in the installed package, else the checkout this package runs from."""
    env = os.environ.get("COORD_SQL_ROOT")
    candidates = [Path(env).expanduser()] if env else [PACKAGED_ROOT, CHECKOUT_ROOT]
    for root in candidates:
        if is_sql_tree(root):
            return root
    from .errors import MigrationError

    raise MigrationError(f"no SQL tree (migrations/, plpgsql/, rls/) under {' or '.join(map(str, candidates))}",
                         hint="COORD_SQL_ROOT names a directory holding all three" if env else
                         "reinstall agent-coordinator from a wheel built with setup.py (python -m build), "
                         "use a checkout (pip install -e .), or set COORD_SQL_ROOT")
