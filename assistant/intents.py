"""Intent recognition and slot filling for the offline engine: what the crew member wants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from assistant.dates import due_phrase
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
    r"drop table|delete from|;\s*--|union select|\b(?:bypass|disable|defeat|override|inhibit|"
    r"jumper out|bridge out|gag)\b.{0,40}\b(?:alarms?|trips?|"
    r"interlocks?|safet(?:y|ies)|shut ?downs?|15 ?ppm|oil content meter|ocm|fire detection|"
    r"detectors?)\b|"
    r"without (?:the )?(?:15 ?ppm|oil content|ocm|alarm)|(?:pump|discharge|dump) (?:\w+ )?"
    r"overboard|(?:mark|close|set|resolve) (?:every|all) (?:the )?(?:open )?"
    r"(?:faults?|work ?orders?|jobs?)|(?:delete|remove|erase|wipe|purge) (?:(?:all|every|the|"
    r"this|that|a|these|those|old|closed|open|[a-z]{1,4}\d{1,2})\s+){0,3}"
    r"(?:faults?|work ?orders?|wos?|jobs?|records?|history|data)\b|"
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

_BARE_REF = re.compile(
    r"^\s*(?:(?:pls|please|can you|could you|can u|kindly|ok|okay|and|then|now)\s+)*"
    r"(?:(?:close|complete|finish|sign off|cancel|re-?open|ack(?:nowledge)?)(?:\s+(?:off|out))?|"
    r"assign|reassign|update)\s+(?:no\.?\s*|number\s+|#\s*)?(?P<num>\d{1,6})(?![\d./:%])\b"
    r"(?=\s*(?:$|[,;:.!\-\u2013]|(?:as|to|with|done|off|pls|please|now|it'?s|is|for|by|"
    r"from)\b|and\b(?!\s*#?\d)))|"
    r"^\s*(?:(?:mark|set)\s+)?#?(?P<num2>\d{1,6})\s+(?:(?:is|now|has been|was|as|to)\s+)*"
    r"(?:done|closed|complete[d]?|finished|cancell?ed|fixed|sorted|in[- ]progress|started|"
    r"re-?opened|ack(?:nowledged)?)\b|"
    r"^\s*(?:pls\s+|please\s+)?(?:add|put|write|leave)\s+(?:a\s+|another\s+)?(?:note|comment)s?\s+"
    r"(?:to|on|for|in)\s+#?(?P<num3>\d{1,6})(?![\d./:%])\b",
    re.IGNORECASE,
)
"""A change to a record named by its number alone: 'close 318, mat renewed', '318 done',
'assign 276 to the 2/E', 'update 74 with still alarming', 'add a note to 74 that ...' (the
tool finds which record)."""

_NOTE_MARK = re.compile(
    r"\b(?:add|adding|put|putting|write|leave|log|make|enter|attach|insert|pop|stick|drop|"
    r"append|include)\s+(?:in\s+|on\s+|down\s+|up\s+|into\s+)?(?:a\s+|an\s+|the\s+|another\s+|"
    r"one more\s+|this\s+|my\s+)?(?:note|comment|remark)s?\b|"
    r"\b(?:with|and)\s+(?:a\s+|the\s+)?(?:note|comment|remark)\b|"
    r"\b(?:note|comment|remark)s?\s*[:\u2013-]|^\s*(?:note|comment|remark)s?\b|"
    r"\bupdate\b[^,.;:]{0,30}?\bwith\b",
    re.IGNORECASE,
)
"""Where a note's words begin: 'add a note (that) ...', 'note: ...', 'put in the note ...',
'update 74 with ...'."""
_RECORD_NAMED = (
    r"(?:work ?orders?|w\.?o\.?s?|jobs?|tasks?|faults?|defects?|tickets?|reports?)\s*"
    r"(?:no\.?|number|nr|#)?\s*#?\d+"
)
_NOTE_TARGET = re.compile(
    rf"^\s*(?:(?:to|on|for|in|into|against|under|of)\s+(?:the\s+)?(?:{_RECORD_NAMED}|#?\d+|it|"
    rf"this|that|(?:this |that |the )?(?:job|wo|work ?order|fault|defect|record)(?!\s*#?\d))|"
    rf"(?:the\s+)?{_RECORD_NAMED})\b",
    re.IGNORECASE,
)
"""The record a note is for, right after its marker: 'to WO 12', 'on fault 74', 'to it'."""
_NOTE_LEAD = re.compile(
    r"^(?:\s*(?:[:,;\u2013-]+|(?:saying|that says|which says|to say|reading|stating|that|as|"
    r"pls|please|just)\b))+\s*",
    re.IGNORECASE,
)
_NOTE_TAIL = re.compile(r"[\s,.;:!-]*(?:\b(?:pls|please|thanks|thx|cheers|ta)\b[\s,.!]*)*$", re.I)

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
_STOCK_QTY = re.compile(
    r"\b(?:how many(?!\s+(?:more\s+)?(?:hours|hrs|h|days|weeks|months)\b)|do we have|"
    r"have we got|got any|any)\b",
    re.IGNORECASE,
)
"""Asking a quantity of something kept ('how many hours left' counts time, not stock)."""
_HOW_MANY = re.compile(
    r"\bhow many\b(?!\s+(?:more\s+)?(?:hours|hrs|h|days|weeks|months)\b).*"
    r"\b(?:do we have|have we got|on board|left|got|in store|remaining)\b|"
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

_PARAMETER_ASKED = re.compile(
    r"\b(?:level|press(?:ure)?|temp(?:erature)?|rpm|load|amps?|current|voltage|flow|speed|"
    r"revs|frequency)\s*\??\s*$",
    re.IGNORECASE,
)
"""'BT2 hpu oil level': equipment and a measured quantity, nothing said about it."""
_DEVIATION = re.compile(
    r"\b(?:high|hi|low|hot|cold|rising|falling|dropping|fluctuat\w*|unstable|zero|max(?:ed)?|"
    r"too|over|under|above|below|off|abnormal|\d+)\b",
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
    assignee: str | None = None
    due: str | None = None
    """Words of a record's new due date ('push to friday', '15 dec'); see assistant.dates."""

    def update_args(self) -> dict[str, object]:
        """Return the update_work_order arguments of a change to a numbered record.

        A number said without its kind ('close 318' after a list) goes as ``number``: the
        tool finds which record it is.
        """
        key = {"fault": "fault_id", "work_order": "work_order_id"}.get(self.ref_kind or "")
        args: dict[str, object] = {key or "number": self.ref_id}
        for name in ("status", "note", "priority", "hours", "assignee", "due"):
            value = getattr(self, name)
            if value is not None:
                args[name] = value
        return args


