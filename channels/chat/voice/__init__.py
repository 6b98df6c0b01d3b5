"""Speech to text: the ``Transcriber`` interface and its default, faster-whisper "base"."""

from channels.chat.voice.audio import ACCEPTED, CONTENT_TYPES, SAMPLE_RATE, media_type
from channels.chat.voice.model_files import ModelSources, assemble_model, packaged_sources
from channels.chat.voice.settings import VoiceSettings
from channels.chat.voice.transcript import (
    AudioError,
    AudioTooLarge,
    AudioTooLong,
    ModelUnavailable,
    Transcriber,
    Transcript,
    UndecodableAudio,
    UnsupportedAudioType,
)
from channels.chat.voice.whisper import WhisperTranscriber, hint_text

__all__ = [
    "ACCEPTED",
    "CONTENT_TYPES",
    "SAMPLE_RATE",
    "AudioError",
    "AudioTooLarge",
    "AudioTooLong",
    "ModelSources",
    "ModelUnavailable",
    "Transcriber",
    "Transcript",
    "UndecodableAudio",
    "UnsupportedAudioType",
    "VoiceSettings",
    "WhisperTranscriber",
    "assemble_model",
    "hint_text",
    "media_type",
    "packaged_sources",
]
