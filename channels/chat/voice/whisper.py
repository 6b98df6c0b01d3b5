"""The default transcriber: faster-whisper's "base" model on the CPU, loaded once."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from channels.chat.voice import audio as codec
from channels.chat.voice.model_files import ModelSources, assemble_model
from channels.chat.voice.settings import VoiceSettings
from channels.chat.voice.transcript import AudioTooLarge, ModelUnavailable, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10_000_000
# Whisper keeps at most 223 prompt tokens and drops the oldest (the first hints) beyond that.
MAX_HINT_TOKENS = 200


def _rough_tokens(text: str) -> int:
    return len(text) // 3 + 1


def hint_text(
    hints: Sequence[str],
    *,
    max_tokens: int = MAX_HINT_TOKENS,
    count_tokens: Callable[[str], int] = _rough_tokens,
) -> str:
    """Join hints into one semicolon-separated line, first ones first, duplicates dropped.

    Hints stop before the line would pass ``max_tokens`` (counted by ``count_tokens``, a
    rough estimate unless the model's tokenizer is given).
    """
    seen: set[str] = set()
    kept: list[str] = []
    used = 0
    for hint in hints:
        clean = " ".join(hint.split())
        key = clean.casefold()
        if not clean or key in seen:
            continue
        cost = count_tokens(f" {clean};")
        if used + cost > max_tokens:
            break
        seen.add(key)
        kept.append(clean)
        used += cost
    return "; ".join(kept)


class WhisperTranscriber:
    """Speech to text with faster-whisper "base" (int8 on the CPU), from packaged weights.

    The model folder is assembled once into ``cache_dir`` and loaded on the first
    transcription; transcriptions run one at a time (the model uses every thread it has).
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        settings: VoiceSettings | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sources: ModelSources | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.settings = settings or VoiceSettings()
        self.max_bytes = max_bytes
        self._sources = sources
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def load(self) -> WhisperModel:
        """Return the model, assembling and loading it on first use (thread-safe)."""
        model = self._model
        if model is not None:
            return model
        with self._load_lock:
            if self._model is None:
                self._model = self._open()
            return self._model

    def _open(self) -> WhisperModel:
        # Never reach for the Hugging Face hub, whatever the environment says.
        os.environ["HF_HUB_OFFLINE"] = "1"
        from faster_whisper import WhisperModel

        folder = assemble_model(self.cache_dir, self._sources)
        threads = self.settings.cpu_threads or min(4, os.cpu_count() or 1)
        started = time.perf_counter()
        try:
            model = WhisperModel(
                str(folder),
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                local_files_only=True,
            )
        except (OSError, RuntimeError, ValueError) as err:
            raise ModelUnavailable(f"the speech model in {folder} does not load: {err}") from err
        log.info("speech model loaded in %.1f s", time.perf_counter() - started)
        return model

    def transcribe(
        self, audio: bytes, *, content_type: str | None = None, hints: Sequence[str] = ()
    ) -> Transcript:
        """Return the text spoken in WAV, WebM/Opus or OGG/Opus audio."""
        started = time.perf_counter()
        codec.check_content_type(content_type)
        if len(audio) > self.max_bytes:
            raise AudioTooLarge(
                f"the audio is larger than {self.max_bytes:,} bytes; send shorter clips",
                limit_bytes=self.max_bytes,
            )
        samples = codec.decode(audio, max_seconds=self.settings.max_seconds)
        model = self.load()
        language = None if self.settings.language == "auto" else self.settings.language
        hint = ""
        if hints and self.settings.hints != "off":
            tokenizer = model.hf_tokenizer
            names = hint_text(
                hints,
                count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids),
            )
            # A finished sentence: a bare list made Whisper continue the list ("No. 2, ...").
            hint = f"Equipment: {names}." if names else ""
        with self._run_lock:
            segments, info = model.transcribe(
                samples,
                language=language,
                task="transcribe",
                beam_size=self.settings.beam_size,
                vad_filter=self.settings.vad,
                condition_on_previous_text=False,
                initial_prompt=hint if hint and self.settings.hints == "prompt" else None,
                hotwords=hint if hint and self.settings.hints == "hotwords" else None,
            )
            text = " ".join(segment.text.strip() for segment in segments).strip()
        return Transcript(
            text=text,
            language=info.language,
            duration_s=round(len(samples) / codec.SAMPLE_RATE, 3),
            seconds=round(time.perf_counter() - started, 3),
        )
