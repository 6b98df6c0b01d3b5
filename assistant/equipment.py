"""Resolve what crew call a machine to the vessel's register: codes, names, aliases, typos."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from assistant.text import ABBREVIATIONS, STOPWORDS, canonical_tokens
from knowledge import Glossary

_DESIG = re.compile(r"^[a-z]{1,4}\d{1,2}$")
_SERIES = re.compile(r"^([a-z]{2,4})\d{1,2}$")
_QUALIFIERS = frozenset({"port", "stbd", "forward", "aft", "fwd"})
_LOCATION_BEFORE = frozenset(
    {"in", "on", "at", "near", "from", "into", "to", "while", "during", "under", "behind", "by"}
)
_LOCATION_AFTER = frozenset({"room", "mode", "area", "flat", "space", "locker", "store"})
_GENERIC = frozenset(
    {
        "pump",
        "system",
        "unit",
        "plant",
        "motor",
        "engine",
        "equipment",
        "oil",
        "water",
        "air",
        "gear",
        "filter",
        "valve",
        "tank",
        "line",
        "pipe",
        "main",
        "no",
    }
)
# Words crews use that must never be "corrected" into an equipment word.
_KEEP = frozenset(
    """leaking leak leaks alarm alarms tripped trips trip noise noisy running start started
    starting stopped broken failed failure pressure temperature hot cold high low water seal
    seals smoke smoking vibrating vibration weeping sludge level salinity heading slipping
    grinding whistle whistling surging hunting cycling short stuck burst hose dropping
    engineers engineer weather joke poem music football flight password priority urgent
    order orders fault faults today tomorrow procedure manual change changing clean cleaning
    service overhaul inspect replace renew check stock spare spares open close closed done
    please thanks thank hello morning readings reading status health doing looking""".split()  # noqa: SIM905 (a word list reads best as prose)
)


@dataclass(frozen=True, slots=True)
class Item:
    """One piece of equipment as the resolver sees it."""

    id: int
    code: str
    name: str
    aliases: tuple[str, ...]
    parent_code: str | None
    is_machine: bool
    """Has a class, maker or model: something a fault can be filed on."""

    def label(self) -> str:
        """Return 'code name' for replies."""
        return f"{self.code} {self.name}"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving a text against the register."""

    code: str | None
    candidates: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """Whether several pieces of equipment fit and none was chosen."""
        return self.code is None and len(self.candidates) > 1


@dataclass
class _Group:
    codes: set[str]
    pos: int
    length: int
    penalty: int
    text: str = ""
    spread: bool = False
    """Its words stand apart in the message ('deck here the hose crane' for 'deck crane')."""


