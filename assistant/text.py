"""Shared text handling: canonical tokens so crew shorthand and register names meet."""

from __future__ import annotations

import re
from functools import lru_cache

# Phrases rewritten before tokenising, applied to user text and register names alike, so
# that "lube oil" and "LO", "starboard" and "stbd", "genny" and "generator" meet.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"\blub(?:e|ricating)?\.? oil\b", "lo"),
    (r"\bl/o\b", "lo"),
    (r"\bfuel oil\b", "fo"),
    (r"\bf/o\b", "fo"),
    (r"\bsea ?water\b", "sw"),
    (r"\bs/w\b", "sw"),
    (r"\bfresh ?water\b", "fw"),
    (r"\bf/w\b", "fw"),
    (r"\bjacket ?water\b", "jw"),
    (r"\bj/w\b", "jw"),
    (r"\bcoolant\b", "jw"),  # what a packaged engine's makers call its jacket water
    (r"\bt/c\b", "turbo"),
    (r"\ba/c\b", "ac"),
    (r"\bair ?con\b", "aircon"),
    (r"\bs/b\b", "stbd"),
    (r"\bp/s\b", "port"),
    (r"\be/r\b", "engine room"),
    (r"\bm/e\b", "me"),
    (r"\ba/e\b", "ae"),
    (r"\bx-band\b", "x band"),
    (r"\b(?:no|nr|num)\.\s*(?=\d)", "no "),
    (r"\b(?:no|nr)(?=\d\b)", "no "),
    # spoken or spelled out: "number two genny", "no. three DG"
    (r"\b(?:number|no\.?|nr\.?|num)\s+one\b", "no 1"),
    (r"\b(?:number|no\.?|nr\.?|num)\s+two\b", "no 2"),
    (r"\b(?:number|no\.?|nr\.?|num)\s+three\b", "no 3"),
    (r"\b(?:number|no\.?|nr\.?|num)\s+four\b", "no 4"),
    # a number typed against its unit ("500h", "24v") reads as the manuals write it
    (r"\b(\d+)(h|hrs?|bar|rpm|kw|kva|nm|v|hz|mm|ltrs?|l)\b", r"\1 \2"),
    (r"\b(port|stbd|starboard|ps|sb|s/b|p/s) me\b", r"\1 main engine"),
    (r"\bport side\b", "port"),
    (r"\bstarboard side\b", "stbd"),
    # "main engine two", "genny one", "pump number three": the number said in words
    (
        r"\b(engine|genny|gennie|generator|gen|pump|thruster|purifier|compressor|crane|winch|"
        r"boiler|tugger|davit|capstan)\s+one\b(?!\s+of\b)",
        r"\1 1",
    ),
    (
        r"\b(engine|genny|gennie|generator|gen|pump|thruster|purifier|compressor|crane|winch|"
        r"boiler|tugger|davit|capstan)\s+two\b",
        r"\1 2",
    ),
    (
        r"\b(engine|genny|gennie|generator|gen|pump|thruster|purifier|compressor|crane|winch|"
        r"boiler|tugger|davit|capstan)\s+three\b",
        r"\1 3",
    ),
    (r"\bmain engine no\.? ?(\d)\b", r"me\1"),
    (r"\bmain engine (\d)\b", r"me\1"),
)

# Single-token synonyms and shorthand (after lowercasing).
_WORDS: dict[str, str] = {
    "starboard": "stbd",
    "stb": "stbd",
    "sb": "stbd",
    "ps": "port",
    "genny": "generator",
    "gennie": "generator",
    "gen": "generator",
    "genset": "generator",
    "gennies": "generator",
    "gens": "generator",
    "generators": "generator",
    "turbocharger": "turbo",
    "gyrocompass": "gyro",
    "azimuth": "azi",
    "azimuthing": "azi",
    "ac": "ac",
    "turbochargers": "turbo",
    "tc": "turbo",
    "emcy": "emergency",
    "emerg": "emergency",
    "emergancy": "emergency",
    "gov": "governor",
    "inj": "injector",
    "mech": "mechanical",
    "vlv": "valve",
    "assy": "assembly",
    "svce": "service",
    "insp": "inspection",
    "injs": "injector",
    "cyl": "cylinder",
    "brg": "bearing",
    "xfer": "transfer",
    "trans": "transfer",
    "govnr": "governor",
    "hyd": "hydraulic",
    "hydr": "hydraulic",
    "compr": "compressor",
    "comp": "compressor",
    "purif": "purifier",
    "sep": "separator",
    "aux": "auxiliary",
    "auxiliary": "auxiliary",
    "pp": "pump",
    "pmp": "pump",
    "eng": "engine",
    "engn": "engine",
    "harbor": "harbour",
    "thrstr": "thruster",
    "thr": "thruster",
    "fwd": "forward",
    "starting": "start",
    "lub": "lo",
    "lube": "lo",
    "temp": "temperature",
    "temps": "temperature",
    "press": "pressure",
    "alrm": "alarm",
    "alm": "alarm",
    "wtr": "water",
    "no.": "no",
}