_QTY_NEEDED = re.compile(
    r"\b(?:does|do|will|would)\s+(?:it|they|this|that|the\s+\w+(?:\s+\w+)?)\s+"
    r"(?:take|need|hold|use|require)\b|\b(?:is|are)\s+(?:needed|required)\b|"
    r"\bto (?:fill|top up|refill)\b|\bcapacity\b",
    re.IGNORECASE,
)
"""A quantity a job or machine needs ('how many litres does it take'): the manual's, not stock."""


def is_stock_ask(text: str) -> bool:
    """Whether a text asks about spares in store (stock words), not a quantity in general."""
    if _QTY_NEEDED.search(text) and not _STOCK.search(text):
        return False
    return bool(_STOCK.search(text) or _STOCK_QTY.search(text) or _LOW_STOCK.search(text))


def is_manipulation(text: str) -> bool:
    """Whether a text tries to steer the assistant (injection, bulk or destructive asks)."""
    return bool(_MANIPULATION.search(text))


def names_record(text: str) -> bool:
    """Whether a text names a work order or fault by number ('add note to WO 12: ...').

    A change to a number said without its kind ('close 318, mat renewed') names one too.
    """
    return _ref(text) is not None or _bare_ref(text) is not None


def _bare_ref(text: str) -> int | None:
    """Return the number a change names without saying work order or fault ('close 318')."""
    m = _BARE_REF.search(text)
    if not m:
        return None
    return int(m.group("num") or m.group("num2") or m.group("num3"))


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
    mark = _NOTE_MARK.search(text)
    if (
        mark
        and mark.group(0).lower().startswith("update")
        and re.search(
            r"\b(?:close[ds]?|done|complete[ds]?|finished|cancel\w*|re-?open\w*|in progress)\b|"
            r"\d\s*(?:hrs?|hours?|h)\b",
            text[mark.end() :],
            re.IGNORECASE,
        )
    ):
        mark = None  # 'update WO 12 with 3 hrs and close it': a change, not a note
    said = text[: mark.start()] if mark else text  # a note's own words change nothing else
    if mark is None and re.search(r"\bnote\b[^:]*:", said, re.IGNORECASE):
        said = said.split(":", 1)[0]
    t = said.lower()
    fault = intent.ref_kind == "fault"
    status: str | None = None
    if re.search(r"\bre-?open(?:ed)?\b|\bis back\b|\bcame back\b|\bback again\b", t):
        status = "open"
    elif re.search(r"\back(?:nowledge)?d?\b|\backnowledged?\b", t):
        status = "acknowledged" if fault or intent.ref_kind is None else None
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
    if mark is not None:
        note = _note_after(text[mark.end() :]) or _note_before(said)
    elif ":" in text and not re.search(
        r"\b(?:assignee|assign(?:ed)? to|due(?: date)?|deadline|prio(?:rity)?)\s*:", text, re.I
    ):
        said, _, after = text.partition(":")
        note = after.strip() or None
    elif re.search(r"\bon hold\b|\bwaiting\b|\bhold\b", t):
        note = text.strip()
    elif status is not None:
        note, said = _said_with_status(text)
    intent.note = note
    h = re.search(r"(\d+(?:\.\d+)?)\s*(?:hrs?|hours?|h)\b", t)
    if h and not fault:
        intent.hours = float(h.group(1))
    p = explicit_priority(text)
    if p and re.search(r"\bprio|urgent|critical", t):
        intent.priority = p.priority.value
    # who and when come from the change's own words, never from inside a note
    who = _ASSIGN.search(said)
    if who and not fault:
        intent.assignee = (who["who"] or who["who2"]).strip()
    if not fault and status not in ("done", "cancelled"):
        intent.due = due_phrase(_REF.sub(" ", said))


