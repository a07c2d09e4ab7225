"""Where the SQL sources live: the repository root (migrations/, plpgsql/, rls/)."""

from __future__ import annotations

import os
from pathlib import Path


def sql_root() -> Path:
    env = os.environ.get("COORD_SQL_ROOT")
    root = Path(env) if env else Path(__file__).resolve().parent.parent
    if not (root / "migrations" / "bootstrap.sql").exists():
        from .errors import MigrationError

        raise MigrationError(f"no migrations/ directory under {root}",
                             hint="run from a checkout (pip install -e .) or set COORD_SQL_ROOT")
    return root