@dataclass
class RegisterIndex:
    """An index of one vessel's register for resolving equipment mentions."""

    items: dict[str, Item]
    variants: list[tuple[frozenset[str], str, str, tuple[str, ...]]] = field(default_factory=list)
    vocab: list[str] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)
    signatures: dict[tuple[str, frozenset[str]], set[str]] = field(default_factory=dict)
    series: dict[str, set[str]] = field(default_factory=dict)
    """A designator's letters -> the items numbered in that series ('me' -> ME1, ME2)."""

    @classmethod
    def build(cls, items: Iterable[Item]) -> RegisterIndex:
        """Index equipment names and aliases as canonical token sets."""
        by_code = {i.code: i for i in items}
        index = cls(items=by_code)
        vocab: set[str] = set()
        phrases: dict[str, list[tuple[str, list[str]]]] = {}
        for item in by_code.values():
            if item.parent_code:
                index.children.setdefault(item.parent_code, []).append(item.code)
            phrases[item.code] = [
                (p, [t for t in canonical_tokens(p) if t not in STOPWORDS])
                for p in (item.name, *item.aliases)
            ]
        for plist in phrases.values():
            plist.extend(
                (ph, [t for t in toks if t not in STOPWORDS]) for ph, toks in _abbreviated(plist)
            )
        # A child named with its parent's short designator ("BT2 HPU") is also said with the
        # parent's long name ("bow thruster 2 HPU"): add those spellings.
        long_forms: dict[str, list[list[str]]] = {}
        for plist in phrases.values():
            short = {toks[0] for _, toks in plist if len(toks) == 1 and _DESIG.match(toks[0])}
            if short:
                longs = [
                    toks
                    for _, toks in plist
                    if len(toks) >= 2 and any(t.isdigit() or t in _QUALIFIERS for t in toks)
                ]
                for s in short:
                    long_forms[s] = long_forms.get(s, []) + longs
        for plist in list(phrases.values()):
            extra = []
            for phrase, toks in plist:
                for i, t in enumerate(toks):
                    for long in long_forms.get(t, [])[:6] if len(toks) > 1 else []:
                        extra.append((phrase, toks[:i] + long + toks[i + 1 :]))
            plist.extend(extra)
        for code, plist in phrases.items():
            seen: set[frozenset[str]] = set()
            for phrase, ordered in plist:
                tokset = frozenset(ordered)
                core = tuple(dict.fromkeys(t for t in ordered if _is_core(t)))
                if tokset and tokset not in seen:
                    seen.add(tokset)
                    index.variants.append((tokset, code, phrase, core))
                    vocab.update(tokset)
                    if core:
                        sig = (core[-1], frozenset(t for t in tokset if _strict(t)))
                        index.signatures.setdefault(sig, set()).add(code)
        index.vocab = sorted(t for t in vocab if len(t) >= 4 and not t.isdigit())
        for code, plist in phrases.items():
            for _, toks in plist:
                m = _SERIES.match(toks[0]) if len(toks) == 1 else None
                if m:
                    index.series.setdefault(m.group(1), set()).add(code)
        index.series = {k: v for k, v in index.series.items() if len(v) >= 2}
        return index

    # --- tree helpers --------------------------------------------------------------------

    def ancestors(self, code: str) -> list[str]:
        """Return the codes above a code, nearest first."""
        out: list[str] = []
        item = self.items.get(code)
        while item is not None and item.parent_code:
            out.append(item.parent_code)
            item = self.items.get(item.parent_code)
        return out

    def is_under(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or below it."""
        return code == ancestor or ancestor in self.ancestors(code)

    def descendants(self, code: str) -> list[str]:
        """Return the code and every code below it."""
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children.get(c, []))
        return out

    def common_ancestor(self, codes: Sequence[str]) -> str | None:
        """Return the nearest code every given code sits under, if any."""
        if not codes:
            return None
        chains = [[c, *self.ancestors(c)] for c in codes]
        for cand in chains[0]:
            if all(cand in chain for chain in chains[1:]):
                return cand
        return None

    def needs_choice(self, code: str) -> bool:
        """Whether a code is a grouping node whose children are the real machines."""
        item = self.items[code]
        return not item.is_machine and bool(self.children.get(code))

    # --- resolution ----------------------------------------------------------------------

    def _fix_typos(self, tokens: list[str]) -> list[str]:
        vocab_set = set(self.vocab)
        out = []
        for tok in tokens:
            if (
                len(tok) >= 5
                and tok not in vocab_set
                and tok not in _KEEP
                and not any(ch.isdigit() for ch in tok)
                and self.vocab
            ):
                hit = process.extractOne(tok, self.vocab, scorer=fuzz.ratio, score_cutoff=85)
                if hit is not None:
                    out.append(hit[0])
                    continue
            out.append(tok)
        return out

    def resolve(self, text: str, within: Sequence[str] | None = None) -> Resolution:
        """Find the equipment a text names; ambiguous mentions come back as candidates."""
        # Codes count when written out ("601.2.10", "ME-SB-TC"); a bare word code like "ME"
        # is left to the names, since crews use such words in passing.
        codes_in_text = [
            c
            for c in self.items
            if re.search(r"[\d.\-/]", c)
            and re.search(rf"(?<![\w.-]){re.escape(c)}(?![\w.-])", text)
        ]
        if codes_in_text:
            best = max(codes_in_text, key=len)
            return Resolution(best, (best,), (best,))
        incl = _INCLUDING.search(text)
        if incl and incl.start() > 0:
            # "faults on ME1 incl T/C, pumps etc": the machine, its parts counted in
            whole = self.resolve(text[: incl.start()], within)
            if whole.code is not None:
                return whole
        tokens = self._fix_typos(canonical_tokens(text))
        positions: dict[str, int] = {}
        all_pos: dict[str, list[int]] = {}
        for i, t in enumerate(tokens):
            positions.setdefault(t, i)
            all_pos.setdefault(t, []).append(i)
        tokset = set(tokens)
        matches = [
            v
            for v in self.variants
            if v[0] <= tokset and (len(v[3]) != 2 or _in_order([all_pos[t] for t in v[3]]))
        ]
        exact_codes = {m[1] for m in matches}
        partial: set[tuple[frozenset[str], str]] = set()
        for toks, code, phrase, core in self.variants:
            if code in exact_codes or len(toks) < 3:
                continue
            hit = toks & tokset
            strict = {t for t in toks if _strict(t)}
            head = core[-1] if core else None
            if (
                len(hit) >= 2
                and 3 * len(hit) >= 2 * len(toks)
                and strict <= tokset
                and head in tokset
                and not hit <= _GENERIC
                and (
                    hit - strict - {head} - _GENERIC
                    or len(self.signatures.get((head or "", frozenset(strict)), ())) == 1
                )
            ):
                hit_core = [t for t in core if t in hit]
                if len(hit_core) == 2 and not _in_order([all_pos[t] for t in hit_core]):
                    continue
                matches.append((frozenset(hit), code, phrase, core))
                partial.add((frozenset(hit), code))
        if within is not None:
            allowed = set(within)
            matches = [m for m in matches if m[1] in allowed]
        series = self._series_named(text)
        if series and matches:
            # "the ME injectors": a part word under the series named, or the series itself
            # when none of its machines has such a part (the DGs' injectors are not meant)
            under = [m for m in matches if any(self.is_under(m[1], s) for s in series)]
            named = _found(series, within) if not under else None
            if named is not None and named.candidates:
                return named
            matches = under or matches
        if not matches:
            found = self._partial(tokset, within)
            return found if found.candidates else self._in_series(text, within)
        maximal = [m for m in matches if not any(m[0] < o[0] for o in matches)]
        by_variant: dict[frozenset[str], set[str]] = {}
        for toks, code, _phrase, _core in maximal:
            by_variant.setdefault(toks, set()).add(code)
        groups = []
        for toks, codes in by_variant.items():
            pos = min(positions[t] for t in toks)
            end = max(positions[t] for t in toks)
            before = tokens[max(0, pos - 2) : pos]
            after = tokens[end + 1 : end + 2]
            penalty = int(bool(_LOCATION_BEFORE & set(before) or _LOCATION_AFTER & set(after)))
            weak = all((toks, c) in partial for c in codes)
            spread = end - pos + 1 > len(toks)
            groups.append(
                _Group(
                    set(codes), pos, len(toks), penalty + int(weak), " ".join(sorted(toks)), spread
                )
            )
        for g in groups:
            deepest = {
                c for c in g.codes if not any(o != c and self.is_under(o, c) for o in g.codes)
            }
            g.codes = deepest or g.codes
        groups = self._refine(groups)
        unique = [g for g in groups if len(g.codes) == 1]
        mentions = tuple(g.text for g in groups)
        if unique:
            best_group = min(unique, key=lambda g: (g.penalty, g.spread, -g.length, g.pos))
            code = next(iter(best_group.codes))
            return Resolution(code, (code,), mentions)
        first = min(groups, key=lambda g: (g.penalty, g.pos, -g.length))
        cands = tuple(sorted(first.codes, key=_code_key))
        return Resolution(None, cands, mentions)

    def _refine(self, groups: list[_Group]) -> list[_Group]:
        changed = True
        while changed and len(groups) > 1:
            changed = False
            for g in groups:
                for h in groups:
                    if g is h:
                        continue
                    inter = g.codes & h.codes
                    if inter and (inter != g.codes or inter != h.codes):
                        g.codes = inter
                        g.length = max(g.length, h.length)
                        g.pos = min(g.pos, h.pos)
                        groups = [x for x in groups if x is not h]
                        changed = True
                        break
                    under = {
                        c for c in g.codes if any(self.is_under(c, a) and c != a for a in h.codes)
                    }
                    if under:
                        g.codes = under
                        g.length = g.length + h.length
                        g.pos = min(g.pos, h.pos)
                        g.penalty = min(g.penalty, h.penalty)
                        groups = [x for x in groups if x is not h]
                        changed = True
                        break
                if changed:
                    break
        return groups

    def _in_series(self, text: str, within: Sequence[str] | None) -> Resolution:
        """Match a designator without its number ('ME', 'the DGs') to every item so numbered."""
        return _found(self._series_named(text), within)

    def _series_named(self, text: str) -> set[str]:
        """Return the items of every series a text names by its letters ('ME' -> ME1, ME2).

        Written in capitals only: crews write 'ME' for the main engines, and 'me' is a word.
        """
        found: set[str] = set()
        for m in re.finditer(r"(?<![\w/])([A-Z]{2,4})s?(?![\w/])", text):
            found |= self.series.get(m.group(1).lower(), set())
        return found

    def _partial(self, tokset: set[str], within: Sequence[str] | None) -> Resolution:
        """Match a type word without its number or side ('the genny' -> every generator)."""
        found: set[str] = set()
        for toks, code, _phrase, _core in self.variants:
            core = frozenset(t for t in toks if not t.isdigit() and t not in _QUALIFIERS)
            if core == toks or not core or core <= _GENERIC:
                continue
            if core <= tokset:
                found.add(code)
        return _found(found, within)

    def choose_among(self, text: str, candidates: Sequence[str]) -> str | None:
        """Pick one of the offered candidates from a short reply ('the starboard one', '2')."""
        res = self.resolve(text, within=candidates)
        if res.code:
            return res.code
        tokens = [t for t in canonical_tokens(text) if t not in STOPWORDS and t != "one"]
        m = re.search(r"\b(first|second|third|fourth|last|1st|2nd|3rd|4th)\b", text.lower())
        ordinal = {
            "first": 0,
            "1st": 0,
            "second": 1,
            "2nd": 1,
            "third": 2,
            "3rd": 2,
            "fourth": 3,
            "4th": 3,
            "last": len(candidates) - 1,
        }
        if m and not tokens[1:]:
            idx = ordinal[m.group(1)]
            if idx < len(candidates):
                return candidates[idx]
        best = self.narrow_among(text, candidates)
        return best[0] if len(best) == 1 else None

    def narrow_among(self, text: str, candidates: Sequence[str]) -> list[str]:
        """Return the offered candidates a reply fits best ('the port one' -> both port pumps).

        Empty when the reply's words fit none of them.
        """
        tokens = [t for t in canonical_tokens(text) if t not in STOPWORDS and t != "one"]
        if not tokens or not candidates:
            return []
        scores: dict[str, int] = {}
        for cand in candidates:
            words: set[str] = set()
            for c in (cand, *self.ancestors(cand)):
                item = self.items[c]
                for phrase in (item.name, *item.aliases):
                    for w in canonical_tokens(phrase):
                        words.add(w)
                        m2 = re.match(r"^[a-z]+(\d+)$", w)
                        if m2:
                            words.add(m2.group(1))
            scores[cand] = sum(1 for t in tokens if t in words)
        top = max(scores.values())
        return [c for c, s in scores.items() if s == top] if top > 0 else []

    def analogue(self, old: str, target: str) -> str:
        """Return the item under ``target`` that plays ``old``'s part ('no, ME1' for ME2's pump)."""
        if self.is_under(old, target) or old == target:
            return old
        old_item = self.items[old]
        branch = {t for c in [target, *self.ancestors(old)] for t in _words(self.items[c])}
        old_core = " ".join(t for t in canonical_tokens(old_item.name) if t not in branch)
        best, best_score = target, 0.0
        for code in self.descendants(target):
            if code == target:
                continue
            item = self.items[code]
            core = " ".join(t for t in canonical_tokens(item.name) if t not in branch)
            score = fuzz.token_set_ratio(core, old_core)
            if score > best_score:
                best, best_score = code, score
        return best if best_score >= 80 else target


_INCLUDING = re.compile(
    r"\b(?:incl\.?|inc\.|including|included|as well as|together with|plus all)(?=\s)",
    re.IGNORECASE,
)
"""What a message says before these words names the whole; its parts follow."""


@lru_cache(maxsize=1)
def glossary_abbreviations() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Return (spelled-out tokens, abbreviation) from the shipped glossary ("EG", "ER", "FOTP").

    Only abbreviations that stay one token of their own ("PMS" folds to another word and is
    left out) and terms that are no English words (``case_sensitive``), so a register name
    that spells a glossary entry out is also found by the short form crews type.
    """
    pairs: dict[tuple[tuple[str, ...], str], None] = {}
    for term in Glossary.shipped().terms.values():
        short = canonical_tokens(term.term)
        if term.case_sensitive or short != [term.term.lower()] or not short[0].isalpha():
            continue
        for expansion in term.expansions:
            long = tuple(t for t in canonical_tokens(expansion) if t not in STOPWORDS)
            if len(long) >= 2 and short[0] not in long:
                pairs[(long, short[0])] = None
    return tuple(pairs)


