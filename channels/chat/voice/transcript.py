"""What a speech-to-text backend returns, the interface it implements, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Transcript:
    """The text heard in one piece of audio."""

    text: str
    language: str
    duration_s: float
    """Length of the audio in seconds."""
    seconds: float
    """Wall-clock seconds the transcription took (decoding included)."""


@runtime_checkable
class Transcriber(Protocol):
    """A speech-to-text backend."""

    def transcribe(
        self, audio: bytes, *, content_type: str | None = None, hints: Sequence[str] = ()
    ) -> Transcript:
        """Return the text spoken in ``audio`` (WAV, WebM/Opus or OGG/Opus).

        ``hints`` are words likely to be spoken (equipment names) that help spelling.
        Raises an :class:`AudioError` subclass for audio it refuses.
        """
        ...


class AudioError(Exception):
    """Audio a transcriber refuses; the message says what to send instead."""


class UnsupportedAudioType(AudioError):
    """The declared content type is not one the transcriber accepts."""


class UndecodableAudio(AudioError):
    """The bytes are not decodable WAV, WebM/Opus or OGG/Opus audio (or hold no sound)."""


class AudioTooLarge(AudioError):
    """The audio is over the byte limit."""

    def __init__(self, message: str, *, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes


class AudioTooLong(AudioError):
    """The audio plays for longer than the duration limit."""

    def __init__(self, message: str, *, limit_seconds: float) -> None:
        super().__init__(message)
        self.limit_seconds = limit_seconds


class ModelUnavailable(Exception):
    """The speech model cannot be found or assembled (a broken install, a full disk)."""
