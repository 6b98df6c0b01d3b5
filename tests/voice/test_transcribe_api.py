"""POST /v1/transcribe over the real app, the real model and espeak-ng speech."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from channels.chat.voice import WhisperTranscriber
from channels.http.app import create_app
from eval.speech_audio import silence_wav, speak
from records import Role
from tests.api.conftest import Tenant, assert_problem
from tests.voice.conftest import MAX_AUDIO_BYTES, speech

pytestmark = pytest.mark.usefixtures("need_espeak")

CASES = [
    (
        "wav",
        "audio/wav",
        "main engine number two fuel pump is leaking",
        ["main", "engine", "fuel", "pump", "leaking"],
    ),
    (
        "ogg",
        "audio/ogg",
        "fire pump discharge pressure is dropping",
        ["fire", "pump", "discharge", "pressure", "dropping"],
    ),
    (
        "webm",
        "audio/webm;codecs=opus",
        "bow thruster hydraulic oil temperature is high",
        ["thruster", "hydraulic", "oil", "temperature", "high"],
    ),
]


@pytest.mark.parametrize(("kind", "content_type", "sentence", "words"), CASES)
def test_speech_in_each_format_is_transcribed(
    voice_client: TestClient,
    crew: Tenant,
    kind: str,
    content_type: str,
    sentence: str,
    words: list[str],
) -> None:
    audio = speech(sentence, kind)
    response = voice_client.post(
        "/v1/transcribe",
        content=audio,
        headers={**crew.auth(Role.crew), "Content-Type": content_type},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"text", "language", "duration_s", "seconds"}
    text = body["text"].lower()
    missing = [w for w in words if w not in text]
    assert not missing, f"{missing} not in {body['text']!r}"
    assert body["language"] == "en"
    assert 1.0 < body["duration_s"] < 10.0
    assert 0 < body["seconds"] < 60


def test_multipart_form_field_file(voice_client: TestClient, crew: Tenant) -> None:
    audio = speech("the purifier is making a loud noise", "ogg")
    response = voice_client.post(
        "/v1/transcribe",
        files={"file": ("note.ogg", audio, "audio/ogg")},
        headers=crew.auth(Role.crew),
    )
    assert response.status_code == 200, response.text
    assert "noise" in response.json()["text"].lower()


def test_silence_gives_no_words(voice_client: TestClient, crew: Tenant) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        content=silence_wav(3.0),
        headers={**crew.auth(Role.crew), "Content-Type": "audio/wav"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["text"] == ""
    assert response.json()["duration_s"] == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (os.urandom(20_000), "audio/wav"),
        (b"this is not audio at all, just text " * 50, "audio/ogg"),
        (b"", "audio/webm"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),  # a WAV header cut short
    ],
)
def test_garbage_audio_is_422(
    voice_client: TestClient, crew: Tenant, payload: bytes, content_type: str
) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        content=payload,
        headers={**crew.auth(Role.crew), "Content-Type": content_type},
    )
    body = assert_problem(response, 422, "invalid")
    assert "WAV" in body["detail"]


def test_other_audio_in_an_accepted_type_is_422(voice_client: TestClient, crew: Tenant) -> None:
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as out:
        stream = out.add_stream("flac", rate=16_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            __import__("numpy").zeros((1, 16_000), dtype="int16"), format="s16", layout="mono"
        )
        frame.sample_rate = 16_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    response = voice_client.post(
        "/v1/transcribe",
        content=buffer.getvalue(),
        headers={**crew.auth(Role.crew), "Content-Type": "audio/ogg"},
    )
    body = assert_problem(response, 422, "invalid")
    assert "FLAC" in body["detail"] or "flac" in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "audio/mpeg", "application/json", None])
def test_wrong_content_type_is_415(
    voice_client: TestClient, crew: Tenant, content_type: str | None
) -> None:
    headers = crew.auth(Role.crew)
    if content_type:
        headers["Content-Type"] = content_type
    response = voice_client.post("/v1/transcribe", content=speak("hello"), headers=headers)
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "audio/wav" in body["detail"]


def test_wrong_type_in_multipart_is_415(voice_client: TestClient, crew: Tenant) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        files={"file": ("note.mp3", b"ID3" + bytes(100), "audio/mpeg")},
        headers=crew.auth(Role.crew),
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_multipart_without_file_is_422(voice_client: TestClient, crew: Tenant) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        data={"audio": "x"},
        files={"other": ("a.txt", b"x", "text/plain")},
        headers=crew.auth(Role.crew),
    )
    body = assert_problem(response, 422, "invalid")
    assert "'file'" in body["detail"]


def test_no_key_is_401(voice_client: TestClient) -> None:
    response = voice_client.post(
        "/v1/transcribe", content=speak("hello"), headers={"Content-Type": "audio/wav"}
    )
    assert_problem(response, 401, "unauthorized")


def test_a_revoked_or_unknown_key_is_401(voice_client: TestClient) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        content=speak("hello"),
        headers={"Content-Type": "audio/wav", "Authorization": "Bearer not-a-key"},
    )
    assert_problem(response, 401, "unauthorized")


def test_too_large_is_413(voice_client: TestClient, crew: Tenant) -> None:
    response = voice_client.post(
        "/v1/transcribe",
        content=bytes(MAX_AUDIO_BYTES + 100_000),
        headers={**crew.auth(Role.crew), "Content-Type": "audio/wav"},
    )
    body = assert_problem(response, 413, "too_large")
    assert "bytes" in body["detail"]


def test_audio_just_over_the_limit_in_a_form_is_413(voice_client: TestClient, crew: Tenant) -> None:
    # Fits the body limit (which allows for the multipart envelope) but not the audio limit.
    response = voice_client.post(
        "/v1/transcribe",
        files={"file": ("big.wav", bytes(MAX_AUDIO_BYTES + 10), "audio/wav")},
        headers=crew.auth(Role.crew),
    )
    body = assert_problem(response, 413, "too_large")
    assert body["limit_bytes"] == MAX_AUDIO_BYTES


def test_too_long_is_413(voice_client: TestClient, crew: Tenant) -> None:
    audio = silence_wav(130.0)  # 8-bit 8 kHz: 130 s in about 1 MB, under the byte limit
    assert len(audio) < MAX_AUDIO_BYTES
    response = voice_client.post(
        "/v1/transcribe",
        content=audio,
        headers={**crew.auth(Role.crew), "Content-Type": "audio/wav"},
    )
    body = assert_problem(response, 413, "too_large")
    assert "120 seconds" in body["detail"]
    assert body["limit_seconds"] == 120


async def test_transcription_does_not_block_the_event_loop(
    voice_bosun: Bosun,
    crew: Tenant,
    transcriber: WhisperTranscriber,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audio = speak("auxiliary boiler burner fails to ignite, check the photocell " * 3)
    under_way, may_finish = threading.Event(), threading.Event()
    transcribe = transcriber.transcribe

    def held(*args: Any, **kwargs: Any) -> Any:
        under_way.set()
        assert may_finish.wait(60), "the health check never answered"
        return transcribe(*args, **kwargs)

    monkeypatch.setattr(transcriber, "transcribe", held)
    app = create_app(voice_bosun)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bosun") as client:
        job = asyncio.create_task(
            client.post(
                "/v1/transcribe",
                content=audio,
                headers={**crew.auth(Role.crew), "Content-Type": "audio/wav"},
            )
        )
        assert await asyncio.to_thread(under_way.wait, 60), "the transcription did not start"
        # The transcription is under way (and held there): the server still answers.
        health = await asyncio.wait_for(client.get("/healthz"), timeout=30)
        assert not job.done()
        may_finish.set()
        response = await job
    assert health.status_code == 200
    assert response.status_code == 200, response.text
    assert "burner" in response.json()["text"].lower()
