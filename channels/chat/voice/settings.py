"""Configuration of speech to text (``BOSUN_VOICE_`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

HintMode = Literal["prompt", "hotwords", "off"]


class VoiceSettings(BaseSettings):
    """How the default transcriber runs."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_VOICE_", extra="ignore")

    language: str = Field(
        default="en",
        description="Language spoken (a Whisper code such as en, de, nl); 'auto' detects it.",
    )
    max_seconds: float = Field(
        default=120.0, gt=0, description="Longest audio transcribed (seconds of sound)."
    )
    beam_size: int = Field(default=5, ge=1, le=10, description="Beam width of the decoder.")
    vad: bool = Field(default=True, description="Skip silence with the voice-activity detector.")
    cpu_threads: int = Field(
        default=0, ge=0, description="Threads for the model; 0 uses up to 4 of the machine's."
    )
    hints: HintMode = Field(
        default="prompt",
        description="How equipment names from the register guide spelling: as the initial "
        "prompt, as hotwords, or not at all.",
    )
