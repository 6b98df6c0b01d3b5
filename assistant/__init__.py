"""The conversation engine: tools, chat-model backends, pending actions, dialogue state.

``Assistant.turn`` takes one message and returns a ``TurnResult``: an answer with its
citations, a question back, or a proposed change the crew member confirms with "yes".
"""

from assistant.engine import SYSTEM_PROMPT, Assistant
from assistant.equipment import Item, RegisterIndex, Resolution
from assistant.gateway import (
    MAX_ATTACHMENT_BYTES,
    TOKEN_PREFIX,
    ChatError,
    ChatGateway,
    ChatToken,
    Notice,
    Speaker,
    Upload,
)
from assistant.intents import Intent, recognise
from assistant.models import make_chat_model
from assistant.offline import OfflineChatModel
from assistant.retriever import EmptyRetriever, InMemoryRetriever, Retriever
from assistant.router import Route, Router, RouterError, route
from assistant.settings import AssistantSettings
from assistant.spoken import normalize_spoken
from assistant.tools import ToolContext, build_tools, load_index
from assistant.types import Outcome, ProposedAction, ToolCall, TurnResult

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "SYSTEM_PROMPT",
    "TOKEN_PREFIX",
    "Assistant",
    "AssistantSettings",
    "ChatError",
    "ChatGateway",
    "ChatToken",
    "EmptyRetriever",
    "InMemoryRetriever",
    "Intent",
    "Item",
    "Notice",
    "OfflineChatModel",
    "Outcome",
    "ProposedAction",
    "RegisterIndex",
    "Resolution",
    "Retriever",
    "Route",
    "Router",
    "RouterError",
    "Speaker",
    "ToolCall",
    "ToolContext",
    "TurnResult",
    "Upload",
    "build_tools",
    "load_index",
    "make_chat_model",
    "normalize_spoken",
    "recognise",
    "route",
]
