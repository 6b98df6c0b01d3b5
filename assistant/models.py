"""Chat models behind one interface, chosen by ``BOSUN_CHAT_MODEL``."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from assistant.offline import OfflineChatModel
from assistant.settings import AssistantSettings
from records import BosunError, ErrorCode


def make_chat_model(settings: AssistantSettings) -> BaseChatModel:
    """Build the configured chat model: ``offline`` or ``openai:<model>``."""
    spec = settings.chat_model.strip()
    if spec == "offline":
        return OfflineChatModel(min_overlap=settings.assistant_min_overlap)
    backend, _, model = spec.partition(":")
    if backend == "openai" and model:
        if not settings.chat_base_url:
            raise BosunError(
                ErrorCode.invalid,
                "BOSUN_CHAT_MODEL=openai:... needs BOSUN_CHAT_BASE_URL, e.g. "
                "http://127.0.0.1:8000/v1 (vLLM, llama.cpp server or Ollama's /v1)",
            )
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as err:
            raise BosunError(
                ErrorCode.unavailable, "langchain-openai is not installed: pip install it"
            ) from err
        key = settings.chat_api_key.get_secret_value() if settings.chat_api_key else "none"
        return ChatOpenAI(
            model=model,
            base_url=settings.chat_base_url,
            api_key=key,
            timeout=settings.chat_timeout_s,
            temperature=settings.chat_temperature,
            max_retries=1,
        )
    raise BosunError(
        ErrorCode.invalid,
        f"unknown BOSUN_CHAT_MODEL {spec!r}: use 'offline' or 'openai:<model>'",
    )
