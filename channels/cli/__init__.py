"""The ``bosun`` command line: one module per command group (``bosun = channels.cli:main``)."""

from channels.cli.root import app, main

__all__ = ["app", "main"]
