"""Speech to text: POST /v1/transcribe takes audio and answers the words heard in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from assistant import Speaker
from channels.app.runtime import Bosun
from channels.chat.voice import (
    ACCEPTED,
    CONTENT_TYPES,
    AudioTooLarge,
    AudioTooLong,
    ModelUnavailable,
    UndecodableAudio,
    UnsupportedAudioType,
    media_type,
)
from channels.http.api.deps import BosunDep, SpeakerDep
from channels.http.api.problems import PROBLEM_JSON, Problem
from channels.http.api.routes.common import v1_router
from channels.http.api.schemas.common import Id
from channels.services.speech import open_transcriber, register_hints
from records import BosunError, ErrorCode, User, users

PATH = "/v1/transcribe"
MULTIPART = "multipart/form-data"

router = v1_router(tags=["voice"])


class TranscriptOut(BaseModel):
    """The words heard in the audio."""

    text: str = Field(description="What was said (empty when no speech was heard).")
    language: str = Field(description="Language of the speech (a Whisper code such as en).")
    duration_s: float = Field(description="Length of the audio in seconds.")
    seconds: float = Field(description="Seconds the transcription took on the server.")


_AUDIO_BODY = {
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in CONTENT_TYPES
    }
    | {
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    },
    "required": True,
}


@router.post(
    "/transcribe",
    response_model=TranscriptOut,
    openapi_extra={"requestBody": _AUDIO_BODY},
    responses={
        415: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": "Not WAV, WebM or OGG audio",
        },
        503: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": "The speech model is not installed",
        },
    },
)
async def transcribe(
    request: Request,
    bosun: BosunDep,
    # An API key, or the widget's short-lived chat token.
    speaker: SpeakerDep,
    vessel_id: Annotated[
        Id | None, Query(description="Vessel whose equipment names guide spelling.")
    ] = None,
    hints: Annotated[
        bool, Query(description="Guide spelling with the register's equipment names.")
    ] = True,
) -> TranscriptOut:
    """Transcribe speech: send WAV, WebM/Opus or OGG/Opus as the body with its Content-Type.

    A multipart form with the audio in field ``file`` works too. Equipment names from the
    caller's vessel register help the model spell what crew say; ``hints=false`` turns that off.
    """
    audio, content_type = await _read_audio(request)
    names = await run_in_threadpool(_hints, bosun, speaker, vessel_id) if hints else []
    transcriber = open_transcriber(bosun)
    try:
        transcript = await run_in_threadpool(
            transcriber.transcribe, audio, content_type=content_type, hints=names
        )
    except UnsupportedAudioType as err:
        raise HTTPException(415, str(err)) from err
    except UndecodableAudio as err:
        raise BosunError(ErrorCode.invalid, str(err)) from err
    except AudioTooLarge as err:
        raise BosunError(ErrorCode.too_large, str(err), limit_bytes=err.limit_bytes) from err
    except AudioTooLong as err:
        raise BosunError(ErrorCode.too_large, str(err), limit_seconds=err.limit_seconds) from err
    except ModelUnavailable as err:
        raise BosunError(ErrorCode.unavailable, f"speech to text is unavailable: {err}") from err
    return TranscriptOut(
        text=transcript.text,
        language=transcript.language,
        duration_s=transcript.duration_s,
        seconds=transcript.seconds,
    )


async def _read_audio(request: Request) -> tuple[bytes, str]:
    """Return the audio and its content type from a raw body or a multipart ``file`` field."""
    declared = media_type(request.headers.get("content-type"))
    if declared == MULTIPART:
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BosunError(
                ErrorCode.invalid, "the multipart form needs the audio in field 'file'"
            )
        part_type = media_type(upload.content_type)
        if part_type not in CONTENT_TYPES:
            raise HTTPException(
                415, f"the uploaded file is of type {part_type or 'unknown'}; send {ACCEPTED}"
            )
        return await upload.read(), part_type
    if declared not in CONTENT_TYPES:
        raise HTTPException(
            415,
            f"Content-Type {declared or '(none)'} is not accepted; send {ACCEPTED} "
            f"as the body, or a multipart form with the audio in field 'file'",
        )
    return await request.body(), declared


def _hints(bosun: Bosun, speaker: Speaker, vessel_id: int | None) -> list[str]:
    with bosun.db.transaction(speaker.org_id) as session:
        user = session.get(User, speaker.user_id)
        if user is None:
            return []
        caller = users.caller_for(user, speaker.channel)
        return register_hints(session, caller, vessel_id)
