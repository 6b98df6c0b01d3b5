"""Multi-turn context for questions: turn an elliptical follow-up into a standalone message.

Crews write follow-ups that only make sense with the previous turn: "and DG3" (same question,
other equipment), "i meant ME1" / "no the FO one" (a correction of a question), "how much
oil" / "how long did they take to fix" (a new ask about the same subject), "and the
shutdown" (same subject, another attribute). ``follow_up`` reads the new message against
what the previous turn asked and resolved (``Previous``, kept in the conversation state) and
returns the standalone message with the equipment it is about, or None when the message
stands on its own. The signals are structural: whether the message names equipment that
resolves in the register (``RegisterIndex``), whether all it says is equipment, whether it
opens with a connector or a correction, refers back with a pronoun, ends on a dangling word,
or is too short to carry a subject. Only closed-class words (connectors, pronouns, question
words) are listed here; equipment comes from the register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from assistant.equipment import RegisterIndex, Resolution
from assistant.intents import recognise
from assistant.text import STOPWORDS, canonical_tokens

STATE_KEY = "context"
"""Key of the previous turn's record in a conversation's dialogue state."""

WINDOW = timedelta(minutes=30)
"""A follow-up must come within this time of the turn it continues."""

CARRY_OUTCOMES = frozenset({"answer", "nothing_found", "clarify"})
"""Outcomes of a previous turn whose subject a follow-up may continue (questions, topics)."""
ASK_AFTER = frozenset({"proposed"})
"""Outcomes after which only a question about the same subject continues it ('what's the
alarm setpoint' after a fault proposal): never another equipment or attribute."""

FollowKind = Literal["equipment", "attribute", "ask"]

# Closed-class words: how a follow-up opens, corrects, refers back or trails off.
_CONNECTOR = re.compile(
    r"^(?:ok(?:ay)?|so|and|n|&|also|plus|then|what about|how about|same for|same question for|"
    r"same (?:thing )?for|what of)\b[\s,.:-]*",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"^(?:no|nope|nah|sorry|oops|actually|wait|i meant|i mean|meant|not that(?: one)?|"
    r"wrong one|i said|it'?s|it is|should be|make it|rather)\b[\s,.:-]*",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\bnot\s+(?:the\s+)?[\w/.-]+(?:\s+\d\b)?\s*,?", re.IGNORECASE)
_RECORD = re.compile(
    r"\b(?:w\.?o\.?s?|work ?orders?|jobs?|faults?|defects?|tasks?|tickets?)\s*"
    r"(?:no\.?|nr|number|#)?\s*#?\d+\b",
    re.IGNORECASE,
)
_QUESTION_WORDS = frozenset(
    "how what whats which when why where who is are does do did can could should any".split()  # noqa: SIM905
)
_WH = frozenset("how what whats which when why where who".split())  # noqa: SIM905
_QUANTIFIERS = frozenset("both each every either".split())  # noqa: SIM905
_ANAPHORA = frozenset("it its they them their those these that this same".split())  # noqa: SIM905
_DANGLING = frozenset("after before inside then too also instead there one ones".split())  # noqa: SIM905
_FILLER = frozenset("one ones only just pls please side instead either then ok okay".split())  # noqa: SIM905
_SIDES = frozenset({"port", "stbd", "forward", "aft"})
_WORD = re.compile(r"[^\s,;!?]+")
_SHORT = 3
"""A question of at most this many content words carries no subject of its own."""
_ANAPHORA_SHORT = 4
"""A pronoun refers back only in a short message ('how long did they take to fix'); in a
longer one it refers inside it ('EG wont start, how do i start it by hand')."""
_BARE_NOTE = re.compile(r"^\s*(?:add (?:a )?)?note\s*[:-]\s*(?P<n>\S.*)$", re.IGNORECASE)
"""A note that names no record ("add note: waiting for parts")."""
_STANDALONE = frozenset({"smalltalk", "refuse", "update_work_order"})
"""Recognised kinds that never continue a previous question."""
_COMPLETE_KINDS = frozenset({"report_fault", "create_work_order", "list_open", "part_stock"})
"""Kinds whose short messages stand alone ("list open jobs", "rimula stock"): a short message
of any other kind (a question, or one not recognised) needs the previous subject."""


@dataclass(frozen=True, slots=True)
class Previous:
    """What the previous turn asked and resolved."""

    text: str
    """The message the previous turn handled (its standalone form when it was rewritten)."""
    code: str | None
    """The equipment it resolved, if one."""
    candidates: tuple[str, ...]
    tools: tuple[str, ...]
    outcome: str
    at: datetime

    def to_state(self) -> dict[str, Any]:
        """Return the record as JSON for the conversation state."""
        return {
            "text": self.text,
            "code": self.code,
            "candidates": list(self.candidates),
            "tools": list(self.tools),
            "outcome": self.outcome,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_state(cls, data: object) -> Previous | None:
        """Read the record back from the conversation state (None when absent or malformed)."""
        if not isinstance(data, dict):
            return None
        try:
            at = datetime.fromisoformat(str(data["at"]))
            return cls(
                text=str(data["text"]),
                code=str(data["code"]) if data.get("code") else None,
                candidates=tuple(str(c) for c in data.get("candidates") or ()),
                tools=tuple(str(t) for t in data.get("tools") or ()),
                outcome=str(data["outcome"]),
                at=at if at.tzinfo else at.replace(tzinfo=UTC),
            )
        except (KeyError, ValueError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up made standalone: the message to handle and the equipment it is about."""

    text: str
    equipment: str | None
    kind: FollowKind
    """equipment: same ask, other equipment; attribute: same subject, other attribute;
    ask: a new ask about the previous subject."""


def remember(
    text: str,
    code: str | None,
    candidates: tuple[str, ...],
    tools: tuple[str, ...],
    outcome: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the state record of a finished turn, for the next turn's ``follow_up``."""
    return Previous(text, code, candidates, tools, outcome, now or datetime.now(UTC)).to_state()


def follow_up(
    index: RegisterIndex, prev: Previous | None, text: str, now: datetime | None = None
) -> FollowUp | None:
    """Return the standalone form of an elliptical follow-up, or None for a complete message."""
    if prev is None or not _continues(prev, now or datetime.now(UTC)):
        return None
    if _RECORD.search(text):
        return None
    note = _BARE_NOTE.match(text)
    if note and prev.code and prev.outcome in CARRY_OUTCOMES:
        # "the OWS job" -> "add note: waiting for the OCM cell": the note is for that record
        return FollowUp(f"add note to {prev.text.rstrip(' ?.!')}: {note['n']}", prev.code, "ask")
    core, connector, correction = _strip_openers(text)
    tokens = canonical_tokens(core)
    content = [t for t in tokens if t not in STOPWORDS]
    if not content or content[0] in _QUANTIFIERS:
        return None  # "both", "all of them": an answer to a clarification, not a follow-up
    kind = recognise(core).kind
    if kind in _STANDALONE:
        return None
    res = index.resolve(core)
    asks = _asks(core, text)
    if (
        prev.outcome in CARRY_OUTCOMES
        and (connector or correction or not _WH & set(tokens))
        and _only_equipment(index, core, res)
    ):
        found = _other_equipment(index, prev, core, connector or correction)
        if found is not None:
            return found
    if prev.outcome in ASK_AFTER and not (asks and not correction):
        return None
    narrowed = None
    if res.code is not None:
        return None  # its own equipment makes a message complete
    if res.candidates:
        # One of several items: complete unless exactly one of them sits under the previous
        # equipment ("the turbo" after DG1).
        narrowed = _narrow_candidates(index, prev.code, res)
        if narrowed is None:
            return None
    if connector and not asks and narrowed is None and prev.outcome in CARRY_OUTCOMES:
        return FollowUp(_swap_attribute(prev.text, core, prev, index), prev.code, "attribute")
    # After a bare topic ("emcy genny" -> "What about it?") a short message of any kind is
    # about it; otherwise only a short question, or one that opens with a connector, refers
    # back ("they", "its") or trails off ("once inside", "after").
    topic = prev.outcome == "clarify" and not prev.candidates
    strong = (
        connector
        or (bool(_ANAPHORA & set(canonical_tokens(text))) and len(content) <= _ANAPHORA_SHORT)
        or tokens[-1] in _DANGLING
    )
    weak = len(content) <= _SHORT and (topic or kind not in _COMPLETE_KINDS)
    # a question right after a bare topic is about that topic, however long it is
    if not (strong or weak or (topic and asks and kind not in _COMPLETE_KINDS)):
        return None
    subject = _subject(index, prev)
    standalone = f"{core.rstrip(' ?.!')} {subject}".strip()
    if text.rstrip().endswith("?") or _WH & set(tokens):
        standalone += "?"  # "prelube for how long" asks, wherever its question word stands
    return FollowUp(standalone, narrowed or prev.code, "ask")


# --- the previous turn ---------------------------------------------------------------------


def _continues(prev: Previous, now: datetime) -> bool:
    """Whether the previous turn was a question or topic recent enough to continue."""
    if prev.outcome not in CARRY_OUTCOMES | ASK_AFTER:
        return False
    if not prev.tools and prev.outcome != "clarify":  # a bare topic asked about needs no tool
        return False
    if now - prev.at > WINDOW:
        return False
    if recognise(prev.text).kind in ("smalltalk", "refuse"):
        return False
    return bool([t for t in canonical_tokens(prev.text) if t not in STOPWORDS])


def _strip_openers(text: str) -> tuple[str, bool, bool]:
    """Remove leading connectors and corrections and negated mentions ('not ME2,')."""
    core = " ".join(text.split())
    connector = correction = False
    while True:
        m = _CONNECTOR.match(core)
        if m and m.end() > 0:
            core, connector = core[m.end() :], True
            continue
        m = _CORRECTION.match(core)
        if m and m.end() > 0:
            core, correction = core[m.end() :], True
            continue
        break
    if correction or connector:
        core = _NEGATED.sub(" ", core)
    return " ".join(core.split()).strip(" ,.;:-"), connector, correction


def _asks(core: str, text: str) -> bool:
    """Whether a message asks something itself (a question word or a question mark)."""
    tokens = canonical_tokens(core)
    return bool(tokens and tokens[0] in _QUESTION_WORDS) or text.rstrip().endswith("?")


_VOCAB_CACHE: dict[int, frozenset[str]] = {}


def _register_words(index: RegisterIndex) -> frozenset[str]:
    """Every canonical word of the register's names and aliases (digits and sides too)."""
    key = id(index)
    words = _VOCAB_CACHE.get(key)
    if words is None:
        words = frozenset(t for toks, _code, _phrase, _core in index.variants for t in toks)
        if len(_VOCAB_CACHE) > 64:
            _VOCAB_CACHE.clear()
        _VOCAB_CACHE[key] = words
    return words


# --- same ask, other equipment ---------------------------------------------------------------


def _narrow(index: RegisterIndex, prev: str | None, core: str) -> str | None:
    """Return a code below the previous equipment that the message picks ('just the governor')."""
    if prev is None or prev not in index.items:
        return None
    narrowed = _narrow_candidates(index, prev, index.resolve(core))
    if narrowed is None:
        children = index.children.get(prev, [])
        narrowed = index.choose_among(core, children) if children else None
    return narrowed if narrowed and narrowed != prev else None


def _narrow_candidates(index: RegisterIndex, prev: str | None, res: Resolution) -> str | None:
    """Return the one item the message names that sits under the previous equipment."""
    if prev is None or prev not in index.items:
        return None
    named = (res.code,) if res.code else res.candidates
    under = [c for c in named if c != prev and index.is_under(c, prev)]
    return under[0] if len(under) == 1 else None


def _only_equipment(index: RegisterIndex, core: str, res: Resolution) -> bool:
    """Whether all a message says is equipment ('DG3', 'the FO one', 'hose crane only')."""
    words = _WORD.findall(core)
    if res.code is None and not res.candidates:
        content = [t for t in canonical_tokens(core) if t not in STOPWORDS and t not in _FILLER]
        vocab = _register_words(index)
        return 0 < len(content) <= 2 and all(t in vocab for t in content)
    named = set(_mentioned(res))
    if named:
        return all(_tokens(w) <= named for w in words)
    rest = [
        w
        for i, w in enumerate(words)
        if _tokens(w) and _names(index.resolve(" ".join(words[:i] + words[i + 1 :]))) == _names(res)
    ]
    return not rest


def _names(res: Resolution) -> tuple[str, ...]:
    return (res.code,) if res.code else res.candidates


def _mentioned(res: Resolution) -> list[str]:
    """Return the canonical words of the register names a resolution matched."""
    return [t for m in res.mentions for t in m.split() if not m.startswith("(")]


def _tokens(word: str) -> set[str]:
    """Return a word's canonical content tokens (none for 'the', 'pls', 'one')."""
    return {t for t in canonical_tokens(word) if t not in STOPWORDS and t not in _FILLER}


def _other_equipment(
    index: RegisterIndex, prev: Previous, core: str, marked: bool
) -> FollowUp | None:
    """'and DG3', 'i meant ME1', 'no the FO one': the previous ask about other equipment."""
    words = _WORD.findall(prev.text)
    mention = _mention(index, words, prev.code) if prev.code else []
    frag = [w for w in _WORD.findall(core) if _is_content(w)]
    res = index.resolve(core)
    code = _narrow(index, prev.code, core)
    if code is None and prev.code is None and prev.candidates:
        # The previous turn offered candidates: pick among them or leave it to the question.
        code = index.choose_among(core, [c for c in prev.candidates if c in index.items])
        if code is None and prev.outcome == "clarify":
            return None
    if code is None and prev.code and mention:
        code = _by_replacement(index, words, mention, frag, prev.code)
    if code is None and res.code is not None:
        code = res.code
        if (
            prev.code in index.items
            and not index.is_under(code, prev.code)
            and not index.needs_choice(code)
        ):
            code = index.analogue(str(prev.code), code)  # ME2 fuel filter + ME1: ME1's
    if code is None:
        if not marked or not frag:
            return None
        # No single item: put the new words where the old ones were and let routing ask,
        # keeping the old noun when a swap of one word names items ("FO purifier" + "the LO
        # one": "LO purifier", which the LO purifiers answer to).
        if mention:
            lo, hi = min(mention), max(mention)
            text = " ".join([*words[:lo], *frag, *words[hi + 1 :]])
            for i in dict.fromkeys([*_alike(words, mention, frag), *mention]):
                trial = " ".join([*words[:i], *frag, *words[i + 1 :]])
                if index.resolve(trial).candidates:
                    text = trial
                    break
        else:
            text = _swap_attribute(prev.text, core, prev, index)
        return FollowUp(text, None, "equipment")
    if code == prev.code:
        return None
    if mention:
        text = _rewrite_mention(index, words, mention, frag, code)
    else:
        text = f"{prev.text.rstrip(' ?.!')} {' '.join(frag)}"
    if prev.text.rstrip().endswith("?") and not text.endswith("?"):
        text += "?"
    return FollowUp(text, code, "equipment")


def _mention(index: RegisterIndex, words: list[str], code: str | None) -> list[int]:
    """Return the positions of the words that name ``code`` in a text."""
    res = index.resolve(" ".join(words))
    if code is None or res.code != code:
        return []
    named = set(_mentioned(res))
    if named:
        return [i for i, w in enumerate(words) if _tokens(w) and _tokens(w) <= named]
    out = []  # no names matched as such ('the genny'): the words whose removal changes it
    for i in range(len(words)):
        rest = " ".join(words[:i] + words[i + 1 :])
        if index.resolve(rest).code != code:
            out.append(i)
    return out


def _by_replacement(
    index: RegisterIndex, words: list[str], mention: list[int], frag: list[str], prev: str
) -> str | None:
    """Swap one word of the old mention, or next to it, for the new words ('LO' -> 'FO')."""
    if not frag:
        return None
    new = set(canonical_tokens(" ".join(frag)))
    lo, hi = _span(words, mention)
    alike = _alike(words, [*mention, *range(lo, hi + 1)], frag)
    order = [*alike, *mention, *range(lo, hi + 1)]
    for i in dict.fromkeys(order):
        for keep_digits in (True, False):
            trial = [*words[:i], *frag, *words[i + 1 :]]
            if not keep_digits:
                trial = [w for j, w in enumerate(trial) if not (w.isdigit() and j > i)]
            code = index.resolve(" ".join(trial)).code
            if code and code != prev and new <= _lineage_words(index, code):
                return code
    return None


def _alike(words: list[str], positions: list[int], frag: list[str]) -> list[int]:
    """Return the positions holding a word of the same shape as a one-word fragment."""
    new = _tokens(" ".join(frag))
    if len(new) != 1:
        return []
    shape = _shape(next(iter(new)))
    if shape == "word":
        return []
    seen = dict.fromkeys(positions)
    return [i for i in seen if any(_shape(t) == shape for t in _tokens(words[i]))]


def _shape(tok: str) -> str:
    if tok.isdigit():
        return "number"
    if tok in _SIDES:
        return "side"
    return "designator" if re.match(r"^[a-z]{1,4}\d{1,2}$", tok) else "word"


def _lineage_words(index: RegisterIndex, code: str) -> set[str]:
    out: set[str] = set()
    for c in (code, *index.ancestors(code)):
        item = index.items[c]
        for phrase in (item.name, *item.aliases):
            out.update(canonical_tokens(phrase))
    return out


def _rewrite_mention(
    index: RegisterIndex, words: list[str], mention: list[int], frag: list[str], code: str
) -> str:
    """Return the old text with its equipment mention replaced by words resolving to ``code``."""
    lo, hi = min(mention), max(mention)
    item = index.items[code]
    alike = _alike(words, mention, frag)
    options: list[list[str]] = [
        *([*words[:i], *frag, *words[i + 1 :]] for i in alike),
        [*words[:lo], *frag, *words[hi + 1 :]],
        *([*words[:i], *frag, *words[i + 1 :]] for i in mention if i not in alike),
        [*words[: hi + 1], *frag, *words[hi + 1 :]],
        *([*words[:lo], *p.split(), *words[hi + 1 :]] for p in (*item.aliases, item.name)),
    ]
    for trial in options:
        if index.resolve(" ".join(trial)).code == code:
            return " ".join(trial)
    return " ".join([*words[:lo], item.name, *words[hi + 1 :]])


# --- same subject, other attribute; new ask about the same subject ----------------------------


def _swap_attribute(text: str, core: str, prev: Previous, index: RegisterIndex) -> str:
    """Put the new words in place of the old attribute ('temp alarm' + 'the shutdown')."""
    words = _WORD.findall(text)
    frag = [w for w in _WORD.findall(core) if _is_content(w)]
    if not frag:
        return text
    keep = set(_mention(index, words, prev.code)) if prev.code else set()
    new_toks = set(canonical_tokens(" ".join(frag)))
    shared = [
        i
        for i, w in enumerate(words)
        if i not in keep and set(canonical_tokens(w)) & new_toks and _is_content(w)
    ]
    if shared:
        end = shared[-1]
        start = max(0, end - len(frag) + 1)
        while start in keep:
            start += 1
        out = [*words[:start], *frag, *words[end + 1 :]]
    else:
        last = [i for i, w in enumerate(words) if i not in keep and _is_content(w)]
        if not last:
            out = [*words, *frag]
        else:
            i = last[-1]
            out = [*words[:i], *frag, *words[i + 1 :]]
    joined = " ".join(out)
    return joined + "?" if text.rstrip().endswith("?") else joined


def _subject(index: RegisterIndex, prev: Previous) -> str:
    """Return what the previous turn was about: its equipment mention and the words around it."""
    words = _WORD.findall(prev.text)
    mention = _mention(index, words, prev.code) if prev.code else []
    if not mention:
        return " ".join(w for w in words if _is_content(w) and not _is_question(w))
    lo, hi = _span(words, mention)
    return " ".join(words[lo : hi + 1])


def _span(words: list[str], mention: list[int]) -> tuple[int, int]:
    """Return the run of content words around a mention ('azi LO filters' in '... in stock')."""
    content = [_is_content(w) and not _is_question(w) for w in words]
    lo, hi = min(mention), max(mention)
    while lo > 0 and content[lo - 1]:
        lo -= 1
    while hi + 1 < len(words) and content[hi + 1]:
        hi += 1
    return lo, hi


def _is_content(word: str) -> bool:
    toks = canonical_tokens(word)
    return bool(toks) and any(t not in STOPWORDS and t not in _FILLER for t in toks)


def _is_question(word: str) -> bool:
    return any(t in _QUESTION_WORDS for t in canonical_tokens(word))


__all__ = [
    "ASK_AFTER",
    "CARRY_OUTCOMES",
    "STATE_KEY",
    "WINDOW",
    "FollowKind",
    "FollowUp",
    "Previous",
    "follow_up",
    "remember",
]
