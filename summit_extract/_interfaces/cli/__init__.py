"""The ``summit-extract`` command line: one module per command, registered on one app.

``app`` holds the app, the global options and the exit codes; ``options`` the options the commands share
and what they build; ``summary`` what they print. The commands: ``extract`` (and ``extract_ray`` for
``--ray``), ``schema``, ``report``, ``evaluate`` (``eval``), ``check``, ``batch`` and ``consolidate``.
Importing this package registers them all, in the order ``--help`` lists them.
"""

from . import batch, check, consolidate, evaluate, extract, report, schema  # noqa: F401 - they register
from .app import app, main

__all__ = ["app", "main"]
