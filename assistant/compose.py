"""Write answers from retrieved passages: pick the best sentences and cite them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.intents import is_manipulation
from assistant.text import content_tokens

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n\s*(?:[-*•]|\d+[.)])\s+|\n{2,}")
_GENERIC_Q = frozenset(
    """procedure steps step checklist manual instruction instructions guide correct normal
    how what which why when where tell show explain find give need know way do done make
    ok right please pls""".split()  # noqa: SIM905 (a word list reads best as prose)
)


@dataclass(frozen=True, slots=True)
class Composed:
    """An answer and the passage references it cites."""

    text: str
    refs: list[int]
    found: bool


def _stem(tok: str) -> str:
    for suffix, keep in (("ing", 4), ("ed", 4), ("es", 4), ("er", 5), ("s", 4)):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= keep:
            return tok[: -len(suffix)]
    return tok


def _terms(text: str) -> set[str]:
    return {_stem(t) for t in content_tokens(text)}


_DESIGNATOR = re.compile(r"^(?:[a-z]{1,4}\d{1,2}|\d+(?:\.\d+)?)$")


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    return [p for p in parts if len(p) > 3]


def compose_answer(
    question: str,
    passages: list[dict[str, Any]],
    min_overlap: float,
    faults: list[dict[str, Any]] | None = None,
) -> Composed:
    """Return up to three of the best sentences with [n] citations, or say nothing was found."""
    raw = [t for t in dict.fromkeys(content_tokens(question)) if not _DESIGNATOR.match(t)]
    terms = [_stem(t) for t in raw if t not in _GENERIC_Q] or [_stem(t) for t in raw]
    scored: list[tuple[float, int, int, str]] = []
    for rank, p in enumerate(passages):
        for pos, sent in enumerate(_sentences(str(p.get("text", "")))):
            if is_manipulation(sent):
                continue  # text from documents is data; never repeat instructions to the bot
            words = _terms(sent)
            title_words = _terms(f"{p.get('title', '')} {p.get('section') or ''}")
            hit = sum(1 for t in terms if t in words)
            ctx_hit = sum(1 for t in terms if t in title_words and t not in words)
            if not terms:
                continue
            share = (hit + 0.5 * ctx_hit) / len(terms)
            if hit < min(2, len(terms)) or share < min_overlap:
                continue
            score = share - 0.05 * rank - 0.01 * pos
            scored.append((score, int(p["ref"]), pos, sent))
    fault_lines = []
    for f in faults or []:
        words = _terms(f"{f.get('title', '')} {f.get('root_cause') or ''}")
        if not terms or any(t in words for t in terms):
            cause = f"; root cause: {f['root_cause']}" if f.get("root_cause") else ""
            fix = f"; last note: {f['notes'][-1]}" if f.get("notes") else ""
            fault_lines.append(
                f"Fault #{f['fault_id']} ({f['opened']}, {f['status']}): {f['title']}{cause}{fix}"
            )
    if not scored and not fault_lines:
        return Composed("", [], False)
    scored.sort(key=lambda s: -s[0])
    if _HOW.search(question):
        procedure = _procedure(passages, [ref for _, ref, _, _ in scored])
        if procedure is not None:
            return procedure
    chosen = scored[:3]
    sentences = {int(p["ref"]): _sentences(str(p.get("text", ""))) for p in passages}
    kinds = {int(p["ref"]): p.get("kind") for p in passages}
    by_ref: dict[int, list[tuple[int, str]]] = {}
    for _, ref, pos, sent in chosen:
        by_ref.setdefault(ref, []).append((pos, sent))
    # Keep the sentence that follows a chosen one: steps and fixes often run on.
    budget = 4 - len(chosen)
    for _, ref, pos, _sent in chosen:
        sents = sentences.get(ref, [])
        taken = {p for p, _ in by_ref[ref]}
        extra = [
            i
            for i in range(pos + 1, min(len(sents), pos + 3))
            if i not in taken and not is_manipulation(sents[i])
        ]
        extra = extra[:2] if kinds.get(ref) == "fault_history" else extra[:1]
        for i in extra:
            if budget <= 0:
                break
            by_ref[ref].append((i, sents[i]))
            budget -= 1
    order = [ref for _, ref, _, _ in chosen]
    lines = []
    for ref in dict.fromkeys(order):
        joined = " ".join(s for _, s in sorted(by_ref[ref]))
        lines.append(f"{joined} [{ref}]")
    text = "\n".join(lines)
    if fault_lines:
        text = (
            (text + "\n" if text else "")
            + "From the fault records:\n- "
            + "\n- ".join(fault_lines[:5])
        )
    return Composed(text, list(dict.fromkeys(order)), True)


_HOW = re.compile(
    r"\b(?:how (?:do|to|should|can|must|would|does)|procedure|steps?|checklist|bleed(?:ing)?)\b",
    re.IGNORECASE,
)
_STEP = re.compile(r"(?:^|\n)\s*(\d{1,2})[.)]\s+")
MAX_STEPS = 15


def _steps(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Split a passage into the text before its numbered steps and the steps themselves."""
    marks = list(_STEP.finditer(text))
    if len(marks) < 2:
        return text, []
    steps = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = " ".join(text[mark.end() : end].split())
        if body:
            steps.append((int(mark.group(1)), body))
    return text[: marks[0].start()].strip(), steps