_ASSIGN = re.compile(
    r"\b(?:re-?assign(?:ed)?|assign(?:ed)?|allocat(?:e|ed)|give|hand(?:ed)?(?: over)?|"
    r"pass(?:ed)?(?: over)?|transfer(?:red)?)\b(?:\s+(?:it|this|that|(?:the\s+)?(?:work ?order|"
    r"w\.?o\.?|job|task)(?:\s*(?:no\.?|#)?\s*\d+)?|#?\d+))?(?:\s+from\s+[\w/ .'-]{1,30}?)?"
    r"\s+(?:to|over to)\s+(?:the\s+)?(?P<who>[\w/.'-]+(?:\s+[\w/.'-]+){0,3}?)\s*"
    r"(?:[,;:!?]|\.(?:\s|$)|\b(?:and|for|pls|please|thanks|asap|today|tomorrow)\b|$)|"
    r"\bassignee\s*[:=-]?\s*(?P<who2>[\w/.'-]+(?:\s+[\w/.'-]+){0,3}?)\s*(?:[,;:!?]|$)",
    re.IGNORECASE,
)
"""Who a job goes to: 'assign WO 276 to 2nd eng', 'give it to the motorman', 'reassign 276
from Ola to Sarah', 'assignee: ETO'."""


def _note_after(words: str) -> str | None:
    """Return the note that follows its marker, without the record it is for or a lead-in."""
    rest = _NOTE_TARGET.sub("", words.strip(), count=1)
    rest = _NOTE_LEAD.sub("", rest.strip(), count=1)
    rest = re.sub(r"^(?:it'?s|it is)\s+(?=\S)", "", rest, flags=re.IGNORECASE)
    rest = re.sub(
        rf"\s+(?:on|for|to|in|against)\s+(?:the\s+)?{_REF.pattern}\s*[.!]*$",
        "",
        rest,
        flags=re.IGNORECASE,
    )  # 'note: waiting for spares on WO 12': the record is not part of the note
    rest = _NOTE_TAIL.sub("", rest).strip()
    return rest or None


