"""Build hook: ships the SQL tree (migrations/, plpgsql/, rls/) inside the wheel.

The checkout keeps the SQL at the repository root, where coordinator/paths.py finds it for a
checkout or an editable install; a wheel carries a copy as coordinator/sql_tree/, which
coordinator.paths.sql_root() prefers. Everything else is configured in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SQL_DIRS = ("migrations", "plpgsql", "rls")  # as coordinator.paths.SQL_DIRS
HERE = Path(__file__).resolve().parent


class BuildPyWithSqlTree(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own tree
            return
        target = Path(self.build_lib) / "coordinator" / "sql_tree"
        shutil.rmtree(target, ignore_errors=True)  # a stale build/lib must not ship deleted files
        for name in SQL_DIRS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; build from a checkout or its sdist")
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))


setup(cmdclass={"build_py": BuildPyWithSqlTree})
