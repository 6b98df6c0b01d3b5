"""The priority of a new fault or work order, and the reason for it.

One rule, in this order: words that state a priority win ("urgent", "asap" -> high; "not
urgent", "when convenient" -> low); otherwise the severity of what is described (fire,
smoke, fuel on hot surfaces, a failed emergency or fire-fighting test -> critical; a trip
on DP, low lube-oil or hydraulic pressure, high temperature, a burst, a brake that does not
hold its load, a leak during a transfer -> high); otherwise
the criticality of the nearest item up the register tree that has one (``critical`` ->
high, anything else -> medium).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from records.common import get_owned
from records.context import Caller
from records.models import Criticality, Equipment, Priority

Source = Literal["explicit", "severity", "criticality", "default"]


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    """A priority and why it was chosen ('steering gear port is critical equipment')."""

    priority: Priority
    reason: str
    source: Source


# --- explicit words ------------------------------------------------------------------------

_LOW = re.compile(
    r"\b(?:not|no|non)[- ](?:urgent|critical|rush|hurry|priority)\b|\bwhen(?:ever)? "
    r"(?:convenient|possible|(?:you|we) (?:get|have) (?:a )?(?:chance|time|a minute))\b|"
    r"\bno rush\b|\bno hurry\b|\blow[- ]prio(?:rity)?\b|\bprio(?:rity)?\s*"
    r"(?:is\s*|to\s*|=\s*|:\s*)?low\b|\bnext (?:port|port call|opportunity|dry ?dock)\b|"
    r"\bcan wait\b|\bnot (?:a )?(?:big deal|an? emergency)\b",
    re.IGNORECASE,
)
_STATED = re.compile(
    r"\b(?:priority\s*(?:is\s*|to\s*|=\s*|:\s*)?(?P<a>low|medium|normal|high|critical|urgent)|"
    r"(?P<b>low|medium|normal|high|critical|top)\s*(?:-\s*)?prio(?:rity)?)\b",
    re.IGNORECASE,
)
_HIGH = re.compile(
    r"\b(?:urgent|urgently|asap|a\.s\.a\.p|as soon as possible|immediately|right away|"
    r"straight away|top priority)\b",
    re.IGNORECASE,
)
_CRITICAL = re.compile(
    r"\b(?:it'?s|is|make it|mark it|set it|set as|treat (?:it )?as)\s+critical\b|"
    r"\bemergency!",
    re.IGNORECASE,
)


def explicit_priority(text: str) -> PriorityDecision | None:
    """Return the priority the text states outright ('high priority', 'not urgent', 'asap')."""
    low = _LOW.search(text)
    if low:
        return PriorityDecision(Priority.low, f'you said "{low.group(0).strip()}"', "explicit")
    stated = _STATED.search(text)
    if stated:
        word = (stated.group("a") or stated.group("b") or "").lower()
        value = {"normal": "medium", "urgent": "high", "top": "high"}.get(word, word)
        return PriorityDecision(
            Priority(value), f'you said "{stated.group(0).strip()}"', "explicit"
        )
    high = _HIGH.search(text)
    if high:
        return PriorityDecision(Priority.high, f'you said "{high.group(0).strip()}"', "explicit")
    crit = _CRITICAL.search(text)
    if crit:
        return PriorityDecision(
            Priority.critical, f'you said "{crit.group(0).strip(" !")}"', "explicit"
        )
    return None


# --- severity of what is described -----------------------------------------------------------

_FIRE = re.compile(
    r"\b(?:on fire|caught fire|fire (?:in|on|at|near|from|under|behind|inside|broke)|"
    r"fire!|burning|explosion|exploded)\b|(?<!pilot )\bflames?\b(?!\s*(?:failure|fail\w*|"
    r"detector|eye|scanner|sensor|out|monitor|trip))|\bfire\b(?!\s*(?:pumps?|main|hoses?|"
    r"dampers?|detect\w*|alarms?|doors?|extinguishers?|fighting|lines?|stations?|drills?|"
    r"tests?|panels?|hydrants?|monitors?|flaps?|suppression|systems?|team|ring|wire|proof|"
    r"resistant|box|boxes|sensors?|zones?|loops?|valves?|patrol|rounds?|plan|blankets?|"
    r"axe|sprinklers?|bucket|water|foam|rated))",
    re.IGNORECASE,
)
_SMOKE = re.compile(r"\bsmok(?:e|ing|y)\b", re.IGNORECASE)
_EXHAUST_SMOKE = re.compile(
    r"\b(?:black|white|blue|grey|gray|dark|light|heavy|excessive|more|thick)\s+(?:exhaust\s+)?"
    r"smoke\b|\bsmok(?:e|ing|y)\b.{0,20}\b(?:exhaust|funnel|stack|on load|under load|at start|"
    r"starting|when starting|on start)\b|\b(?:exhaust|funnel|stack)\b.{0,12}\bsmok",
    re.IGNORECASE,
)
_FUEL = re.compile(r"\b(?:diesel|fuel|fo|hfo|mgo|mdo|gasoil|gas oil|thermal oil)\b", re.IGNORECASE)
_HOT_SURFACE = re.compile(
    r"\b(?:hot(?:\s*box)?|hotbox|exhaust|manifold|turbo\w*|t/c|lagging|insulation|"
    r"indicator cocks?)\b",
    re.IGNORECASE,
)
_ESCAPE = re.compile(
    r"\b(?:leak\w*|weep\w*|spray\w*|drip\w*|soak\w*|pour\w*|spill\w*|piss\w*|squirt\w*|"
    r"running down|onto|on to|over the)\b",
    re.IGNORECASE,
)
_SAFETY = re.compile(
    r"\b(?:emergency|emcy|emerg|fire ?pumps?|fire[- ]fighting|sprinklers?|co2|fire "
    r"detection|fire dampers?|fire doors?|breathing apparatus|scba|eebd|fixed fire|"
    r"water ?mist|hi-?fog|foam system|quick[- ]closing)\b",
    re.IGNORECASE,
)
_FAILED = re.compile(
    r"\b(?:fail\w*|flat|dead|only (?:giving|got|gets|reached|made|managed|\d)|no pressure|low "
    r"pressure|not enough pressure|no water|u/s|inoperative|unserviceable)\b|"
    r"\b(?:wont|won'?t|will not|didn'?t|did not|doesn'?t|does not|cannot|can'?t|couldn'?t|"
    r"could not|not|never)\s+(?:start\w*|crank\w*|run\w*|fire|turn over|work\w*|deliver\w*|"
    r"hold\w*|build\w*|pump\w*|come on|cut in|kick in|take load|close|closing|open\w*)",
    re.IGNORECASE,
)
_ON_DP = re.compile(
    r"\b(?:on dp|in dp|dp mode|dp ops|dp operations?|while on dp|at the rig|on location|"
    r"alongside the rig|(?:bunkering|supplying|discharging to|working) the rig|"
    r"in the 500 ?m zone)\b",
    re.IGNORECASE,
)
_TRIP = re.compile(
    r"\b(?:trip\w*|blackout|black out|shut ?down|shut off|stopp(?:ed)?|drop\w* out|"
    r"dropped|lost|losing|fail\w*|fault\w*|alarm\w*|unstable|drift\w*|jump\w*|"
    r"not (?:working|responding|holding))\b",
    re.IGNORECASE,
)
_LOW_PRESSURE = re.compile(
    r"\b(?:lo|l\.o\.?|lube|lub|oil|hydraulic|hyd|hpu|pitch)\b.{0,25}\bpress\w*\b.{0,15}"
    r"\b(?:low|lo|dropping|dropped|drop|falling|fell|down)\b|"
    r"\b(?:low|lo)\s+(?:lo |l\.o\.? |lube |lub |lube oil |oil |hydraulic |hyd |pitch )?"
    r"(?:oil )?press\w*\b",
    re.IGNORECASE,
)
_HIGH_TEMP = re.compile(
    r"\b(?:hi|high)\b.{0,14}\btemp\w*\b|\btemp\w*\b.{0,14}\b(?:hi|high|rising|climbing)\b|"
    r"\boverheat\w*|\brunning hot\b|\btoo hot\b|\bhigh (?:exh|exhaust|winding|bearing|jacket|"
    r"cooling water|cw|ht|lt)\b|\b\d{2,3}(?:[.,]\d)?\s*(?:°\s*c|deg\s*c?|c)\b",
    re.IGNORECASE,
)
_BURST = re.compile(r"\bburst\w*\b|\bruptur\w*\b|\bsplit hose\b", re.IGNORECASE)
_BRAKE_SLIPS = re.compile(
    r"\bbrakes?\b.{0,30}\b(?:slip\w*|not holding|won'?t hold|doesn'?t hold|does not hold|"
    r"failed|fail\w*|gave way|giving way)\b|\b(?:drum|load|wire)\b.{0,12}\bslip\w*",
    re.IGNORECASE,
)
_TRANSFER = re.compile(r"\b(?:bunkering|bunkers?|transfer\w*|discharging|loading)\b", re.I)


def severity_priority(text: str, equipment_words: str = "") -> PriorityDecision | None:
    """Read urgency from what is described: fire, fuel on hot surfaces, a trip on DP, ..."""
    both = f"{equipment_words} {text}"

    def sev(priority: Priority, reason: str) -> PriorityDecision:
        return PriorityDecision(priority, reason, "severity")

    if _FIRE.search(text):
        return sev(Priority.critical, "a fire is reported")
    if _SMOKE.search(text) and not _EXHAUST_SMOKE.search(text):
        return sev(Priority.critical, "smoke is reported")
    if _FUEL.search(text) and _HOT_SURFACE.search(text) and _ESCAPE.search(text):
        return sev(Priority.critical, "fuel or oil on a hot surface is a fire risk")
    if _SAFETY.search(both) and _FAILED.search(text):
        return sev(Priority.critical, "emergency or fire-fighting equipment failed")
    on_dp = _ON_DP.search(text)
    if on_dp and _TRIP.search(text):
        return sev(Priority.high, "a trip or failure on DP")  # position keeping at stake
    if _LOW_PRESSURE.search(text):
        hyd = re.search(r"\b(?:hydraulic|hyd|hpu|pitch)\b", both, re.IGNORECASE)
        return sev(Priority.high, f"low {'hydraulic' if hyd else 'lube-oil'} pressure")
    if _HIGH_TEMP.search(text):
        return sev(Priority.high, "high temperature")
    if _BURST.search(text):
        return sev(Priority.high, "a burst")
    if _BRAKE_SLIPS.search(text):
        return sev(Priority.high, "a brake that does not hold its load")
    if _TRANSFER.search(text) and _ESCAPE.search(text):
        return sev(Priority.high, "a leak during a transfer is a pollution risk")
    return None


# --- criticality up the register tree -------------------------------------------------------


def _name(name: str) -> str:
    """Lower-case the first letter of a register name for use inside a sentence."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def criticality_priority(chain: Sequence[Equipment]) -> PriorityDecision:
    """Use the nearest criticality up the tree (``chain`` runs from the item to its root)."""
    for eq in chain:
        if eq.criticality is None:
            continue
        if eq.criticality is Criticality.critical:
            return PriorityDecision(
                Priority.high, f"{_name(eq.name)} is critical equipment", "criticality"
            )
        return PriorityDecision(
            Priority.medium,
            f"nothing urgent described and {_name(eq.name)} is of "
            f"{eq.criticality.value} criticality",
            "criticality",
        )
    return PriorityDecision(
        Priority.medium, "nothing urgent described and no criticality on record", "default"
    )