def _note_before(said: str) -> str | None:
    """Return a note said before its marker ('still alarming, add a note to fault 74')."""
    rest = _BARE_REF.sub(" ", _REF.sub(" ", said))
    rest = re.sub(
        r"^[\s,;:.-]*(?:(?:its|it'?s|already|just|pls|please|so|and|ok)\b[\s,;:.-]*)*|"
        r"(?:[\s,;:.-]*\b(?:and|just|pls|please|so|then|can you|could you)\b)*[\s,;:.-]*$",
        "",
        rest,
        flags=re.IGNORECASE,
    )
    return rest if len(rest.split()) >= 2 else None


def _said_with_status(text: str) -> tuple[str | None, str]:
    """Split a status change from what it says of the work: (note, the change's own words).

    'close 318, T/C washed and mat renewed' -> ('T/C washed and mat renewed', 'close 318');
    a message that says more than its change in one piece is a note as a whole.
    """
    cut = re.search(r"\s*(?:[,;]|\s[-\u2013]\s)\s*", text.strip())
    head, tail = (text.strip()[: cut.start()], text.strip()[cut.end() :]) if cut else (text, "")
    if len(tail.split()) >= 2 and (_REF.search(head) or _BARE_REF.search(head)):
        left = _BARE_REF.sub(" ", _REF.sub(" ", head))
        left = re.sub(_STATUS_WORDS, " ", left, flags=re.IGNORECASE)
        if len(left.split()) <= 1:
            return tail.strip(), head
    rest = _BARE_REF.sub(" ", _REF.sub(" ", text))
    rest = re.sub(_STATUS_WORDS, " ", rest, flags=re.IGNORECASE)
    rest = re.sub(r"[\s,.;-]+", " ", rest).strip()
    return (text.strip() if len(rest.split()) >= 2 else None), text


_STATUS_WORDS = (
    r"\b(?:close|closed|mark|set|as|to|done|complete|completed|finished|fixed|resolved|reopen|"
    r"re-open|ack|acknowledged?|in progress|it'?s|is|the|job|now|pls|please|off|out|sign)\b"
)


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
    bare = _bare_ref(t) if ref is None else None
    if ref is not None or bare is not None:
        intent = (
            Intent("update_work_order", ref_kind=ref[0], ref_id=ref[1])
            if ref is not None
            else Intent("update_work_order", ref_id=bare)
        )
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
    if _PARAMETER_ASKED.search(t) and not _SYMPTOM.search(t) and not _DEVIATION.search(t):
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


# --- questions about the vessel's state (plans, running hours, statistics, overdue, spares) ----

StateTool = Literal[
    "plans_due",
    "running_hours",
    "fault_statistics",
    "overdue_work_orders",
    "part_stock",
    "update_by_description",
]


@dataclass
class StateAsk:
    """A question about the vessel's state, or a change to a record named by description."""

    tool: StateTool
    args: dict[str, object] = field(default_factory=dict)


