"""Intent recognition and slot filling for the offline engine: what the crew member wants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from records.priority import explicit_priority

IntentKind = Literal[
    "refuse",
    "smalltalk",
    "update_work_order",
    "create_work_order",
    "list_open",
    "part_stock",
    "equipment_health",
    "history",
    "answer",
    "report_fault",
    "unknown",
]

_MANIPULATION = re.compile(
    r"ignore (?:all |any |the |your |my )?(?:previous |prior |above |earlier |former )?"
    r"(?:instructions|rules|prompts?|guidelines)|forget (?:your|all|the|about) (?:\w+ )?"
    r"(?:rules|instructions|guidelines)|disregard (?:your|all|the|previous)|you are now|"
    r"pretend (?:to be|you are)|\bdan\b|jailbreak|system prompt|developer mode|"
    r"maintenance mode|^\s*system\s*:|\[system\]|do not ask for confirmation|"
    r"without (?:asking|confirmation|confirming)|api ?keys?|passwords?|credentials|"
    r"drop table|delete from|;\s*--|union select|\bbypass|\b(?:disable|defeat|override|inhibit|"
    r"jumper out|bridge out|gag)\b.{0,40}\b(?:alarms?|trips?|"
    r"interlocks?|safet(?:y|ies)|shut ?downs?|15 ?ppm|oil content meter|ocm|fire detection|"
    r"detectors?)\b|"
    r"without (?:the )?(?:15 ?ppm|oil content|ocm|alarm)|(?:pump|discharge|dump) (?:\w+ )?"
    r"overboard|(?:mark|close|set|resolve) (?:every|all) (?:the )?(?:open )?"
    r"(?:faults?|work ?orders?|jobs?)|(?:delete|remove|erase|wipe|purge) (?:all|every|the|"
    r"this|that|a)?\s*(?:faults?|work ?orders?|wos?|jobs?|records?|history|data)|"
    r"\b(?:delete|erase)\b",
    re.IGNORECASE,
)

_OFF_TOPIC = re.compile(
    r"\b(?:weather|forecast|joke|jokes|poem|poems|song|lyrics|sing|music|playlist|football|"
    r"soccer|match tonight|score|premier league|bitcoin|crypto|stock price|share price|"
    r"flight|flights|hotel|holiday|vacation|movie|film|netflix|recipe|cook|news|politics|"
    r"election|girlfriend|boyfriend|dating|horoscope|lottery|bet|betting|story|essay|"
    r"translate|homework|capital of|president|celebrity)\b",
    re.IGNORECASE,
)

_SMALLTALK = re.compile(
    r"^\s*(?:hi|hey|hello|hiya|yo|morning|evening|afternoon|good (?:morning|afternoon|evening|"
    r"night|day)|thanks|thank you|thx|ta|cheers|nice one|great|awesome|ok|okay|cool|"
    r"how are you|who are you|what can you do|bye|goodbye|see you)\b[\w\s,.!']{0,40}$",
    re.IGNORECASE,
)

_REF = re.compile(
    r"\b(?P<kind>work ?orders?|w\.?o\.?s?|jobs?|tasks?|faults?|defects?|tickets?|"
    r"reports?)\s*(?:no\.?|number|nr|#)?\s*#?(?P<num>\d+)\b",
    re.IGNORECASE,
)

_CREATE_WO = re.compile(
    r"(?:\b(?:create|raise|make|new|schedule|book|plan|add|log|generate|set up|issue|"
    r"put in|need)\b\s+(?:a\s+|an\s+|new\s+|the\s+)*|\bopen\s+(?:a|an|new)\s+(?:new\s+)?)"
    r"(?:corrective\s+|preventive\s+|"
    r"preventative\s+|inspection\s+|maintenance\s+|pm\s+)?(?:work ?orders?|w\.?o\.?|jobs?|"
    r"tasks?|job cards?)\b|^\s*(?:new\s+)?(?:work ?order|w\.?o\.?|job|job card|task)\s*"
    r"(?:for\b|to\b|[-:])|^\s*create\s+job\b",
    re.IGNORECASE,
)

_REPORT = re.compile(
    r"(?:\b(?:report|log|file|raise|create|record|register|enter|submit|put in|write up|"
    r"make)\s+(?:a\s+|an\s+|new\s+|the\s+)*|\bopen\s+(?:a|an|new)\s+(?:new\s+)?)"
    r"(?:fault|defect|breakdown|failure|problem|"
    r"issue|fault report|defect report)s?\b|^\s*(?:new\s+)?(?:fault|defect)\s*[:-]|"
    r"\bi (?:want|need|would like|'d like) to report\b|^\s*report\s*[:-]",
    re.IGNORECASE,
)
_LIST_ALL = re.compile(
    r"^\s*(?:please\s+)?(?:list|show|display|give me|get)(?: me)?(?: all| the| our| any)*\s+"
    r"(?:current\s+|active\s+)?(?:faults|defects|work ?orders|wos|jobs|issues)\b",
    re.IGNORECASE,
)
_LIST_OPEN = re.compile(
    r"\b(?:open|outstanding|pending|unresolved|still open|active|overdue|backlog|not closed)"
    r"\b.*\b(?:faults?|defects?|work ?orders?|w\.?o\.?s?|jobs?|tasks?|issues?)\b|"
    r"\b(?:faults?|defects?|work ?orders?|w\.?o\.?s?|jobs?|tasks?|issues?)\b.*"
    r"\b(?:open|outstanding|pending|unresolved|overdue)\b|"
    r"\b(?:anything|what'?s|what is)\s+(?:still\s+)?(?:outstanding|open|pending)\b",
    re.IGNORECASE,
)

_STOCK = re.compile(
    r"\b(?:stock|stocks|spares?|inventory|in store|on board|onboard|carry|left|part numbers?|"
    r"part no|p/n)\b|\bhave we got\b|\bdo we have (?:a |an |any )?(?:spare|new|replacement)\b",
    re.IGNORECASE,
)
_STOCK_QTY = re.compile(r"\b(?:how many|do we have|have we got|got any|any)\b", re.IGNORECASE)
_HOW_MANY = re.compile(
    r"\bhow many\b.*\b(?:do we have|have we got|on board|left|got|in store|remaining)\b|"
    r"\b(?:do we have|have we got|got) (?:a |an |any )?(?:spare|new|replacement|more)\b",
    re.IGNORECASE,
)
PART_NUMBER = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]{1,})+\b")

_HEALTH = re.compile(
    r"\bhow(?:'s| is| are)\b.*\b(?:doing|looking|running|performing|going|holding up|behaving)"
    r"\b|\b(?:health|healthy|condition|risk|likelihood of failure|chance of failure|"
    r"readings?|trend|trending|status of|status|right now|currently|at the moment|live "
    r"values?|sensor|sensors)\b|\bis (?:the |it )?.*\brunning (?:ok|okay|fine|well|normal|"
    r"alright)\b|\bany (?:abnormal|high|low|odd)\b|\bnow\s*\??\s*$|\bcheck (?:on|up on)\b|"
    r"\b(?:temps|pressures|parameters|values|numbers)\s*\??\s*$|"
    r"^\s*how(?:'s| is| are)\s+(?:the\s+|our\s+|my\s+)?[\w/ -]{1,40}\??\s*$",
    re.IGNORECASE,
)

_HISTORY = re.compile(
    r"\b(?:happened before|seen (?:this|that|it) before|before\?|before$|history|"
    r"last time|previous(?:ly)?|in the past|what fixed|how did we fix|root cause|"
    r"last (?:had|have|fault|failure|problem|trip\w*|breakdown|break ?down|shut ?down|"
    r"blackout|alarm|leak)|did we (?:have|fix|see)|has (?:the |this |that |"
    r"it )?.*\bbefore\b|had .* before|when did (?:\w+ ){0,4}last|recurring|again\?)",
    re.IGNORECASE,
)

_QUESTION = re.compile(
    r"^\s*(?:how|what|whats|what's|why|where|wheres|where's|when|which|who|can|could|should|"
    r"is|are|does|do|explain|describe|tell me|show me|find|give me|procedure|steps?|"
    r"checklist|instructions?|manual|guide|walk me|talk me|run me)\b|\?\s*$|"
    r"\b(?:procedure|checklist|steps to|walk me through|talk me through|run me through|"
    r"guide me|show me how|how does|"
    r"how to|how do|how often|manual|instructions|setpoint|set point|torque|clearance|"
    r"interval|spec|specification|tolerance|capacity|what oil|which oil|grade|should be|"
    r"correct|allowed|maximum|minimum|max allowed|normal range|meaning|mean|means)\b",
    re.IGNORECASE,
)

_MANUAL_STRONG = re.compile(
    r"\b(?:procedure|checklist|steps to|how to|how do|how often|manual|instructions|setpoint|"
    r"walk me through|talk me through|run me through|guide me|show me how|how does|"
    r"set point|torque|clearance|interval|spec|specification|tolerance|should|correct|allowed|"
    r"what oil|which oil|grade|mean|meaning)\b",
    re.IGNORECASE,
)

_SYMPTOM = re.compile(
    r"\b(?:leak\w*|weep\w*|drip\w*|piss\w*|pour\w*|spray\w*|alarms?|alrm|tripp?(?:ed|ing|s)?|"
    r"fail\w*|faulty|fault|broken|broke|burst|cracked?|seized|stuck|jammed|blocked|clogged|"
    r"choked|fouled|contaminated|wont|won't|doesnt|doesn't|didnt|didn't|cant|can't|not "
    r"(?:working|running|starting|holding|turning|pumping|priming|firing|cooling|responding)|"
    r"no (?:pressure|flow|power|suction)|noisy|noise|grinding|knocking|banging|rattl\w*|"
    r"whistl\w*|squeal\w*|vibrat\w*|hot|overheat\w*|running hot|high temp\w*|temp\w* (?:hi|high)|"
    r"hi temp|low|dropping|dropped|drop|smok\w*|fire|flame|sparks?|surg\w*|hunting|swing\w*|"
    r"slipp?\w*|short cycling|cycling|dumping|overflow\w*|error|errors|jumping|off by|"
    r"flat|dead|u/s|unserviceable|defect\w*|stinking|smell\w*|worn|loose|damaged?|"
    r"intermittent\w*|erratic|unstable|tripping|shut ?down|stopped|stalled|cavitat\w*|"
    r"slow|sluggish|missing|lost|losing|excessive|abnormal|wrong|bad|problem|issue|"
    r"overspeed|underspeed|black|white smoke|blowing|blown|crank\w* but|running continuously|"
    r"keeps|rep|repair|u\.s\.|lifting|off \d+|indication off|not right|out of)\b",
    re.IGNORECASE,
)


@dataclass
class Intent:
    """What a message asks for, with the slots the engine needs."""

    kind: IntentKind
    priority: str | None = None
    ref_kind: Literal["work_order", "fault"] | None = None
    ref_id: int | None = None
    status: str | None = None
    note: str | None = None
    hours: float | None = None
    list_what: Literal["faults", "work_orders", "both"] = "both"
    wo_kind: str = "corrective"
    due_in: timedelta | None = None
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def is_manipulation(text: str) -> bool:
    """Whether a text tries to steer the assistant (injection, bulk or destructive asks)."""
    return bool(_MANIPULATION.search(text))


def names_record(text: str) -> bool:
    """Whether a text names a work order or fault by number ('add note to WO 12: ...')."""
    return _ref(text) is not None


def _ref(text: str) -> tuple[Literal["work_order", "fault"], int] | None:
    m = _REF.search(text)
    if not m:
        return None
    kind = m.group("kind").lower()
    ref_kind: Literal["work_order", "fault"] = (
        "fault" if kind.startswith(("fault", "defect", "report", "ticket")) else "work_order"
    )
    return ref_kind, int(m.group("num"))


def _update_slots(intent: Intent, text: str) -> None:
    t = text.lower()
    fault = intent.ref_kind == "fault"
    status: str | None = None
    if re.search(r"\bre-?open(?:ed)?\b|\bis back\b|\bcame back\b|\bback again\b", t):
        status = "open"
    elif re.search(r"\back(?:nowledge)?d?\b|\backnowledged?\b", t):
        status = "acknowledged" if fault else None
    elif re.search(
        r"\bin[- ]progress\b|\bstarted\b|\bworking on\b|\bunderway\b|\bstart(?:ing)? "
        r"(?:work|on)\b",
        t,
    ):
        status = "in_progress"
    elif re.search(r"\bcancel(?:led|ed)?\b|\bnot needed\b|\bno longer needed\b", t):
        status = "cancelled" if not fault else None
    elif re.search(r"\bfixed\b|\bresolved?\b|\brepaired\b|\brectified\b|\bsorted\b", t):
        status = "resolved" if fault else "done"
    elif re.search(
        r"\bclose[ds]?\b|\bdone\b|\bcomplete[ds]?\b|\bfinish(?:ed)?\b|"
        r"\bcompleted\b",
        t,
    ):
        status = "closed" if fault else "done"
    intent.status = status
    note: str | None = None
    m = re.search(r"\bnote\b[^:]*?\d+(?!\d)\s*[:,-]?\s*(?P<n>.+)$", text, re.IGNORECASE)
    if m and m.group("n").strip():
        note = m.group("n").strip()
    elif ":" in text:
        note = text.split(":", 1)[1].strip() or None
    elif re.search(r"\bon hold\b|\bwaiting\b|\bhold\b", t):
        note = text.strip()
    elif status is not None:
        rest = _REF.sub(" ", text)
        rest = re.sub(
            r"\b(?:close|closed|mark|set|as|to|done|complete|completed|finished|"
            r"fixed|resolved|reopen|re-open|acknowledge|in progress|it'?s|is|the|"
            r"job|now)\b",
            " ",
            rest,
            flags=re.IGNORECASE,
        )
        rest = re.sub(r"[\s,.;-]+", " ", rest).strip()
        if len(rest.split()) >= 2:
            note = text.strip()
    intent.note = note
    h = re.search(r"(\d+(?:\.\d+)?)\s*(?:hrs?|hours?|h)\b", t)
    if h and not fault:
        intent.hours = float(h.group(1))
    p = explicit_priority(text)
    if p and re.search(r"\bprio|urgent|critical", t):
        intent.priority = p.priority.value


def _create_slots(intent: Intent, text: str) -> None:
    t = text.lower()
    if re.search(r"\binspect\w*|\bsurvey|\bcheck\b", t):
        intent.wo_kind = "inspection"
    elif re.search(r"\bpreventi?ve|\bpreventative|\bplanned|\broutine\b|\bpms?\b", t):
        intent.wo_kind = "preventive"
    if re.search(r"\btomorrow\b", t):
        intent.due_in = timedelta(days=1)
    elif re.search(r"\bnext week\b", t):
        intent.due_in = timedelta(days=7)
    elif re.search(r"\btoday\b|\btonight\b", t):
        intent.due_in = timedelta(hours=12)


def recognise(text: str) -> Intent:
    """Recognise what a (normalised) message asks for."""
    t = text.strip()
    low = t.lower()
    if not t:
        return Intent("smalltalk")
    if _MANIPULATION.search(t):
        return Intent("refuse", reason="manipulation")
    ref = _ref(t)
    if ref is not None:
        intent = Intent("update_work_order", ref_kind=ref[0], ref_id=ref[1])
        _update_slots(intent, t)
        return intent
    if _REPORT.search(t) and not _CREATE_WO.search(t):
        return Intent("report_fault")
    if _CREATE_WO.search(t):
        stated = explicit_priority(t)
        intent = Intent("create_work_order", priority=stated.priority.value if stated else None)
        _create_slots(intent, t)
        return intent
    if _OFF_TOPIC.search(t) and not _STOCK.search(t):
        return Intent("refuse", reason="off_topic")
    if _SMALLTALK.match(t) and not _SYMPTOM.search(t.split(" ", 1)[-1] if " " in t else ""):
        return Intent("smalltalk")
    if (_LIST_OPEN.search(t) or _LIST_ALL.search(t)) and not _CREATE_WO.search(t):
        what: Literal["faults", "work_orders", "both"] = "both"
        has_fault = re.search(r"\b(?:faults?|defects?|issues?)\b", low)
        has_wo = re.search(r"\b(?:work ?orders?|w\.?o\.?s?|jobs?|tasks?)\b", low)
        if has_fault and not has_wo:
            what = "faults"
        elif has_wo and not has_fault:
            what = "work_orders"
        return Intent("list_open", list_what=what)
    if PART_NUMBER.search(t) and re.search(r"\bpart|stock|spare|have\b", low):
        return Intent("part_stock")
    if _HOW_MANY.search(t):
        return Intent("part_stock")
    if _STOCK.search(t) and (_STOCK_QTY.search(t) or re.search(r"\bstock\b|\bspare", low)):
        return Intent("part_stock")
    if _HISTORY.search(t) and not re.search(r"\bbefore (?:departure|start|starting|use)\b", low):
        return Intent("history")
    if _HEALTH.search(t) and not _MANUAL_STRONG.search(t):
        return Intent("equipment_health")
    if _QUESTION.search(t):
        if re.search(
            r"^\s*(?:what'?s|what is|whats)\s+(?:the\s+)?(?:current\s+)?\w*\s*"
            r"(?:temp\w*|pressure|press|rpm|load|level|speed|hours|reading)",
            low,
        ) and (not _MANUAL_STRONG.search(t)):
            return Intent("equipment_health")
        return Intent("answer")
    if _SYMPTOM.search(t):
        return Intent("report_fault")
    return Intent("unknown")


_YES = re.compile(
    r"^\s*(?:yes|yes please|yep|yup|yeah|yea|ya|y|ok|okay|sure|confirm|confirmed|correct|"
    r"affirmative|aye|go ahead|do it|please do|file it|send it|that'?s right|right|"
    r"sounds good|go)\b[\s!.]*(?:please|thanks|thank you|do it|go ahead|file it|confirm)?"
    r"[\s!.]*$",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(?:no|nope|nah|n|cancel|stop|abort|don'?t|do not|never ?mind|forget it|scrap that|"
    r"wrong|not that)\b",
    re.IGNORECASE,
)


def is_yes(text: str) -> bool:
    """Whether a reply confirms."""
    return bool(_YES.match(text))


def is_no(text: str) -> bool:
    """Whether a reply declines or corrects ('no', 'cancel', 'no, ME1')."""
    return bool(_NO.match(text))


def after_no(text: str) -> str:
    """Return what follows a leading 'no' ('no, ME1' -> 'ME1')."""
    return _NO.sub("", text, count=1).strip(" ,.;:-!")
