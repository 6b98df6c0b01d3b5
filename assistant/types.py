"""What a turn returns to the channel that asked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from knowledge import Citation

CITATION_KEYS = ("document_id", "title", "page", "section", "url")
"""What a reply's citation carries in JSON (the API, ``bosun ask --json``), in this order."""


def citation_dict(citation: Citation) -> dict[str, Any]:
    """Return a citation as JSON-safe data with exactly ``CITATION_KEYS``."""
    return {key: getattr(citation, key) for key in CITATION_KEYS}


Outcome = Literal["answer", "proposed", "done", "clarify", "refuse", "nothing_found", "error"]


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """A write waiting for the crew member's yes (a records PendingAction)."""

    id: int
    kind: str
    summary: str
    arguments: dict[str, Any]
    expires_at: str
    duplicates: list[int] = field(default_factory=list)
    """Open faults on the same equipment that this report may duplicate."""
    awaiting_role: str | None = None
    """Set when the caller may ask for this but someone of this role must confirm it."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool the model called in this turn, with its arguments and a short result."""

    name: str
    args: dict[str, Any]
    ok: bool = True
    summary: str = ""


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The assistant's reply to one message."""

    reply: str
    conversation_id: int
    message_id: int
    """Id of the stored assistant message (for feedback)."""
    outcome: Outcome
    citations: list[Citation] = field(default_factory=list)
    proposed_action: ProposedAction | None = None
    executed: dict[str, Any] | None = None
    """Result of an action confirmed in this turn (e.g. {"fault_id": 12})."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    candidates: list[dict[str, str]] = field(default_factory=list)
    """Equipment offered when the assistant asked which one."""
    unanswered: bool = False
    normalized_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe data (for the API and ``bosun ask --json``)."""
        out = asdict(self)
        out["citations"] = [citation_dict(c) for c in self.citations]
        return out