_RUNNING_HOURS = re.compile(
    r"\brunning[\s-]?(?:hours?|hrs?|h)\b|\brun(?:ning)? ?hrs\b|\br/?h(?:rs)?\s+(?:of|on|for)\b|"
    r"\bhour ?meter\b|\bhours? counter\b|\bhow many hours (?:has|have|does|on|is|are)\b|"
    r"\b(?:what|whats|what's)\s+(?:are\s+|is\s+)?(?:the\s+)?hours (?:on|of)\b|"
    r"^\s*[\w/ -]{1,30}\s(?:hours|hrs|rhs?)\s*\??\s*$",
    re.IGNORECASE,
)
_PLANS = re.compile(
    r"\bnext\b.{0,40}\bdue\b|\bwhen\b.{0,60}\bdue\b|\bdue\b.{0,12}\b(?:next|soon|date)\b|"
    r"\bwhat(?:'s| is|s)? (?:coming )?due\b|\b(?:is|are|anything|what'?s)\b.{0,30}\bdue "
    r"(?:this|next|within|in the next)\b|\bdue (?:this|next) (?:week|month)\b|"
    r"\bwhen (?:is|'s|was) (?:the )?next\b|\bnext (?:service|overhaul|maintenance|pms?|"
    r"planned maintenance|inspection|filter change|oil change|\d+ ?h(?:ou)?rs? service)\b|"
    r"\b(?:pms?|maintenance plans?|planned maintenance|plans?|routines?|services?|jobs?)\b"
    r".{0,30}\b(?:due|coming up)\b|\boverdue (?:pms?|plans?|maintenance|services?|"
    r"inspections?|routines?|tests?)\b|\b(?:pms?|plans?|maintenance|services?|routines?|"
    r"tests?|inspections?|checks?|samples?|changes?) (?:are |is )?overdue\b|"
    r"\bhours (?:left|to go) (?:to|until|till|before)\b|\bdue\s+(?:when|date)\b|"
    r"\bhow many (?:more )?(?:hours|hrs|days) (?:left|to go|remaining)\b|"
    r"\b\d+\s?(?:h|hrs?|hours?)\s+due\b(?!\s+to\b)|"
    r"\b(?:service|inspection|check|change|sample|overhaul|test|wash|clean)\w*\s+due\s*\??\s*$|"
    r"\bhow long (?:til|till|until|to|before)\b|"
    r"\b(?:service|inspection|check|change|sample|overhaul|test|wash|clean)\w*\s+(?:due\s+)?"
    r"when\s*\??\s*$|\bnext\s+(?:\w+\s+){0,3}(?:inspection|service|overhaul|change|test|"
    r"check|wash|sample)s?\b|"
    # "when is its 500h service": the date of a planned job on this equipment
    r"\bwhen(?:'s| is| are)\s+(?:the |its |it'?s |their )?(?:[\w/-]+\s+){0,3}?(?:service|"
    r"inspection|overhaul|change|test|check|wash|sample)s?\b|"
    # "emcy gen weekly test done?", "has the 500h on DG2 been done": the plan and its record
    r"\b(?:service|inspection|overhaul|change|test|check|wash|sample|clean|pms?|round|run)"
    r"\w*\s+(?:been\s+)?(?:done|carried out|completed)\b(?:\s+yet)?\s*\??\s*$|"
    r"\b(?:has|have|was|were|did|is)\b.{0,40}\b(?:service|inspection|overhaul|test|check|"
    r"wash|sample|pms?)\w*\b.{0,30}\b(?:done|carried out|completed)\b|"
    # "the intermediate service, purifier hrs": a planned job counted in running hours
    r"\b(?:intermediate|major|minor|annual|top|\d+\s?h)\s+(?:service|overhaul|inspection)\b"
    r".{0,40}\b(?:hrs|hours|rhs?)\b",
    re.IGNORECASE,
)
_STATS = re.compile(
    r"\bhow many (?:faults?|failures?|breakdowns?|defects?|trips?|times|alarms?|problems?|"
    r"issues?)\b|\bhow (?:often|many times) (?:has|have|did|does)\b.{0,40}\b(?:fail|failed|"
    r"trip|tripped|break|broke|broken|fault|faults|down)\b|\b(?:breaks?|broke|broken) down\b"
    r".{0,20}\bmost\b|\bmost\b.{0,20}\b(?:faults?|failures?|breakdowns?|problems?|trouble|"
    r"unreliable|defects?)\b|\b(?:faults?|failures?|breakdowns?|defects?)\b.{0,30}\bmost\b|"
    r"\bmtbf\b|\bmttr\b|\bmean time (?:between|to)\b|\b(?:fault|failure|breakdown|defect) "
    r"(?:stats|statistics|count|counts|rate|numbers|trend)\b|\bworst (?:machine|equipment|"
    r"offender|kit)\b|\bleast reliable\b|\bstatistics\b|"
    r"\b(?:fails?|failing|breaks?|trips?|tripping)\s+(?:the\s+)?most\b|"
    r"\b(?:faults?|failures?|breakdowns?|trips?|defects?)\b.{0,40}\bhow many\b|"
    r"\bworst\b.{0,30}\b(?:breakdowns?|faults?|failures?|reliability|record)\b|"
    r"\btotal (?:number of )?(?:faults?|failures?|breakdowns?)\b|"
    r"\bhow many\b.{0,30}\b(?:faults?|failures?|breakdowns?|defects?)\b|"
    r"\b(?:faults?|failures?|breakdowns?) (?:logged|recorded|reported)\b|"
    r"^\s*(?:any\s+)?[\w/ -]{1,30}\s(?:faults|breakdowns|failures)\s*\??\s*$",
    re.IGNORECASE,
)
_FITTING_PARTS = re.compile(
    r"\b(?:parts?|spares?)\s+(?:that\s+|which\s+)?(?:fit|fits|for)\b|\bspares? list\b|"
    r"\bspare parts? (?:for|of)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\bhow much\b.{0,40}\b(?:on board|onboard|left|in stock|remaining|have we got|do we have)\b|"
    r"\bhow many (?:kg|kgs|l|litres|liters|ltrs?|pcs|sets|drums|pails)\b|\bqty\b|"
    r"\bquantity\b|\bin stock\b|\bon board\s*\??\s*$|"
    r"\bhow many\b.{0,40}\b(?:sets?|pcs|pieces|elements?|inserts?|kits?|spares?)\b",
    re.IGNORECASE,
)
_OVERDUE_WO = re.compile(
    r"\boverdue\b|\bpast (?:their |its )?due\b|\blate (?:work ?orders?|wos?|jobs?)\b",
    re.IGNORECASE,
)
_LOW_STOCK = re.compile(
    r"\b(?:at|below|under|on|reached|hit|near|under the)\s+(?:the\s+|their\s+|its\s+)?"
    r"(?:min(?:imum)?s?|min\.? stock|minimum stock|reorder (?:level|point))\b|"
    r"\bbelow min\b|\blow (?:on )?(?:stock|spares)\b|\b(?:spares?|stock|parts?)\b.{0,30}"
    r"\b(?:running low|need(?:s)? (?:re)?order(?:ing)?|to (?:re)?order)\b|\breorder\b|"
    r"\brunning low\b",
    re.IGNORECASE,
)
_CHANGE_VERB = re.compile(
    r"\b(?:close|closing|closed|complete|completed|completing|finish|finished|done|sign(?:ed)? "
    r"off|started|starting|start(?:ed)? on|begun|in[- ]progress|set (?:it |that )?(?:to|as|in)|"
    r"mark|cancel|cancelled|assign|reassign|priority|prio|add (?:a )?note)\b|"
    r"^\s*(?:a\s+)?note\s+(?:on|to|for)\b",  # "note on the sewage fault: membrane on order"
    re.IGNORECASE,
)
_RECORD_WORD = re.compile(
    r"\b(?:wo|w\.o\.|work ?orders?|job|job card|task|pms?|fault|defect)\b", re.IGNORECASE
)
_PART_USED = re.compile(
    r"\b(?:new|renewed|replaced|fitted|used|with)\s+(?:(?P<n>\d+)\s*(?:x\s*)?)?"
    r"(?P<part>(?:[a-z/-]+\s){0,3}(?:mat|filter|element|insert|kit|seal|gasket|o-?rings?|"
    r"belt|impeller|bearing|nozzle|cartridge|membrane|coalescer|anode|strainer|plug|valve)s?)\b",
    re.IGNORECASE,
)
_WITHIN = re.compile(
    r"\b(?:within|in the next|next|in)\s+(?P<n>\d+)\s*(?P<u>days?|weeks?|months?)\b",
    re.IGNORECASE,
)


