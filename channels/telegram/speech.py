"""What the bot needs from a speech-to-text backend (``channels.voice.Transcriber`` fits)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Heard(Protocol):
    """A transcript: the text heard."""

    @property
    def text(self) -> str:
        """The words spoken."""
        ...


class SpeechToText(Protocol):
    """Turns a voice note's audio into text (``WhisperTranscriber`` is one)."""

    def transcribe(
        self, audio: bytes, *, content_type: str | None = None, hints: Sequence[str] = ()
    ) -> Heard:
        """Return the text spoken in ``audio``; ``hints`` are words likely to be said."""
        ...