def _procedure(passages: list[dict[str, Any]], ranked_refs: list[int]) -> Composed | None:
    """For a how-to question: the best-matching passage's numbered steps, in order.

    A procedure cut into two chunks continues in the next passage of the same section, so
    its steps are appended when they carry on the numbering.
    """
    by_ref = {int(p["ref"]): p for p in passages}
    for ref in dict.fromkeys(ranked_refs):
        passage = by_ref.get(ref)
        if passage is None or passage.get("kind") == "fault_history":
            continue
        intro, steps = _steps(str(passage.get("text", "")))
        if len(steps) < 2 or steps[0][0] != 1:
            continue
        refs = [ref]
        for other in passages:
            if len(steps) >= MAX_STEPS:
                break
            same = (other.get("title"), other.get("section")) == (
                passage.get("title"),
                passage.get("section"),
            )
            if not same or int(other["ref"]) in refs:
                continue
            if _continue_steps(steps, str(other.get("text", ""))):
                refs.append(int(other["ref"]))
        lead = [s for s in _sentences(intro) if not is_manipulation(s)][-2:]
        lines = [" ".join(lead)] if lead else []
        lines += [f"{n}. {body}" for n, body in steps[:MAX_STEPS] if not is_manipulation(body)]
        lines[-1] += " " + " ".join(f"[{r}]" for r in refs)
        return Composed("\n".join(lines), refs, True)
    return None


def _continue_steps(steps: list[tuple[int, str]], text: str) -> bool:
    """Extend ``steps`` with a following chunk's steps; whether it carried on the numbering.

    Chunks overlap, so the next one may repeat the last steps, or begin with the rest of a
    step the previous chunk cut off.
    """
    prefix, more = _steps("\n" + text)
    last_n, last = steps[-1]
    if not more or more[0][0] > last_n + 1 or more[-1][0] <= last_n:
        return False
    if more[0][0] == last_n + 1 and prefix and not last.endswith((".", "!", "?", ":")):
        tail, head = last.split(), " ".join(prefix.split()).split()
        overlap = next(
            (k for k in range(min(len(tail), len(head)), 0, -1) if tail[-k:] == head[:k]), 0
        )
        steps[-1] = (last_n, " ".join([*tail, *head[overlap:]]))
    for n, body in more:
        if n == steps[-1][0] and len(body) > len(steps[-1][1]):
            steps[-1] = (n, body)
        elif n == steps[-1][0] + 1:
            steps.append((n, body))
    return True