def _due_within(text: str) -> float | None:
    t = text.lower()
    m = _WITHIN.search(t)
    if m:
        unit = m["u"].rstrip("s")
        return float(int(m["n"]) * {"day": 1, "week": 7, "month": 30}[unit])
    if re.search(r"\b(?:this|next) week\b", t):
        return 7.0
    if re.search(r"\b(?:this|next) month\b", t):
        return 30.0
    if re.search(r"\btoday\b|\btomorrow\b", t):
        return 1.0
    return None


def _description_change(text: str) -> StateAsk:
    intent = Intent("update_work_order", ref_kind="work_order")
    low = text.lower()
    record = "fault" if re.search(r"\b(?:fault|defect)\b", low) else "work_order"
    if record == "fault":
        intent.ref_kind = "fault"
    _update_slots(intent, text)
    args: dict[str, object] = {"record": record, "title_words": text}
    if re.search(r"\bset (?:it |that )?(?:in|to) progress\b|\bstart(?:ed|ing)? on\b", low):
        intent.status = "in_progress"
    for key in ("status", "priority", "hours", "due"):
        value = getattr(intent, key)
        if value is not None:
            args[key] = value
    _, _, rest = text.partition(",")
    if re.search(r"\bnote\b[^:]*:", text, re.IGNORECASE):
        rest = text.split(":", 1)[1]  # the note is all that follows its record's name
    said = re.sub(
        r"\bset (?:it |that )?(?:in|to|as) ?progress\b|\b(?:done|completed|finished|closed|"
        r"complete|in progress|started)\b|\d+(?:\.\d+)?\s*(?:hrs?|hours?|h)\b|[,.;]",
        " ",
        rest,
        flags=re.IGNORECASE,
    )
    if len(said.split()) >= 2:
        args["note"] = rest.strip(" ,.")
    uses = [
        {"part": m["part"].strip(), "quantity": float(m["n"] or 1)}
        for m in _PART_USED.finditer(rest or "")
    ]
    if uses and record == "work_order":
        args["parts"] = uses
    m = re.search(r"\bassign(?:ed)?(?: it)? to (?:the )?(?P<who>[\w ]{2,40}?)\s*(?:[,.]|$)", low)
    if m:
        args["assignee"] = m["who"].strip()
    elif intent.assignee:
        args["assignee"] = intent.assignee
    return StateAsk("update_by_description", args)


