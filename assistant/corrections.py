"""Corrections and 'both' answers: what a short follow-up changes about the last request.

"not ME1, it's ME2", "sorry I meant DG2", "make it the port one", "no, BT1 not BT2" name
the equipment the last request should have been about; "both" / "all of them" answer a
"which one?" with every candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.equipment import RegisterIndex
from assistant.text import canonical_tokens

_CUE = re.compile(
    r"^\s*(?:(?:no+|nope|nah|sorry|soz|oops|whoops|my bad|my mistake|correction|wait|hang on|"
    r"actually|err+|erm|uh+|um+|typo|wrong (?:one|machine|equipment|unit|engine|item|pump|"
    r"genny|generator|thruster)|not that one|not (?:that|this)|that'?s wrong)\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^\s*(?:i meant|i mean|meant|i said|i wanted|should (?:be|have been|'ve been|have said)|"
    r"it'?s|its|it is|it was|it should be|make (?:it|that)|change (?:it|that)(?: to)?|"
    r"switch (?:it|that)(?: to)?|move (?:it|that)(?: to)?|put (?:it|that) on|"
    r"set (?:it|that) (?:to|on)|on|for|but|the right one is|i'?m talking about|"
    r"talking about)\b[\s,.:;!-]*",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:not|isn'?t|wasn'?t|rather than|instead of)\s+(?:on\s+)?(?P<neg>[^,;.!?]+?)"
    r"(?=\s*(?:[,;.!?]|\bbut\b|\bit'?s\b|\bits\b|\bit is\b|\bi meant\b|\bshould\b|$))",
    re.IGNORECASE,
)
_NOT_EQUIPMENT = re.compile(
    r"\b(?:is|are|was|were|has|have|had|leak\w*|trip\w*|alarm\w*|fail\w*|won'?t|wont|"
    r"stopp\w*|starts|started|noise|noisy|hot|priority|urgent|title|description|note|"
    r"cancel|yes|please|pls|thanks)\b",
    re.IGNORECASE,
)
_ALSO = re.compile(r"\b(?:too|also|as well|aswell|and)\b", re.IGNORECASE)
_OTHER = re.compile(r"\b(?:other|another|opposite)\b", re.IGNORECASE)
_ALL = re.compile(
    r"^\s*(?:(?:yes|yeah|yep|ok|okay|sure)[\s,!.]+)?(?:both|all|each|every|the two|all three|"
    r"all four)\b(?:\s+(?:of\s+)?(?:them|those|these|one|ones|please|pls|of the \w+|the \w+|"
    r"\w+s))*[\s!.]*(?:please|pls|thanks)?[\s!.]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Correction:
    """The equipment a follow-up names instead of the one the last request was about."""

    target: str
    """Words naming the right equipment ('ME2', 'port one'); empty for 'the other one'."""
    negated: str
    """Words naming the wrong one ('ME1' in 'not ME1, it's ME2'), or ''."""
    cued: bool
    """Whether the message says outright it corrects ('sorry', 'I meant', 'no, ...')."""
    other: bool
    """'the other one'."""


def parse_correction(text: str) -> Correction | None:
    """Read a correction of the equipment from a short follow-up, or None."""
    t = " ".join(text.split())
    if not t or len(t.split()) > 12 or _ALSO.search(t):
        return None
    cue = _CUE.match(t)
    rest = t[cue.end() :] if cue else t
    negated = ""
    neg = _NEGATED.search(rest)
    if neg:
        negated = neg.group("neg").strip()
        rest = f"{rest[: neg.start()]} {rest[neg.end() :]}"
    led = False
    for _ in range(3):
        rest = rest.strip(" ,.;:-!")
        lead = _LEAD.match(rest)
        if not lead or lead.end() == 0:
            break
        rest, led = rest[lead.end() :], True
    rest = re.sub(r"^(?:the|a|an)\s+", "", rest.strip(" ,.;:-!?"), flags=re.IGNORECASE)
    other = bool(_OTHER.search(rest))
    cued = bool(cue) or led or bool(re.fullmatch(r"other\s+\w+", rest, re.IGNORECASE))
    if not (cued or negated):
        return None
    if _NOT_EQUIPMENT.search(rest) or len(rest.split()) > 5:
        return None
    if not rest and not other:
        return None
    return Correction(rest, negated, cued, other)


_SAME_FOR = re.compile(
    r"^\s*(?:ok(?:ay)?[\s,]+)?(?:and|what about|how about|same for|same on|same with|also|"
    r"now|then|just|only)\s+(?:for\s+|on\s+|the\s+)*(?P<a>[\w ./-]+?)\s*\??\s*$|"
    r"^\s*(?:ok(?:ay)?[\s,]+)?(?:the\s+)?(?P<b>[\w ./-]+?)\s+(?:only|too|as well)\s*\??\s*$",
    re.IGNORECASE,
)


def same_for(text: str) -> Correction | None:
    """Read 'and DG3?', 'what about ME2', 'just the governor', 'hose crane only'.

    The last request is to be asked again about the equipment named.
    """
    m = _SAME_FOR.match(" ".join(text.split()))
    if not m or len(text.split()) > 6:
        return None
    target = (m.group("a") or m.group("b") or "").strip()
    if not target or _NOT_EQUIPMENT.search(target):
        return None
    return Correction(target, "", True, bool(_OTHER.search(target)))


def wants_all(text: str) -> bool:
    """Whether a reply to 'which one?' means every candidate ('both', 'all of them')."""
    return bool(_ALL.match(text))


def corrected_code(index: RegisterIndex, old: str | None, corr: Correction) -> str | None:
    """Return the item a correction means, as the counterpart of ``old`` where it has one.

    'ME1' for ME2's fuel pump is ME1's fuel pump; 'the port one' for the starboard
    steering gear is the port steering gear; 'the other one' of a pair is its twin.
    """
    known = old is not None and old in index.items
    if not corr.cued:
        # 'ME2 not ME1' corrects; 'DG1 not starting' is a new report.
        said = index.resolve(corr.negated)
        if said.code is None and not said.candidates:
            return None
    code: str | None = None
    if known:
        # Near the old item first: 'the stbd one' for the port steering gear is its twin,
        # not the first thing on board called starboard.
        assert old is not None
        code = _sibling(index, old, corr)
    if code is None and corr.target and not corr.other:
        res = index.resolve(corr.target)
        code = res.code
        if code is None and res.candidates and known:
            assert old is not None
            code = _among_kin(index, old, corr.target, list(res.candidates))
        if code is None and known:
            assert old is not None
            code = _with_old_noun(index, old, corr.target)
    if code is None:
        return None
    return index.analogue(old, code) if known and old is not None else code


def _among_kin(index: RegisterIndex, old: str, text: str, cands: Sequence[str]) -> str | None:
    """Of several matches, the one closest to ``old`` in the tree ('fuel pump' near ME1)."""
    for anc in [old, *index.ancestors(old)]:
        near = [c for c in cands if index.is_under(c, anc) and c != old]
        if len(near) == 1:
            return near[0]
        if near:
            return index.choose_among(text, near)
    # Nothing related in the tree: the one most like the old item ('no, the FO one' after
    # the LO purifier is the FO purifier, not the FO transfer pump).
    name = index.items[old].name
    ranked = sorted(
        ((fuzz.token_set_ratio(index.items[c].name, name), c) for c in cands if c != old),
        reverse=True,
    )
    if ranked and (len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= 10) and ranked[0][0] >= 50:
        return ranked[0][1]
    return None


def _with_old_noun(index: RegisterIndex, old: str, target: str) -> str | None:
    """Read 'the FO one' after the LO purifier as 'FO purifier': the target plus old's noun."""
    core = re.sub(r"\b(?:the|one|ones)\b", " ", target, flags=re.IGNORECASE).strip()
    if not core:
        return None
    item = index.items[old]
    found: set[str] = set()
    for phrase in (item.name, *item.aliases):
        for word in re.findall(r"[A-Za-z]{4,}", phrase)[-1:]:  # the head noun
            if word.lower() in core.lower():
                continue
            code = index.resolve(f"{core} {word}").code
            if code is not None and code != old:
                found.add(code)
    return found.pop() if len(found) == 1 else None


def _sibling(index: RegisterIndex, old: str, corr: Correction) -> str | None:
    """Return the sibling of ``old`` (or of an ancestor) that the words pick out."""
    words = set(canonical_tokens(corr.target))
    for level in [old, *index.ancestors(old)]:
        parent = index.items[level].parent_code
        if parent is None:
            return None
        sibs = index.children.get(parent, [])
        if len(sibs) < 2:
            continue
        if corr.other:
            if len(sibs) == 2:
                return next(c for c in sibs if c != level)
            continue
        pick = index.choose_among(corr.target, sibs) if words else None
        if pick is not None and pick != level:
            return pick
    return None


_DESIGNATOR = re.compile(r"\b([A-Za-z]{1,4})\s?(\d{1,2})\b")
_SIDES = {
    "port": re.compile(r"\b(?:port|ps|p/s)\b", re.IGNORECASE),
    "starboard": re.compile(r"\b(?:starboard|stbd|stb|sb|s/b)\b", re.IGNORECASE),
}
_SIDE_WORD = {"port": "port", "starboard": "stbd"}


_NUMBERED = re.compile(r"^(?P<head>[A-Za-z][A-Za-z ]*?)\s+(?:no\.?\s*)?(?P<num>\d{1,2})$", re.I)
"""A name that ends on its number: 'Bow thruster No. 1', 'bow thruster 1'."""


def _marks(index: RegisterIndex, code: str) -> tuple[dict[str, str], str | None]:
    """Return the designators (ME -> 2, 'bow thruster' -> 1) and the side of an item's line."""
    designators: dict[str, str] = {}
    side: str | None = None
    for c in [code, *index.ancestors(code)]:
        item = index.items[c]
        for phrase in (item.name, *item.aliases):
            for prefix, num in _DESIGNATOR.findall(phrase):
                designators.setdefault(prefix.upper(), num)
            numbered = _NUMBERED.match(phrase.strip())
            if numbered and len(numbered["head"]) > 4:
                designators.setdefault(" ".join(numbered["head"].lower().split()), numbered["num"])
            if side is None:
                side = next((s for s, p in _SIDES.items() if p.search(phrase)), None)
    return designators, side


def swap_designators(index: RegisterIndex, old: str, new: str, text: str) -> str:
    """Rewrite 'ME2' as 'ME1' (and stbd as port) in a text moved from ``old`` to ``new``."""
    if old not in index.items or new not in index.items:
        return text
    (old_d, old_side), (new_d, new_side) = _marks(index, old), _marks(index, new)
    for prefix, num in old_d.items():
        target = new_d.get(prefix)
        if target is None or target == num:
            continue
        head = r"\s+".join(re.escape(w) for w in prefix.split())
        gap = r"\s+(?:no\.?\s*)?" if " " in prefix or len(prefix) > 4 else r"\s?"
        text = re.sub(rf"\b({head})({gap}){num}\b", rf"\g<1>\g<2>{target}", text, flags=re.I)
    if old_side and new_side and old_side != new_side:
        text = _SIDES[old_side].sub(_SIDE_WORD[new_side], text)
    return text


_ASIDE = re.compile(
    r"[,:;!?]|\b(?:after|during|while|whilst|since|because|following|as per|"
    r"like|same as|with|than|on dp|in dp|at the rig)\b",
    re.IGNORECASE,
)


def focus(index: RegisterIndex, text: str) -> str:
    """Return the words naming what a message is about when it names several items.

    "raise a WO to change BT1 HPU filter after DP ops" is about the BT1 HPU: the first
    clause that names one item wins over equipment named in an aside ("after DP ops",
    "ME1 style", "with ME1").
    """
    res = index.resolve(text)
    if len(res.mentions) < 2:
        return text
    for part in _ASIDE.split(text):
        code = index.resolve(part).code if part and part.strip() else None
        if code is not None:
            if res.code is not None and res.code != code and index.is_under(res.code, code):
                return text  # "DG1: coolant leak at the water pump": the part, not an aside
            return part.strip()
    return text
