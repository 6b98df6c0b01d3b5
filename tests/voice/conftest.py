"""Fixtures: one real Bosun on a temporary SQLite home, one Whisper model for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.chat.voice import WhisperTranscriber, packaged_sources
from channels.http.app import create_app
from eval.speech_audio import espeak_problem, opus_problem, speak, to_opus
from records import register, system_caller
from tests.api.conftest import Tenant, make_tenant
from tests.conftest import skip_or_fail

MAX_AUDIO_BYTES = 2_000_000


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's speech model folder is assembled."""
    return tmp_path_factory.mktemp("models") / "whisper-base"


@pytest.fixture(scope="session")
def transcriber(model_dir: Path) -> WhisperTranscriber:
    """The real faster-whisper transcriber, loaded once for the whole session."""
    packaged_sources()  # fail loudly (not skip) when the model packages are missing
    whisper = WhisperTranscriber(model_dir, max_bytes=MAX_AUDIO_BYTES)
    whisper.load()
    return whisper


@pytest.fixture(scope="session")
def voice_bosun(
    tmp_path_factory: pytest.TempPathFactory, transcriber: WhisperTranscriber
) -> Iterator[Bosun]:
    """A running Bosun whose transcriber is the session's model."""
    home = tmp_path_factory.mktemp("voice_home")
    settings = Settings(home=home, max_request_bytes=64_000, max_audio_bytes=MAX_AUDIO_BYTES)
    running = open_bosun(settings)
    running.startup.ready.set()
    running.extras["transcriber"] = transcriber
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def voice_client(voice_bosun: Bosun) -> Iterator[TestClient]:
    """A test client over the real app."""
    with TestClient(create_app(voice_bosun)) as client:
        yield client


EXTRA_EQUIPMENT = {
    "603": "Bow thruster No. 1",
    "604": "Fuel oil purifier",
    "605": "Diesel generator No. 2",
}


@pytest.fixture(scope="session")
def crew(voice_bosun: Bosun) -> Tenant:
    """An organization with a small register (a few more machines) and a key per role."""
    tenant = make_tenant(voice_bosun)
    system = system_caller(tenant.org_id)
    with voice_bosun.db.transaction(tenant.org_id) as session:
        for code, name in EXTRA_EQUIPMENT.items():
            item, _ = register.upsert_equipment(
                session, system, tenant.vessel_id, code=code, parent_id=None, fields={"name": name}
            )
            session.flush()
            tenant.equipment_ids[code] = item.id
    return tenant


@pytest.fixture(scope="session")
def need_espeak() -> None:
    """Skip when espeak-ng is missing."""
    problem = espeak_problem()
    if problem:
        skip_or_fail("espeak", problem)


def speech(text: str, kind: str) -> bytes:
    """Return espeak-ng audio of ``text`` as wav, ogg (Opus) or webm (Opus)."""
    wav = speak(text)
    if kind == "wav":
        return wav
    problem = opus_problem()
    if problem:
        skip_or_fail("opus", problem)
    return to_opus(wav, kind)