def state_question(text: str) -> StateAsk | None:
    """Spot a state question, or a change to an open record named by description.

    State questions: plans due, running hours, fault statistics, overdue work, low spares.
    A described change: 'close the ME1 T/C wash WO'. Returns None for anything else
    (reports, new work orders, manual questions, numbered records): the rest of recognition
    decides.
    """
    t = text.strip()
    if not t or _MANIPULATION.search(t) or _REF.search(t):
        return None
    if _REPORT.search(t) or _CREATE_WO.search(t):
        return None
    low = t.lower()
    if _CHANGE_VERB.search(t) and _RECORD_WORD.search(t) and not _QUESTION_START.match(t):
        return _description_change(t)
    if (
        _STATS.search(t)
        and not _LIST_ALL.search(t)
        and not re.search(
            r"\b(?:open|outstanding|pending|active|current|unresolved|overdue|still)\b", low
        )
    ):
        args: dict[str, object] = {"period": t}
        if re.search(r"\b(?:type|class|kind) of (?:equipment|machinery|machine)\b", low):
            args["group_by"] = "class"
        top = re.search(r"\btop (\d+)\b", low)
        if top:
            args["top"] = int(top.group(1))
        return StateAsk("fault_statistics", args)
    if _PLANS.search(t) and not _MANUAL_INTERVAL.search(t):
        plan_args: dict[str, object] = {"plan": t}
        if re.search(r"\boverdue\b", low):
            plan_args["overdue"] = True
        within = _due_within(t)
        if within is not None:
            plan_args["due_within_days"] = within
        return StateAsk("plans_due", plan_args)
    if _OVERDUE_WO.search(t):
        return StateAsk("overdue_work_orders")
    if _RUNNING_HOURS.search(t) and not _MANUAL_INTERVAL.search(t):
        return StateAsk("running_hours")
    if _LOW_STOCK.search(t) and (
        re.search(r"\b(?:spares?|stock|parts?|inventory|min(?:imum)?|reorder)\b", low)
    ):
        return StateAsk("part_stock", {"at_or_below_minimum": True})
    if _FITTING_PARTS.search(t) and not _MANUAL_INTERVAL.search(t):
        return StateAsk("part_stock", {"fits": True})
    if _QUANTITY.search(t) and not _MANUAL_INTERVAL.search(t) and not _SYMPTOM.search(t):
        return StateAsk("part_stock", {"query": t})
    return None


_QUESTION_START = re.compile(
    r"^\s*(?:how|what|whats|what's|why|where|when|which|who|is|are|does|do|can|should)\b",
    re.IGNORECASE,
)
_MANUAL_INTERVAL = re.compile(
    r"\bhow often\b|\binterval\b|\bevery \d+\b|\bprocedure\b|\bmanual\b|\bhow (?:do|to)\b|"
    r"\bsteps?\b|\bchecklist\b",
    re.IGNORECASE,
)