def _shortened(toks: list[str], long: tuple[str, ...], short: str) -> list[str] | None:
    """Return a name's tokens with its first spelled-out ``long`` written as ``short``."""
    n = len(long)
    for i in range(len(toks) - n + 1):
        if tuple(toks[i : i + n]) == long:
            new = [*toks[:i], short, *toks[i + n :]]
            if i + 1 < len(new) and new[i + 1].isdigit() and len(new[i + 1]) == 1:
                new = [*new[:i], short + new[i + 1], *new[i + 2 :]]
            return new
    return None


def _abbreviated(plist: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Return the spellings of names with marine abbreviations applied or spelled out."""
    out: list[tuple[str, list[str]]] = []
    for phrase, toks in plist:
        for long, short in glossary_abbreviations():
            new = _shortened(toks, long, short)
            if new is not None:
                out.append((phrase, new))
        for long, short in ABBREVIATIONS:
            new = _shortened(toks, long, short)
            if new is not None:
                out.append((phrase, new))
            for i, t in enumerate(toks):
                m = re.match(rf"^{short}(\d?)$", t)
                if m and (short not in ("ac", "ht", "lt", "dp") or len(toks) > 1):
                    digit = [m.group(1)] if m.group(1) else []
                    out.append((phrase, [*toks[:i], *long, *digit, *toks[i + 1 :]]))
    return out


def _strict(tok: str) -> bool:
    return tok.isdigit() or tok in _QUALIFIERS or bool(_DESIG.match(tok))


def _is_core(tok: str) -> bool:
    return not any(ch.isdigit() for ch in tok) and tok not in _QUALIFIERS


def _in_order(positions: list[list[int]]) -> bool:
    last = -1
    for options in positions:
        nxt = [p for p in options if p > last]
        if not nxt:
            return False
        last = nxt[0]
    return True


def _words(item: Item) -> set[str]:
    out: set[str] = set()
    for phrase in (item.name, *item.aliases):
        out.update(canonical_tokens(phrase))
    return out


def _code_key(code: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in code.split("."))


def _found(found: set[str], within: Sequence[str] | None) -> Resolution:
    """Return the resolution of the items a partial mention matched, kept to ``within``."""
    if within is not None:
        found &= set(within)
    if not found:
        return Resolution(None)
    if len(found) == 1:
        code = next(iter(found))
        return Resolution(code, (code,))
    return Resolution(None, tuple(sorted(found, key=_code_key)))