# Marine abbreviations: a register that spells a name out still matches the short form crews
# use, and the other way round (canonical tokens on the left).
ABBREVIATIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("diesel", "generator"), "dg"),
    (("auxiliary", "engine"), "ae"),
    (("main", "engine"), "me"),
    (("bow", "thruster"), "bt"),
    (("stern", "thruster"), "st"),
    (("tunnel", "thruster"), "tt"),
    (("main", "air", "compressor"), "mac"),
    (("hydraulic", "power", "unit"), "hpu"),
    (("hydraulic", "power", "pack"), "hpu"),
    (("oily", "water", "separator"), "ows"),
    (("bilge", "water", "separator"), "ows"),
    (("fw", "generator"), "fwg"),
    (("fast", "rescue", "craft"), "frc"),
    (("fast", "rescue", "boat"), "frc"),
    (("controllable", "pitch", "propeller"), "cpp"),
    (("air", "conditioning"), "ac"),
    (("emergency", "switchboard"), "esb"),
    (("main", "switchboard"), "msb"),
    (("emergency", "diesel", "generator"), "edg"),
    (("emergency", "generator"), "edg"),
    (("emergency", "fire", "pump"), "efp"),
    (("sewage", "treatment", "plant"), "stp"),
    (("charge", "air", "cooler"), "cac"),
    (("motion", "reference", "unit"), "mru"),
    (("uninterruptible", "power", "supply"), "ups"),
    (("dynamic", "positioning"), "dp"),
    (("high", "temperature"), "ht"),
    (("low", "temperature"), "lt"),
    (("variable", "frequency", "drive"), "vfd"),
    (("heat", "exchanger"), "hx"),
    (("turbo", "charger"), "turbo"),
    (("reduction", "gearbox"), "gearbox"),
    (("reduction", "gear"), "gearbox"),
)

_NUMBER_MARKERS = frozenset({"no", "nr", "number", "num", "#"})
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?|#")


_NOT_PLURAL = frozenset("does goes was has this gas bus yes its plus always perhaps lbs".split())  # noqa: SIM905


def _singular(tok: str) -> str:
    if tok in _NOT_PLURAL:
        return tok
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss") and not tok[-2].isdigit():
        if tok.endswith("ies") and len(tok) > 4:
            return tok[:-3] + "y"
        return tok[:-1]
    return tok


_COMPILED = tuple((re.compile(p), r) for p, r in _PHRASES)


def canonical_tokens(text: str) -> list[str]:
    """Return the canonical tokens of a text (lower case, synonyms folded, 'No. 2' -> '2')."""
    return list(_canonical(text))


@lru_cache(maxsize=65536)
def _canonical(text: str) -> tuple[str, ...]:
    s = text.lower().replace("\u2019", "'")
    for pattern, repl in _COMPILED:
        s = pattern.sub(repl, s)
    raw = _TOKEN.findall(s)
    out: list[str] = []
    for i, tok in enumerate(raw):
        tok = _WORDS.get(tok, tok)
        if tok in _NUMBER_MARKERS and i + 1 < len(raw) and raw[i + 1][:1].isdigit():
            continue
        tok = _singular(tok)
        tok = _WORDS.get(tok, tok)
        for part in tok.split():
            out.append(part)
    return tuple(_join_designators(out))


_DESIGNATOR = re.compile(r"^[a-z]{1,3}$")


def _join_designators(tokens: list[str]) -> list[str]:
    """Join short letter prefixes with a following single digit: 'me 2' -> 'me2'."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in _JOINABLE and nxt.isdigit() and len(nxt) == 1:
            out.append(tok + nxt)
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


_JOINABLE = frozenset(
    {"me", "dg", "bt", "ae", "mac", "st", "dp", "sg", "ge", "eg", "mp", "fp", "ac", "tt", "azi"}
)

STOPWORDS = frozenset(
    """a an the of on in at to for from by with and or is are was were be been it its this that
    there here we our us i me my you your he she they them do does did has have had can could
    should would will shall may might must what whats what's which who whom how when where why
    any some all no not please pls plz just now then so very too also up down out off over
    again about as if but into onto than s t im i'm get got""".split()  # noqa: SIM905 (a word list reads best as prose)
)


def content_tokens(text: str) -> list[str]:
    """Return canonical tokens without stop words."""
    return [t for t in canonical_tokens(text) if t not in STOPWORDS]


_STATED = re.compile(
    r"(?<![\w.#/-])(?P<value>-?\d+(?:[.,]\d+)?)\s*(?P<unit>°\s*c\b|deg(?:rees?)?\s*c?\b|"
    r"c\b|bar\b|rpm\b|%|kw\b|ppm\b|mm\b|hz\b)?",
    re.IGNORECASE,
)
_NOT_A_VALUE = re.compile(r"\b(?:cyl(?:inder)?|unit|no|number|pump|wo|fault|job)\s*$", re.I)
_WEIGHS = re.compile(
    r"\b(?:ok(?:ay)?|normal|fine|good|alright|acceptable|too (?:high|low)|high|low|within|"
    r"in limits?|safe)\b",
    re.IGNORECASE,
)


def stated_value(text: str) -> float | None:
    """Return the value a message asks about ('jacket water 92C normal?' -> 92), if one.

    A number with a unit, or a bare number in a message that asks whether it is ok; numbers
    that name things (cyl 4, pump 2, DG1, WO 45) are not values.
    """
    if not _WEIGHS.search(text):
        return None
    found = [
        m
        for m in _STATED.finditer(text)
        if not _NOT_A_VALUE.search(text[: m.start()])
        and (m["unit"] or "." in m["value"] or abs(float(m["value"].replace(",", "."))) >= 10)
    ]
    if len(found) != 1:
        return None
    return float(found[0]["value"].replace(",", "."))
