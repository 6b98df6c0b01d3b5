"""Decode WAV, WebM/Opus and OGG/Opus into the 16 kHz mono samples Whisper takes."""

from __future__ import annotations

import io

import av
import numpy as np
import numpy.typing as npt

from channels.chat.voice.transcript import AudioTooLong, UndecodableAudio, UnsupportedAudioType

SAMPLE_RATE = 16_000

# Declared content type (without parameters such as ;codecs=opus) -> the kind it names.
CONTENT_TYPES = {
    "audio/wav": "wav",
    "audio/wave": "wav",
    "audio/x-wav": "wav",
    "audio/vnd.wave": "wav",
    "audio/webm": "webm",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
}
ACCEPTED = "WAV (audio/wav), WebM/Opus (audio/webm) or OGG/Opus (audio/ogg)"

# PyAV's container names and the codecs accepted inside each.
_CONTAINERS = {"wav": "WAV", "ogg": "OGG", "matroska,webm": "WebM"}
_COMPRESSED_CODECS = ("opus", "vorbis")


def media_type(content_type: str | None) -> str | None:
    """Return the bare lower-case media type of a Content-Type header value."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def check_content_type(content_type: str | None) -> None:
    """Refuse a declared content type other than WAV, WebM or OGG (none declared is fine)."""
    bare = media_type(content_type)
    if bare is not None and bare not in CONTENT_TYPES:
        raise UnsupportedAudioType(f"audio of type {bare!r} is not accepted; send {ACCEPTED}")


def decode(data: bytes, *, max_seconds: float) -> npt.NDArray[np.float32]:
    """Return the audio as 16 kHz mono float32 samples in [-1, 1].

    Raises :class:`UndecodableAudio` for bytes that are not WAV, WebM/Opus or OGG/Opus or hold
    no sound, and :class:`AudioTooLong` as soon as decoding passes ``max_seconds``.
    """
    if not data:
        raise UndecodableAudio(f"the request holds no audio; send {ACCEPTED}")
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[npt.NDArray[np.int16]] = []
    count = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            stream = _audio_stream(container)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    count += _append(chunks, out)
                if count > limit:
                    raise AudioTooLong(
                        f"the audio is longer than {max_seconds:g} seconds; send shorter clips",
                        limit_seconds=max_seconds,
                    )
            for out in resampler.resample(None):
                count += _append(chunks, out)
    except av.FFmpegError as err:
        raise UndecodableAudio(
            f"the audio could not be decoded ({err.strerror or err}); send {ACCEPTED}"
        ) from err
    if count > limit:
        raise AudioTooLong(
            f"the audio is longer than {max_seconds:g} seconds; send shorter clips",
            limit_seconds=max_seconds,
        )
    if count == 0:
        raise UndecodableAudio(f"the audio holds no sound; send {ACCEPTED}")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return samples


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    name = container.format.name
    if name not in _CONTAINERS:
        raise UndecodableAudio(
            f"the audio is {container.format.long_name or name}; send {ACCEPTED}"
        )
    if not container.streams.audio:
        raise UndecodableAudio(f"the {_CONTAINERS[name]} file has no audio; send {ACCEPTED}")
    stream = container.streams.audio[0]
    codec = stream.codec_context.name
    allowed = codec.startswith("pcm_") if name == "wav" else codec in _COMPRESSED_CODECS
    if not allowed:
        raise UndecodableAudio(
            f"{_CONTAINERS[name]} audio coded as {codec} is not accepted; send {ACCEPTED}"
        )
    return stream


def _append(chunks: list[npt.NDArray[np.int16]], frame: av.AudioFrame) -> int:
    samples = np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1)
    chunks.append(samples)
    return int(samples.shape[0])
