"""Word error rate of speech to text: espeak-ng speech through POST /v1/transcribe of a real app.

    python -m eval.wer [--cases eval/cases/speech.jsonl] [--format webm] [--voices en-us:160,en:150]

Imports the demo register into a temporary Bosun, speaks every case with each espeak-ng voice,
encodes it (default WebM/Opus, what the widget records), sends it to ``/v1/transcribe`` with
the register's equipment names as spelling hints and again without them, prints each
sentence's WER and the corpus WER of both runs, and as the last line one JSON object:
``{"wer": .., "sentences": .., "seconds_per_sentence": .., ...}`` (``wer`` is with hints).

Scoring normalises both sides the same way (:func:`normalise`) so only words differ:
lower case; ``°``/``°C`` -> ``degrees``, ``%`` -> ``percent``; ``No.``/``Nr.``/``#`` before a
number -> ``number``; hyphens and slashes split words; thousands commas dropped; other
punctuation dropped (a decimal point between digits kept); then every number is spelled out
and read back as digits, so "four hundred and sixty", "460" and "400 and 60" all become 460,
"eight point five" and "8.5" become 8.5, while "six to two" stays 6 to 2 (an error).
Corpus WER is the sum of word edits over the sum of reference words.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.periods import NUMBER_WORDS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT / "eval" / "cases" / "speech.jsonl"
DEFAULT_REGISTER = ROOT / "records" / "demo" / "register.yaml"
DEFAULT_VOICES = "en-us:160,en:150"
CONTENT_TYPES = {"wav": "audio/wav", "ogg": "audio/ogg", "webm": "audio/webm"}

_UNITS = {w: n for w, n in NUMBER_WORDS.items() if n < 20}
_TENS = {w: n for w, n in NUMBER_WORDS.items() if n >= 20}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def _number_at(words: list[str], i: int) -> tuple[str, int] | None:
    """Read a spelled-out number starting at ``words[i]``; return its digits and the next index."""
    total = current = 0
    last: str | None = None  # "unit", "teen", "tens", "scale"
    j = i
    while j < len(words):
        w = words[j]
        if w in _UNITS:
            value = _UNITS[w]
            if last in ("unit", "teen") or (last == "tens" and value >= 10):
                break  # "one two" are two numbers, not twelve
            current += value
            last = "teen" if value >= 10 else "unit"
        elif w in _TENS:
            if last in ("unit", "teen", "tens"):
                break
            current += _TENS[w]
            last = "tens"
        elif w in _SCALES and last is not None and (last != "scale" or _SCALES[w] > 100):
            scale = _SCALES[w]
            if scale == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * scale
                current = 0
            last = "scale"
        elif (
            w == "and"
            and last == "scale"
            and j + 1 < len(words)
            and (words[j + 1] in _UNITS or words[j + 1] in _TENS)
        ):
            pass
        else:
            break
        j += 1
    if last is None:
        return None
    digits = str(total + current)
    # "point five" / "point two five" after a number: decimals, one digit a word.
    if j + 1 < len(words) and words[j] == "point" and words[j + 1] in _UNITS:
        decimals = ""
        k = j + 1
        while k < len(words) and words[k] in _UNITS and _UNITS[words[k]] < 10:
            decimals += str(_UNITS[words[k]])
            k += 1
        if decimals:
            return f"{digits}.{decimals}", k
    return digits, j


_UNIT_NAMES = {v: k for k, v in _UNITS.items()}
_TENS_NAMES = {v: k for k, v in _TENS.items()}


def _spell(number: int) -> list[str]:
    """Spell a whole number below a million the way it is said ("460" -> four hundred and sixty)."""
    if number < 20:
        return [_UNIT_NAMES[number]]
    if number < 100:
        tens, unit = divmod(number, 10)
        return [_TENS_NAMES[tens * 10]] + ([_UNIT_NAMES[unit]] if unit else [])
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return [_UNIT_NAMES[hundreds], "hundred"] + (["and", *_spell(rest)] if rest else [])
    thousands, rest = divmod(number, 1000)
    tail = (["and"] if rest < 100 else []) + _spell(rest) if rest else []
    return [*_spell(thousands), "thousand", *tail]


def _spell_token(token: str) -> list[str]:
    """Spell a digit token ("8.5" -> eight point five); leave other tokens alone."""
    whole, dot, decimals = token.partition(".")
    if not whole.isdigit() or (dot and not decimals.isdigit()) or len(whole) > 6:
        return [token]
    if len(whole) > 1 and whole.startswith("0"):
        return [_UNIT_NAMES[int(d)] for d in whole]
    words = _spell(int(whole))
    if dot:
        words += ["point", *(_UNIT_NAMES[int(d)] for d in decimals)]
    return words


def normalise(text: str) -> list[str]:
    """Return the words of ``text`` normalised for scoring (see the module docstring)."""
    s = text.lower()
    s = re.sub(r"°\s*c\b|°", " degrees ", s)
    s = s.replace("%", " percent ")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    s = re.sub(r"(?:\bno\b|\bnr\b|#)\.?\s*(?=\d)", " number ", s)
    s = re.sub(r"[-/]", " ", s)
    s = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", s)
    s = re.sub(r"[^\w\s.]", " ", s)
    # Digits are spelled out first, so that "400 and 60", "460" and "four hundred and sixty"
    # all read back as 460: the same number however the transcript chose to write it.
    words = [w for token in s.split() for w in _spell_token(token)]
    out: list[str] = []
    i = 0
    while i < len(words):
        found = _number_at(words, i)
        if found is None:
            out.append(words[i])
            i += 1
        else:
            out.append(found[0])
            i = found[1]
    return out


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Return the number of word substitutions, deletions and insertions between two texts."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


@dataclass(frozen=True)
class Scored:
    """One utterance's transcript and its word errors."""

    case: str
    voice: str
    reference: str
    hypothesis: str
    errors: int
    words: int
    seconds: float

    @property
    def wer(self) -> float:
        """This utterance's word error rate."""
        return self.errors / self.words if self.words else 0.0


