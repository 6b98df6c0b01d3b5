"""Errors raised by the connectors package; library errors are translated into these."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of every error the connectors package raises."""


class ConfigError(ConnectorError):
    """A connectors.yaml file is invalid; the message names each bad path in the file."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"{source}: invalid connectors configuration ({len(problems)} problem(s)):\n{lines}\n"
            "Fix the listed paths and run `bosun connectors check` again."
        )


class SourceError(ConnectorError):
    """A source failed to connect or read; `transient` says whether retrying can help."""

    def __init__(self, source: str, message: str, *, transient: bool = True) -> None:
        self.source = source
        self.transient = transient
        super().__init__(f"source {source!r}: {message}")


class SinkUnavailable(ConnectorError):
    """The readings store cannot take writes now; readings are buffered and replayed later."""


class SinkRejected(ConnectorError):
    """The readings store refused these readings for good (bad data); they are not retried."""
