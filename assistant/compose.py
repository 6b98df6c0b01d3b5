"""Write answers from retrieved passages: pick the best sentences and cite them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assistant.intents import is_manipulation
from assistant.text import content_tokens
from knowledge import Glossary

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n\s*(?:[-*•]|\d+[.)])\s+|\n{2,}")
_GENERIC_Q = frozenset(
    """procedure steps step checklist manual instruction instructions guide correct normal
    how what which why when where tell show explain find give need know way do doe does did
    done make ok right please pls""".split()  # noqa: SIM905 (a word list reads best as prose)
)


@dataclass(frozen=True, slots=True)
class Composed:
    """An answer and the passage references it cites."""

    text: str
    refs: list[int]
    found: bool


def _stem(tok: str) -> str:
    """Crude stem: 'raise', 'raising' and 'raised' -> 'rais'; 'valve' and 'valves' -> 'valv'."""
    if re.fullmatch(r"[a-z]+\d+s", tok):
        return tok[:-1]  # a model's plural: 'the C32s' -> 'c32'
    for suffix, keep in (("ing", 4), ("ed", 4), ("es", 4), ("er", 5), ("s", 4)):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= keep:
            return tok[: -len(suffix)]
    return tok[:-1] if tok.endswith("e") and len(tok) >= 5 else tok


def _terms(text: str) -> set[str]:
    return {_stem(t) for t in content_tokens(text)}


_DESIGNATOR = re.compile(r"^(?:[a-z]{1,4}\d{1,2}|\d+(?:\.\d+)?)$")


def _is_designator(token: str) -> bool:
    """Whether a question word names a unit ('ME2', 'DG1') rather than a thing ('CO2', 'O2').

    Manuals often write one text for every unit ('ME1 / ME2', 'the main engines'), so a
    unit's number is not asked of an answer; a gas or other glossary term is.
    """
    return bool(_DESIGNATOR.match(token)) and token not in _glossary()


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    return [p for p in parts if len(p) > 3]


_TAG = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
_VALUE = re.compile(r"\d")
_STEP_START = re.compile(r"^\d{1,2}[.)](?:\s|$)")
_GENERIC_HEAD = frozenset({"item", "value", "parameter", "description", "tag", "name", "data"})


def _is_cell(block: str) -> bool:
    """Whether a block is a table cell: short, one line, not a sentence."""
    return len(block) <= 160 and "\n" not in block and not block.rstrip().endswith((".", ":"))


_HEAD_WORDS = frozenset(
    """item value values symptom symptoms cause causes possible remedy action actions parameter
    tag task job jobs equipment interval intervals part parts quantity qty check limit limits
    setting settings description fault alarm shutdown normal unit joint torque notes note
    condition code model serial duty time hours suggested how what where when who by
    frequency type size grade capacity range""".split()  # noqa: SIM905
)
_HEADS = frozenset(
    """item value symptom cause remedy action parameter tag task interval part quantity check
    limit setting description fault alarm unit""".split()  # noqa: SIM905
)


def _tabular(cells: list[str]) -> bool:
    """Whether short blocks are a table (tags, values or a header), not a bare list."""
    head = cells[0].lower().split()
    return bool(head and head[0] in _HEADS) or any(
        _TAG.search(c) or _VALUE.search(c) for c in cells
    )


def _shape(cell: str) -> str:
    """Return a cell's look: numbers as 9, runs of words as a ('2000 h' -> '9 a')."""
    t = re.sub(r"[A-Za-z]+(?:[-'/][A-Za-z]+)*", "a", re.sub(r"\d+(?:[.,]\d+)*", "9", cell))
    return re.sub(r"a(?:[ ,]+a)+", "a", t)