def corpus_wer(scored: list[Scored]) -> float:
    """Return the sum of edits over the sum of reference words."""
    words = sum(s.words for s in scored)
    return sum(s.errors for s in scored) / words if words else 0.0


def load_cases(path: Path) -> list[dict[str, str]]:
    """Read the JSON lines of cases ({"id": .., "text": ..})."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            if not case.get("text"):
                raise SystemExit(f"{path}:{n}: a case needs a text")
            cases.append({"id": str(case.get("id", n)), "text": str(case["text"])})
    return cases


def run(
    cases_path: Path,
    *,
    register_path: Path = DEFAULT_REGISTER,
    voices: list[tuple[str, int]],
    fmt: str = "webm",
    model_dir: Path | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run every case with and without hints and return the figures."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from fastapi.testclient import TestClient

    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from channels.chat.voice import WhisperTranscriber
    from channels.http.app import create_app
    from eval.speech_audio import espeak_problem, opus_problem, speak, to_opus
    from records import ALL_TENANTS, Role, register_import, system_caller, users

    problem = espeak_problem() or (opus_problem() if fmt != "wav" else None)
    if problem:
        raise SystemExit(f"cannot run: {problem}")
    cases = load_cases(cases_path)
    audio: list[tuple[dict[str, str], str, bytes]] = []
    for case in cases:
        for voice, speed in voices:
            wav = speak(case["text"], voice=voice, speed=speed)
            audio.append((case, f"{voice}:{speed}", wav if fmt == "wav" else to_opus(wav, fmt)))

    with tempfile.TemporaryDirectory(prefix="bosun-wer-") as tmp:
        bosun = open_bosun(Settings(home=Path(tmp) / "home"))
        bosun.startup.ready.set()
        try:
            spec = register_import.load_file(register_path)
            with bosun.db.transaction(ALL_TENANTS) as s:
                org_id = register_import.resolve_organization(s, spec.organization).id
            with bosun.db.transaction(org_id) as s:
                vessel_id = register_import.import_register(s, spec).vessel_id
                user = users.create_user(
                    s,
                    system_caller(org_id),
                    name="Eval Crew",
                    email="crew@eval.example",
                    role=Role.crew,
                    vessel_ids=[vessel_id],
                )
                s.flush()
                key = users.create_api_key(s, system_caller(org_id), user=user, name="wer").secret
            whisper = WhisperTranscriber(
                model_dir or Path(tmp) / "home" / "models" / "whisper-base"
            )
            started = time.perf_counter()
            whisper.load()
            load_seconds = time.perf_counter() - started
            bosun.transcriber = whisper
            headers = {"Authorization": f"Bearer {key}", "Content-Type": CONTENT_TYPES[fmt]}
            runs: dict[str, list[Scored]] = {}
            with TestClient(create_app(bosun)) as client:
                for label, hints in (("hints", True), ("no hints", False)):
                    scored = runs.setdefault(label, [])
                    for case, voice, data in audio:
                        response = client.post(
                            "/v1/transcribe",
                            params={"hints": str(hints).lower()},
                            content=data,
                            headers=headers,
                        )
                        if response.status_code != 200:
                            raise SystemExit(
                                f"{case['id']}: {response.status_code} {response.text}"
                            )
                        body = response.json()
                        ref, hyp = normalise(case["text"]), normalise(body["text"])
                        scored.append(
                            Scored(
                                case=case["id"],
                                voice=voice,
                                reference=case["text"],
                                hypothesis=body["text"],
                                errors=edit_distance(ref, hyp),
                                words=len(ref),
                                seconds=float(body["seconds"]),
                            )
                        )
                        if not quiet:
                            mark = " " if scored[-1].errors == 0 else "*"
                            print(
                                f"{mark} {label:8} {voice:10} WER {scored[-1].wer:6.1%}  "
                                f"{case['id']:20} {body['text']}",
                                flush=True,
                            )
        finally:
            bosun.close()

    with_hints, without = runs["hints"], runs["no hints"]
    seconds = [s.seconds for s in with_hints + without]
    return {
        "wer": round(corpus_wer(with_hints), 4),
        "wer_without_hints": round(corpus_wer(without), 4),
        "sentences": len(with_hints),
        "cases": len(cases),
        "voices": [f"{v}:{s}" for v, s in voices],
        "format": fmt,
        "seconds_per_sentence": round(statistics.mean(seconds), 3),
        "model_load_seconds": round(load_seconds, 2),
        "exact_with_hints": sum(s.errors == 0 for s in with_hints),
        "exact_without_hints": sum(s.errors == 0 for s in without),
    }


def _voices(text: str) -> list[tuple[str, int]]:
    out = []
    for item in text.split(","):
        voice, _, speed = item.strip().partition(":")
        out.append((voice, int(speed or 160)))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation from the command line."""
    parser = argparse.ArgumentParser(prog="python -m eval.wer", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--register", type=Path, default=DEFAULT_REGISTER)
    parser.add_argument("--voices", default=DEFAULT_VOICES, help="espeak-ng voice:speed, ...")
    parser.add_argument("--format", choices=sorted(CONTENT_TYPES), default="webm")
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="reuse an assembled model folder"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    figures = run(
        args.cases,
        register_path=args.register,
        voices=_voices(args.voices),
        fmt=args.format,
        model_dir=args.model_dir,
        quiet=args.quiet,
    )
    print(
        f"corpus WER with register hints {figures['wer']:.1%}, without "
        f"{figures['wer_without_hints']:.1%} ({figures['sentences']} utterances: "
        f"{figures['cases']} sentences x {len(figures['voices'])} voices, {figures['format']}); "
        f"{figures['seconds_per_sentence']:.2f} s per utterance",
        file=sys.stderr,
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
