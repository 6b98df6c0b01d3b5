"""The command line's consoles and its one way to fail."""

from __future__ import annotations

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error that says what to do next, and return the exit to raise."""
    # Not wrapped at the terminal's width: an error is one line to read, grep and paste.
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)