def _columns(cells: list[str]) -> int:
    """Guess a flattened table's column count: the period at which cells look alike."""
    shapes = [_shape(c) for c in cells]

    def alike(width: int) -> float:
        pairs = len(shapes) - width
        return sum(shapes[i] == shapes[i + width] for i in range(pairs)) / pairs if pairs else 0.0

    # The smallest width about as regular as the best (multiples of it are regular too);
    # two columns unless another is clearly more regular: key-value tables are the common
    # case, and text-only cells all look alike.
    scores = {w: alike(w) for w in range(2, max(2, min(8, len(cells) // 2)) + 1)}
    top = max(scores.values())
    width = min(w for w, v in scores.items() if v >= top - 0.1)
    return width if width == 2 or scores[width] >= scores[2] + 0.2 else 2


def _rows(cells: list[str]) -> list[tuple[str, str, str]]:
    """Read a table flattened into cells back as rows: 'key: header value; header value'.

    Each row comes with its cells' own words and, apart, the column headers it borrows.
    """
    # A header row of column words ('Job', 'Equipment', 'Interval') sets the width; its
    # first cell may name the rows' subject instead ('Purifier', 'Code', 'Model').
    first_word = cells[0].split()[0].lower() if cells and cells[0].split() else ""
    named = 1 if len(cells[0].split()) <= 2 and not _VALUE.search(cells[0]) else 0
    if first_word in _HEAD_WORDS:
        named = 1
    while named < len(cells) and len(cells[named].split()) <= 4:
        word = re.sub(r"[^a-z]", "", cells[named].split()[0].lower()) if cells[named] else ""
        if word not in _HEAD_WORDS:
            break
        named += 1
    head: list[str] = []
    if named >= 2 and len(cells) > named:
        width, head, cells = named, cells[:named], cells[named:]
    else:
        width = _columns(cells)
        first = cells[:width]
        plain = not any(_TAG.search(c) or _VALUE.search(c) for c in first[1:])
        if len(cells) > width and plain and not _TAG.search(first[0]):
            head, cells = first, cells[width:]
    rows: list[tuple[str, str, str]] = []
    for i in range(0, len(cells), width):
        row = cells[i : i + width]
        if len(row) < 2:
            rows += [(c, c, "") for c in row]
            continue
        if len(row) < width:
            break  # the passage ends mid-row; the next one holds the rest
        parts = []
        for j, value in enumerate(row[1:], start=1):
            label = head[j].strip() if j < len(head) else ""
            labelled = bool(label) and label.lower() not in _GENERIC_HEAD
            parts.append(f"{label.lower()} {value}" if labelled else value)
        rows.append((f"{row[0]}: {'; '.join(parts)}.", " ".join(row), " ".join(head)))
    return rows


Unit = tuple[str, bool, str, str]
"""An answer unit: what is quoted, whether it is a table row, its own words, its headers."""


_WRAP_WIDTH = 70
"""A line at least this long that stops without ending its sentence was wrapped by the page."""


def _wrapped(before: str, block: str) -> bool:
    """Whether ``block`` carries on the sentence the last line of ``before`` left open.

    The PDF reader keeps a page's line breaks, so a step ('8. Record the time of release.
    Do not open the engine room for at least the time decided by the master') may stop
    mid-sentence, its rest ('(normally at least 2 hours) ...') in the next block.
    """
    last = before.rsplit("\n", 1)[-1].rstrip()
    return (
        len(last) >= _WRAP_WIDTH
        and not last.endswith((".", "!", "?", ":", ";"))
        and not _STEP_START.match(block)
        and not block.startswith(("-", "*", "•"))
    )


def _units(passage: dict[str, Any]) -> list[Unit]:
    """Split a passage into answer units: prose sentences, and table rows read as rows.

    A passage opens with its section path ('6 Cooling water system > 6.1 ...'), which is
    not part of an answer; tables come flattened one cell per block and are put back into
    rows so that a value stays with what it is the value of. Each unit says if it is a row.
    """
    text = str(passage.get("text", ""))
    section = str(passage.get("section") or "")
    prefix = f"{section.strip()}: " if section.strip() else ""
    if prefix and any(line.startswith(prefix) for line in text.split("\n")):
        # Table rows come one a line, each led by its section path ('6.1 ...: Item | Value: ..').
        units: list[Unit] = []
        prose: list[str] = []
        for line in [*text.split("\n"), ""]:
            if line.startswith(prefix) or not line:
                if prose:
                    units += _units({**passage, "text": "\n".join(prose)})
                    prose = []
                if line:
                    body = line[len(prefix) :].strip()
                    units.append((body, True, body, ""))
            else:
                prose.append(line)
        return units
    lines = text.split("\n", 1)
    if lines and (" > " in lines[0] or (section and lines[0].strip() == section.strip())):
        text = lines[1] if len(lines) > 1 else ""
    blocks: list[str] = []
    for block in (b.strip() for b in re.split(r"\n\s*\n", text)):
        if not block:
            continue
        if blocks and (blocks[-1].count("(") > blocks[-1].count(")") or blocks[-1].endswith("/")):
            blocks[-1] = f"{blocks[-1]} {block}"  # a cell the page layout wrapped
        elif blocks and _wrapped(blocks[-1], block):
            blocks[-1] = f"{blocks[-1]} {block}"  # a sentence the page layout wrapped
        else:
            blocks.append(block)
    units = []
    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and _is_cell(blocks[j]) and not _STEP_START.match(blocks[j]):
            j += 1
        if j - i >= 4 and len(blocks[i].split()) >= 7:
            # A line of prose that lost its full stop just before a table.
            units += [(sent, False, sent, "") for sent in _sentences(blocks[i])]
            i += 1
            continue
        if j - i >= 4 and _tabular(blocks[i:j]):
            units += [(row, True, body, head) for row, body, head in _rows(blocks[i:j])]
            i = j
            continue
        end = max(j, i + 1)
        for block in blocks[i:end]:
            units += [(sent, False, sent, "") for sent in _sentences(block)]
        i = end
    return units


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    ref: int
    pos: int
    text: str
    hits: frozenset[str]
    heading: frozenset[str] = frozenset()
    """Question words met only by the unit's heading (the section it sits under)."""


_PREFIX = 5
"""Shorthand meets a word when they share this many first letters and differ only past the
shorter one's last letter ('prelube' and 'prelubrication', 'disch' and 'discharge')."""
_MEASURED = re.compile(r"\d\s?(?:%|°|[a-zA-Zµ]{1,8}\b)")
"""A number with a unit ('20 min', '8 %', '110 Nm'): a unit that states a value."""
_VALUE_BONUS = 0.1
_KIND_BONUS = 0.2
"""A unit stating the kind of value the question asks for ('how long' -> '20 min')."""
_TIME = r"\d\s?(?:s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?|weeks?|months?)\b"


@dataclass(frozen=True, slots=True)
class _Kind:
    """A kind of value a question asks for, and how a unit of an answer states it."""

    ask: re.Pattern[str]
    """How the question asks ('how long', 'what pressure')."""
    unit: re.Pattern[str]
    """How a unit states such a value ('20 min', '200 bar')."""
    spent: frozenset[str] = frozenset()
    """Question words that then carry no subject ('long', 'take')."""


def _kind(ask: str, unit: str, spent: str = "") -> _Kind:
    return _Kind(
        re.compile(ask, re.IGNORECASE),
        re.compile(unit, re.IGNORECASE),
        frozenset(spent.split()),
    )


def _asks(kind: _Kind, question: str) -> bool:
    """Whether a question asks for a value of this kind.

    'how long ..' always does; a question naming the quantity while giving a value of it
    ('BT1 winding temp 128C what do i check') asks what to do about that value.
    """
    found = kind.ask.search(question)
    if found is None:
        return False
    return found.group().lower().startswith("how") or not kind.unit.search(question)


_ASKED_KINDS: tuple[_Kind, ...] = (
    _kind(r"\bhow long\b|\bduration\b", _TIME, "long take"),
    _kind(
        r"\bhow often\b|\binterval\b|\bfrequency\b",
        _TIME + r"|\b(?:daily|weekly|monthly|yearly|annually|every)\b",
        "often",
    ),
    _kind(r"\bhow far\b|\bdistance\b", r"\d\s?(?:m|mm|cm|metres?|meters?)\b", "far"),
    _kind(
        r"\bhow much\b|\bqty\b|\bquantity\b|\bcapacity\b|\bvolume\b",
        r"\d\s?(?:l|litres?|liters?|kg|m3|m³)\b",
        "much qty quantity",
    ),
    _kind(
        r"\bpress(?:ure)?s?\b",
        r"\d\s?(?:bar|kpa|mpa|psi)\b",
    ),
    _kind(
        r"\btemps?\b|\btemperatures?\b",
        r"\d\s?(?:°\s?c|deg\s?c|degc|c)\b|\d\s?°",
    ),
    _kind(r"\bspeed\b|\brpm\b|\brevs\b", r"\d\s?rpm\b"),
    _kind(r"\btorque\b|\btightening\b", r"\d\s?(?:nm|kgm|kg ?m)\b"),
    _kind(r"\bpower\b|\boutput\b|\brating\b", r"\d\s?(?:kw|mw|kwe|kva|hp)\b"),
    _kind(r"\bvoltage\b|\bvolts?\b", r"\d\s?(?:v|kv)\b"),
    _kind(r"\bfineness\b|\bmicrons?\b|\bmesh\b", r"\d\s?(?:µm|um|microns?)\b"),
    _kind(
        r"\bsettings?\b|\bset ?points?\b|\blimits?\b",
        r"\d\s?(?:%|°|[a-zA-Zµ]{1,6}\b)",
    ),
)
_HEADING_WEIGHT = 0.75
"""A question word found only in the unit's section heading counts this much: a sentence
under '6.4 Emergency fire pump' saying 'Its discharge pressure ...' is about that pump."""


@lru_cache(maxsize=1)
def _glossary() -> dict[str, tuple[str, ...]]:
    """Return crew terms (one word) with the words of what the manuals call them."""
    out: dict[str, tuple[str, ...]] = {}
    for key, term in Glossary.shipped().terms.items():
        if " " not in key:
            words = {_stem(w) for e in term.expansions for w in content_tokens(e)}
            out[key] = tuple(sorted(words))
    return out


def _alternatives(token: str) -> frozenset[str]:
    """Return a question word with what a manual may write instead (glossary expansions)."""
    return frozenset({_stem(token), *_glossary().get(token, ())})


def _meets(alts: frozenset[str], words: set[str]) -> bool:
    if alts & words:
        return True
    for a in alts:
        if len(a) < _PREFIX:
            continue
        for w in words:
            n = min(len(a), len(w))
            if n >= _PREFIX and w[: n - 1] == a[: n - 1] and w[:_PREFIX] == a[:_PREFIX]:
                return True
    return False


def _key(row: str) -> str:
    """Return a table row's first cell, the name of what the row states."""
    return re.split(r"\s\|\s|:\s", row, maxsplit=1)[0]


def _score(question: str, passages: list[dict[str, Any]], min_overlap: float) -> list[_Scored]:
    """Score every sentence of the passages against the question's content words.

    A word meets its glossary expansions ('ER' the engine room) and shorthand sharing its
    first letters ('prelube'); a unit stating a measured value scores a little higher, as
    manual questions mostly ask for one (procedures are answered apart, see ``_procedure``).
    """
    raw = [t for t in dict.fromkeys(content_tokens(question)) if not _is_designator(t)]
    asked = [k for k in _ASKED_KINDS if _asks(k, question)]
    spent = frozenset().union(*(k.spent for k in asked))
    kept = [t for t in raw if t not in _GENERIC_Q and t not in spent] or raw
    alts = {_stem(t): _alternatives(t) for t in kept}
    terms = list(alts)
    if not terms:
        return []
    need = min(2, len(terms))
    scored: list[_Scored] = []
    for rank, p in enumerate(passages):
        title_words = _terms(f"{p.get('title', '')} {p.get('section') or ''}")
        for pos, (sent, _row, body, head) in enumerate(_units(p)):
            if is_manipulation(sent):
                continue  # text from documents is data; never repeat instructions to the bot
            words = _terms(f"{body} {head}")  # a row says what its column headers name
            plain = _TAG.sub("", body)
            stated = [k for k in asked if k.unit.search(plain)]
            if _row and any(k.ask.search(_key(body)) for k in stated):
                stated.append(stated[0])  # the row named by the kind asked ('Quantity | ...')
            hits = frozenset(t for t in terms if _meets(alts[t], words))
            heading = frozenset(t for t in terms if t not in hits and _meets(alts[t], title_words))
            ctx_hit = len(heading)
            share = (len(hits) + _HEADING_WEIGHT * ctx_hit) / len(terms)
            # A sentence under a matching heading answers with the heading's words too,
            # and states what was asked even without them ('Estimated time 3 hours.').
            if not (hits or (stated and ctx_hit >= need)):
                continue
            if len(hits) + ctx_hit < need or share < min_overlap:
                continue
            bonus = _VALUE_BONUS if _MEASURED.search(plain) else 0.0
            bonus += _KIND_BONUS * min(len(stated), 2)
            score = share + bonus - 0.05 * rank - 0.01 * pos
            scored.append(_Scored(score, int(p["ref"]), pos, sent, hits, heading))
    scored.sort(key=lambda s: -s.score)
    return scored


def _headed(question: str, passages: list[dict[str, Any]]) -> list[int]:
    """Passages whose own heading names the task asked about, the best named first.

    'how to raise the azi' is the procedure under '6.3 Raising the azimuth thruster', not
    another procedure whose steps happen to say 'raise it': the heading (last part of the
    section path) must meet at least two of the question's words, glossary and shorthand
    included, or all of them when it asks with one.
    """
    raw = [t for t in dict.fromkeys(content_tokens(question)) if t not in _GENERIC_Q]
    alts = [_alternatives(t) for t in raw]
    need = min(2, len(alts))
    ranked: list[tuple[int, int]] = []
    for rank, p in enumerate(passages):
        words = _terms(str(p.get("section") or "").split(" > ")[-1])
        met = sum(_meets(a, words) for a in alts)
        if alts and met >= need:
            ranked.append((-met, rank))
    return [int(passages[rank]["ref"]) for _, rank in sorted(ranked)]


def compose_answer(question: str, passages: list[dict[str, Any]], min_overlap: float) -> Composed:
    """Answer from the best passage (and a second one only where it adds what is asked).

    The reply quotes the best-matching sentences of the most relevant passage in their
    order, with the sentence that follows the best one (steps and fixes run on); another
    passage is quoted only when it answers part of the question the first does not.
    References are listed best first.
    """
    scored = _score(question, passages, min_overlap)
    if not scored:
        return Composed("", [], False)
    if _HOW.search(question):
        procedure = _procedure(passages, _headed(question, passages) + [s.ref for s in scored])
        if procedure is not None:
            return procedure
    top = scored[0]
    units = {int(p["ref"]): _units(p) for p in passages}
    kinds = {int(p["ref"]): p.get("kind") for p in passages}

    def near(s: _Scored) -> bool:
        # Another row of a table is another item: only when it matches nearly as well.
        unit = units.get(s.ref, [])
        is_row = s.pos < len(unit) and unit[s.pos][1]
        return s.score >= (0.85 if is_row else 0.6) * top.score

    main = [s for s in scored if s.ref == top.ref and (s is top or near(s))][:3]
    # what the first passage's heading says ('... for the purifiers') it does not lack
    covered = set().union(*(s.hits | s.heading for s in main))
    chosen: dict[int, dict[int, str]] = {top.ref: {s.pos: s.text for s in main}}
    for s in scored:
        if s.ref != top.ref and s.score >= 0.75 * top.score and s.hits - covered:
            chosen[s.ref] = {s.pos: s.text}
            covered |= s.hits
            break
    run_on = 2 if kinds.get(top.ref) == "fault_history" else 1
    sents = units.get(top.ref, [])
    for i in range(top.pos + 1, min(len(sents), top.pos + 1 + run_on)):
        sent, row = sents[i][0], sents[i][1]
        if row or sents[top.pos][1] or len(chosen[top.ref]) >= 4 or is_manipulation(sent):
            break  # the next table row is another item, not the rest of this one
        chosen[top.ref].setdefault(i, sent)
    asked = _terms(question)
    by_ref = {int(p["ref"]): p for p in passages}
    quotes: dict[int, str] = {}
    for ref, by_pos in chosen.items():
        quoted = " ".join(t for _, t in sorted(by_pos.items()))
        head = _valued_heading(by_ref.get(ref, {}))
        if head and asked & _terms(head) and head not in quoted:
            quoted = f"{head}: {quoted}"  # '7.2 Major service (8000 h)' carries the value
        quotes[ref] = quoted
    merged = _merge_neighbours(quotes, by_ref)
    lines = [f"{quoted} [{ref}]" for ref, quoted in merged]
    return Composed("\n".join(lines), [ref for ref, _ in merged], True)


def _place(passage: dict[str, Any]) -> tuple[object, object, object]:
    """Return where a passage sits for citing: (document, page, section)."""
    doc = passage.get("document_id", passage.get("title"))
    return doc, passage.get("page"), passage.get("section")


def _merge_neighbours(
    quotes: dict[int, str], by_ref: dict[int, dict[str, Any]]
) -> list[tuple[int, str]]:
    """Join quotes of neighbouring chunks of one page and section into one cited quote.

    ``quotes`` runs best first; a quote from the chunk just before or after one already
    kept, on the same (document, page, section), joins it in the document's order under the
    kept quote's reference: one citation for what the page says.
    """
    groups: list[tuple[int, dict[int, str]]] = []
    for ref, quoted in quotes.items():
        passage = by_ref.get(ref, {})
        ordinal = passage.get("ordinal")
        group = None
        if isinstance(ordinal, int):
            group = next(
                (
                    parts
                    for lead, parts in groups
                    if _place(by_ref.get(lead, {})) == _place(passage)
                    and any(abs(o - ordinal) == 1 for o in parts)
                ),
                None,
            )
        if group is not None and isinstance(ordinal, int):
            group[ordinal] = quoted
        else:
            groups.append((ref, {ordinal if isinstance(ordinal, int) else 0: quoted}))
    out = []
    for lead, parts in groups:
        kept: list[str] = []
        for _, quoted in sorted(parts.items()):
            head = quoted.split(": ", 1)[0] + ": " if ": " in quoted else ""
            if kept and head and all(k.startswith(head) for k in kept):
                quoted = quoted[len(head) :]  # one heading leads the joined quote
            if not any(quoted in k for k in kept):  # chunks overlap: say a sentence once
                kept = [k for k in kept if k not in quoted] + [quoted]
        out.append((lead, " ".join(kept)))
    return out


def _valued_heading(passage: dict[str, Any]) -> str | None:
    """Return the passage's own heading when it states a value ('Major service (8000 h)')."""
    last = str(passage.get("section") or "").split(" > ")[-1].strip()
    last = re.sub(r"^\d+(?:\.\d+)*\s+", "", last)
    return last if re.search(r"\d", last) and len(last.split()) >= 2 else None


def _fault_line(f: dict[str, Any]) -> str:
    eq = f" {f.get('equipment')} {f.get('equipment_name')}".rstrip() if f.get("equipment") else ""
    line = f"{f['opened']},{eq}: {f['title']}"
    symptom = str(f.get("symptom") or "")
    if symptom and not symptom.lower().startswith(str(f["title"]).lower()[:30]):
        line += f" ({symptom})"
    if f.get("root_cause"):
        line += f". Cause: {f['root_cause']}"
    if f.get("fix"):
        line += f". Fix: {f['fix']}"
    if f.get("hours"):
        line += f" ({f['hours']:g} h)"
    return f"{line} [fault #{f['fault_id']}, {f['status']}]"


def compose_history(
    question: str, records: dict[str, Any], passages: list[dict[str, Any]], min_overlap: float
) -> Composed:
    """Summarise the faults a history question is about; documents only when records are silent.

    ``records`` is the fault-history tool's data: ``faults`` (date, symptom, cause, fix,
    hours each), whether they ``matched`` the question, the ``events`` asked about and the
    equipment ``scope``.
    """
    found = list(records.get("faults") or [])
    totals = _totals_line(records)
    if found and records.get("matched"):
        lines = ["From the fault records, most relevant and most recent first:"]
        lines += [f"- {_fault_line(f)}" for f in found]
        return Composed("\n".join([*lines, *totals]), [], True)
    from_docs = compose_answer(question, passages, min_overlap)
    if from_docs.found:
        return Composed("\n".join([from_docs.text, *totals]), from_docs.refs, True)
    if found:
        what = " or ".join(records.get("events") or []) or "matching fault"
        scope = records.get("scope") or "it"
        lines = [f"No {what} on record for {scope}. Its latest faults:"]
        lines += [f"- {_fault_line(f)}" for f in found]
        return Composed("\n".join([*lines, *totals]), [], True)
    return Composed("", [], False)


def _totals_line(records: dict[str, Any]) -> list[str]:
    """One line on the whole history of the item asked about: count, since, time to fix."""
    totals = records.get("totals")
    if not isinstance(totals, dict) or not totals.get("faults") or not records.get("scope"):
        return []
    n = int(totals["faults"])
    faults = f"{n} fault{'s' if n != 1 else ''}"
    line = f"In all, {faults} on record for {records['scope']} since {totals['since']}"
    mean = totals.get("mean_hours_to_fix")
    if mean is not None:
        line += f"; from report to repair {mean:g} h on average ({totals['resolved']} resolved)"
    return [line + "."]


_HOW = re.compile(
    r"\b(?:how (?:do|to|should|can|must|would|does)|procedure|steps?|checklist|bleed(?:ing)?)\b|"
    # "JW temp high, what should i check": the section's checks, in their order
    r"\bwhat (?:should|do|shall|must|can|to) (?:i |we )?(?:check|do|look (?:at|for)|inspect|"
    r"try)\b|\bwhat to (?:check|do|look for)\b|\btroubleshoot\w*|\bfault[- ]?find\w*",
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
