"""Make test audio: espeak-ng speaks a sentence to WAV; PyAV re-encodes it as Opus in OGG/WebM."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import av

ESPEAK = "espeak-ng"
CONTAINERS = {"ogg": "audio/ogg", "webm": "audio/webm"}


def espeak_problem() -> str | None:
    """Return why espeak-ng cannot be used here, or None when it can."""
    if shutil.which(ESPEAK) is None:
        return "espeak-ng is not installed (apt-get install espeak-ng)"
    return None


def opus_problem() -> str | None:
    """Return why Opus cannot be encoded here, or None when it can."""
    if "libopus" not in av.codecs_available:
        return "PyAV's FFmpeg has no libopus encoder"
    missing = [f for f in ("ogg", "webm") if f not in av.formats_available]
    if missing:
        return f"PyAV's FFmpeg cannot write {', '.join(missing)}"
    return None


def speak(text: str, *, voice: str = "en-us", speed: int = 160) -> bytes:
    """Return WAV audio (22.05 kHz mono 16-bit) of espeak-ng saying ``text``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(speed), "-w", str(out), "--", text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()


def to_opus(wav: bytes, container: str) -> bytes:
    """Re-encode WAV audio as Opus (48 kHz mono) in an ``ogg`` or ``webm`` container."""
    buffer = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(buffer, "w", format=container) as target:
        stream = target.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        for frame in source.decode(audio=0):
            for out in resampler.resample(frame):
                for packet in stream.encode(out):
                    target.mux(packet)
        for out in resampler.resample(None):
            for packet in stream.encode(out):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return buffer.getvalue()


def silence_wav(seconds: float, *, rate: int = 8_000) -> bytes:
    """Return WAV audio of silence (8-bit, so long clips stay small)."""
    buffer = io.BytesIO()

    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * int(seconds * rate))
    return buffer.getvalue()
