"""The assistant wired to the knowledge base (one per running Bosun)."""

from __future__ import annotations

from assistant import Assistant, AssistantSettings
from channels.knowledge_service import open_knowledge
from channels.runtime import Bosun


def open_assistant(bosun: Bosun) -> Assistant:
    """Return the running Bosun's assistant, built on first use."""
    existing = bosun.extras.get("assistant")
    if isinstance(existing, Assistant):
        return existing
    assistant = Assistant(retriever=open_knowledge(bosun), settings=AssistantSettings())
    bosun.extras["assistant"] = assistant
    return assistant
