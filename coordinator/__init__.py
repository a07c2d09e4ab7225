"""Agent Coordinator: the thin Python layer over the PostgreSQL product.

It starts the embedded server, migrates, maps calls to ``api`` functions and maps errors.
It decides nothing: every rule lives in the database.
"""

from .client import Client
from .errors import CoordError

__all__ = ["Client", "CoordError"]
__version__ = "0.2.0"
