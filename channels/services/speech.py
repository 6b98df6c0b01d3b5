"""Speech to text wired to a running Bosun: its transcriber and the register's spelling hints."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from channels.app.runtime import Bosun
from channels.chat.voice import Transcriber, VoiceSettings, WhisperTranscriber
from records import Caller, register

TRANSCRIBER = "transcriber"
MAX_HINTS = 200


def model_cache_dir(bosun: Bosun) -> Path:
    """Return where the speech model folder is assembled: BOSUN_HOME/models/whisper-base."""
    return bosun.settings.home / "models" / "whisper-base"


def open_transcriber(bosun: Bosun) -> Transcriber:
    """Return the running Bosun's transcriber, built on first use (tests may put one in)."""
    existing = bosun.extras.get(TRANSCRIBER)
    if isinstance(existing, Transcriber):
        return existing
    transcriber = WhisperTranscriber(
        model_cache_dir(bosun),
        settings=VoiceSettings(),
        max_bytes=bosun.settings.max_audio_bytes,
    )
    bosun.extras[TRANSCRIBER] = transcriber
    return transcriber


def register_hints(session: Session, caller: Caller, vessel_id: int | None = None) -> list[str]:
    """Return equipment names of the caller's vessel(s), machines first.

    Whisper reads them as context, which helps it spell names crew say ("purifier", "bow
    thruster"); only the first ~200 tokens fit, so the named machines (the second level of
    the tree: "Bow thruster No. 1") come before the systems that group them and before
    their components (this order measured best with ``python -m eval.wer``; see README).
    """
    vessels = [v.id for v in register.list_vessels(session, caller)]
    if vessel_id is not None:
        vessels = [v for v in vessels if v == vessel_id]
    equipment = [e for v in vessels for e in register.equipment_of_vessel(session, caller, v)]
    parents = {e.id: e.parent_id for e in equipment}
    ordered = sorted(equipment, key=lambda e: (_rank(_depth(e.id, parents)), e.vessel_id, e.code))
    names: list[str] = []
    seen: set[str] = set()
    for item in ordered:
        key = item.name.casefold()
        if key not in seen:
            seen.add(key)
            names.append(item.name)
        if len(names) >= MAX_HINTS:
            break
    return names


def _rank(depth: int) -> int:
    """Order tree levels as machines (1), systems (0), then components (2, 3, ...)."""
    return {1: 0, 0: 1}.get(depth, depth)


def _depth(item_id: int, parents: dict[int, int | None]) -> int:
    depth, parent = 0, parents.get(item_id)
    while parent is not None and depth < 50:
        depth, parent = depth + 1, parents.get(parent)
    return depth