def decide_priority(
    text: str, chain: Sequence[Equipment] = (), equipment_words: str = ""
) -> PriorityDecision:
    """Apply the rule: explicit words, then severity, then criticality, else medium."""
    words = equipment_words or " ".join(
        f"{eq.name} {' '.join(str(a) for a in eq.aliases or [])}" for eq in chain
    )
    return explicit_priority(text) or severity_priority(text, words) or criticality_priority(chain)


def equipment_chain(session: Session, caller: Caller, equipment_id: int) -> list[Equipment]:
    """Return the item and its ancestors, nearest first."""
    chain = [get_owned(session, caller, Equipment, equipment_id)]
    seen = {chain[0].id}
    while chain[-1].parent_id is not None and chain[-1].parent_id not in seen:
        parent = get_owned(session, caller, Equipment, chain[-1].parent_id)
        seen.add(parent.id)
        chain.append(parent)
    return chain


def priority_for(
    session: Session, caller: Caller, equipment_id: int, text: str
) -> PriorityDecision:
    """Decide the priority of a fault or job described by ``text`` on one item."""
    return decide_priority(text, equipment_chain(session, caller, equipment_id))


__all__ = [
    "PriorityDecision",
    "criticality_priority",
    "decide_priority",
    "equipment_chain",
    "explicit_priority",
    "priority_for",
    "severity_priority",
]
