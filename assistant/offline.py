"""The built-in offline engine: a LangChain chat model that decides tool calls by rules.

It recognises the intent of the crew member's last message, fills the slots (equipment
through the ``lookup_equipment`` tool, priority and symptoms from the text), calls the
tools, and writes the answer by selecting and citing sentences of retrieved passages.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from assistant.compose import compose_answer, compose_history
from assistant.intents import (
    _CREATE_WO,
    Intent,
    StateAsk,
    is_stock_ask,
    recognise,
    state_question,
)
from assistant.router import intent_for_route, question_fallback, route
from assistant.text import content_tokens, stated_value
from assistant.titles import clean_title
from records import priority as priority_rules

REFUSE_MANIPULATION = (
    "Sorry, I can't do that. I only help with this vessel's equipment and maintenance, "
    "nothing is deleted through me, and every change needs your confirmation."
)
REFUSE_OFF_TOPIC = (
    "Sorry, that's outside what I can help with. I'm here for the vessel's equipment: "
    "faults, work orders, readings, spares and the manuals."
)
REFUSE_DELETE = (
    "I can't delete records. I can cancel a work order or close a fault instead: tell me "
    "which one (e.g. 'cancel WO 55')."
)
GREETING = (
    "Hello! What can I do for you: report a fault, raise a work order, check a machine's "
    "readings, find a procedure or check spares?"
)
THANKS = "You're welcome. Anything else on board I can help with?"
NOTHING_FOUND = (
    "I found nothing in the manuals or the fault history that answers this, so I won't guess. "
    "I've logged the question for the admins so the right document can be added."
)

ROUTE_KEY = "bosun_route"
"""Key of a HumanMessage's additional_kwargs holding the engine's routing of the message."""


_HOW_TO = re.compile(
    r"^\s*(?:how (?:to|do (?:i|we|you)|should (?:i|we)|can (?:i|we))|what(?:'?s| is| are) the "
    r"(?:procedure|steps))\b",
    re.IGNORECASE,
)
"""A message that opens by asking how to do something: a question, whatever follows."""


def _tool_call(name: str, args: dict[str, Any]) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
        ],
    )


def _final(text: str, outcome: str, **meta: Any) -> AIMessage:
    return AIMessage(content=text, response_metadata={"bosun": {"outcome": outcome, **meta}})


def _title(text: str) -> str:
    return clean_title(text)


def _wo_title(text: str) -> str:
    t = _CREATE_WO.sub(" ", text, count=1)
    t = re.sub(
        r"^\s*(?:please|pls|to|for|:|-|that|so)\b[\s:,-]*", "", t.strip(" :-,"), flags=re.IGNORECASE
    )
    t = re.sub(r"^\s*(?:to|for)\s+", "", t, flags=re.IGNORECASE)
    return _title(t) if t.strip() else _title(text)


def _stock_query(text: str) -> str:
    t = re.sub(
        r"\b(?:how many|how much|qty|quantity|do we have|have we got|got any|do we carry|"
        r"in stock|on board|"
        r"onboard|stock of|check stock for|check stock|stock|spares?|any|left|part|"
        r"sets? of|please|pls|we|a|an|the|for|of|have|got|is|are|there)\b",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    return " ".join(re.sub(r"[?!.,]", " ", t).split())


def names_planned_job(text: str, resolved: dict[str, Any]) -> bool:
    """Whether a message only names one of the equipment's planned jobs.

    Every content word of the message is in the job's title, and at least two of them are
    not the equipment's own name ('alarm test', 'return filter change'): the crew member
    named the job as a topic. A word the title lacks ('failed', 'low', '4 bar') makes it a
    report again.
    """
    said = set(content_tokens(text))
    own = {
        t
        for phrase in (resolved.get("name") or "", *(resolved.get("aliases") or ()))
        for t in content_tokens(str(phrase))
    }
    if len(said - own) < 2:
        return False
    return any(said <= set(content_tokens(str(t))) for t in resolved.get("plans") or ())


def _clarify_list(cands: Sequence[dict[str, Any]], what: str) -> str:
    shown = "; ".join(f"{c['code']} {c['name']}" for c in cands[:8])
    more = f" (and {len(cands) - 8} more)" if len(cands) > 8 else ""
    return f"Which {what} do you mean: {shown}{more}?"


class OfflineChatModel(BaseChatModel):
    """A chat model that needs no network: intent rules, slot filling, extractive answers."""

    min_overlap: float = 0.3
    tool_names: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "bosun-offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return this model knowing the names of the tools it may call."""
        names = tuple(
            t.name if isinstance(t, BaseTool) else convert_to_openai_tool(t)["function"]["name"]
            for t in tools
        )
        return self.model_copy(update={"tool_names": names})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.decide(messages))])

    # --- decisions --------------------------------------------------------------------------

    def decide(self, messages: Sequence[BaseMessage]) -> AIMessage:
        """Return the next message: a tool call or the final reply."""
        last_human = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        text = str(messages[last_human].content)
        tool_msgs = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        routed = messages[last_human].additional_kwargs.get(ROUTE_KEY)
        if not isinstance(routed, dict):
            res = route(text)
            routed = {
                "label": res.label,
                "confidence": res.confidence,
                "fallback": question_fallback(res),
                "report": res.scores.get("report", 0.0),
            }
        if routed["label"] == "report" and _HOW_TO.match(text):
            routed = {**routed, "label": "document_question"}  # asks how: never a fault
        intent = intent_for_route(
            recognise(text),
            routed["label"],
            routed.get("fallback"),
            float(routed.get("confidence", 1.0)),
            float(routed.get("report", 0.0)),
        )
        if not tool_msgs:
            return self._first(text, intent)
        last = tool_msgs[-1]
        data = _load(last)
        if last.name == "lookup_equipment":
            return self._after_lookup(text, intent, data)
        looked = _load(tool_msgs[0]) if tool_msgs[0].name == "lookup_equipment" else {}
        unfiled = intent.kind == "report_fault" and not (
            looked.get("resolved") or looked.get("candidates")
        )
        among = list(looked.get("candidates") or []) if _critical(text, intent) else []
        resolved = looked.get("resolved") or {}
        reads = (
            str(resolved["code"])
            if resolved.get("code")
            and stated_value(text) is not None
            and (not self.tool_names or "equipment_health" in self.tool_names)
            else None
        )
        return self._after_action(
            text, str(last.name), data, unfiled=unfiled, among=among, reads=reads
        )

    def _first(self, text: str, intent: Intent) -> AIMessage:
        if intent.kind == "refuse":
            if re.search(r"\b(?:delete|remove|erase)\b", text, re.IGNORECASE) and not re.search(
                r"ignore|forget|system|all|every", text, re.IGNORECASE
            ):
                return _final(REFUSE_DELETE, "refuse")
            msg = REFUSE_MANIPULATION if intent.reason == "manipulation" else REFUSE_OFF_TOPIC
            return _final(msg, "refuse")
        if intent.kind == "smalltalk":
            if re.search(
                r"\b(?:thank|thanks|thx|cheers|ta|sorted|great|nice)\b", text, re.IGNORECASE
            ):
                return _final(THANKS, "refuse")
            return _final(GREETING, "clarify")
        if intent.kind == "update_work_order":
            return _tool_call("update_work_order", intent.update_args())
        return _tool_call("lookup_equipment", {"query": text})

    def _after_lookup(self, text: str, intent: Intent, data: dict[str, Any]) -> AIMessage:
        resolved = data.get("resolved")
        cands = list(data.get("candidates") or [])
        code = resolved["code"] if resolved else None
        group = bool(resolved and resolved.get("needs_choice"))
        ask = self._state_ask(text, intent)
        if ask is not None:
            return self._state_call(ask, data, resolved, cands, group)
        kind: str = intent.kind
        if kind == "unknown":  # a follow-up or an answer with nothing waiting for it
            kind = "clarify_what" if resolved or cands else "clarify_more"
            if kind == "clarify_what":
                name = f"{resolved['code']} {resolved['name']}" if resolved else "that"
                return _final(
                    f"What about {name}? I can report a fault, raise a work order, show its "
                    "readings, list its open jobs or look it up in the manuals.",
                    "clarify",
                )
            if kind == "refuse":
                return _final(REFUSE_OFF_TOPIC, "refuse")
            if kind == "clarify_more":
                return _final(
                    "Could you tell me a bit more: which equipment, and what is "
                    "happening or what you need?",
                    "clarify",
                )
        if kind == "report_fault" and resolved and names_planned_job(text, resolved):
            # "OWS alarm test", "BT1 HPU return filter change": the name of a planned job,
            # nothing wrong said about it; a topic to look up, never a fault
            return _tool_call("search_manuals", {"query": text, "equipment": code})
        if kind in ("report_fault", "create_work_order"):
            if resolved and code and not group:
                if kind == "report_fault":
                    # The tool applies the vessel's priority rule (records.priority).
                    return _tool_call(
                        "report_fault",
                        {"equipment": code, "title": _title(text), "description": text},
                    )
                args: dict[str, Any] = {
                    "equipment": code,
                    "title": _wo_title(text),
                    "description": text,
                    "kind": intent.wo_kind,
                }
                if intent.due_in is not None:
                    args["due_in_days"] = round(intent.due_in.total_seconds() / 86400, 2)
                return _tool_call("create_work_order", args)
            if kind == "report_fault" and not resolved and cands and _critical(text, intent):
                # "fire in the purifier room!!": which one comes with what to do meanwhile
                return _tool_call("search_manuals", {"query": text})
            if kind == "report_fault" and not resolved and not cands:
                # nothing on the register: it cannot be filed as it stands, and a handbook's
                # keywords ("static balance check of a two-bladed propeller") read like a
                # report; what the manuals say comes first, then the ask for the equipment
                return _tool_call("search_manuals", {"query": text})
            return self._ask_which(resolved, cands, group)
        if kind == "equipment_health":
            if code:
                return _tool_call("equipment_health", {"equipment": code, "reading": text})
            if not cands and not group:  # "any alarms right now?": the whole vessel
                return _tool_call("equipment_health", {})
            return self._ask_which(resolved, cands, group)
        if kind == "list_open":
            eq = code or data.get("common_parent")
            args = {"what": intent.list_what}
            if eq:
                args["equipment"] = eq
            return _tool_call("list_open", args)
        if kind == "part_stock":
            args = {"query": _stock_query(text) or text}
            if code:
                args["equipment"] = code
            return _tool_call("part_stock", args)
        tool = "search_fault_history" if kind == "history" else "search_manuals"
        args = {"query": text}
        if code:
            args["equipment"] = code
        elif tool == "search_manuals" and data.get("common_parent"):
            # 'ME LO filter' fits both engines' filters: their documents are the main
            # engines' (a scope that answers nothing falls back to the whole library)
            args["equipment"] = data["common_parent"]
        return _tool_call(tool, args)

    # --- questions about the vessel's state --------------------------------------------------

    def _state_ask(self, text: str, intent: Intent) -> StateAsk | None:
        """Return the state question or described change a message is, if its tool is bound."""
        if intent.kind in ("refuse", "smalltalk", "update_work_order"):
            return None
        ask = state_question(text)
        if ask is None:
            return None
        if intent.kind == "answer" and ask.tool == "part_stock" and not is_stock_ask(text):
            return None  # 'azi gear oil qty' read as a question for the manuals: a fill, not stock
        tool = "update_work_order" if ask.tool == "update_by_description" else ask.tool
        return ask if not self.tool_names or tool in self.tool_names else None

    def _state_call(
        self,
        ask: StateAsk,
        data: dict[str, Any],
        resolved: dict[str, Any] | None,
        cands: list[dict[str, Any]],
        group: bool,
    ) -> AIMessage:
        code = resolved["code"] if resolved else None
        args: dict[str, Any] = dict(ask.args)
        if ask.tool == "running_hours":
            if code and not group:
                return _tool_call("running_hours", {"equipment": code})
            return self._ask_which(resolved, cands, group)
        if ask.tool == "update_by_description":
            if code:
                args["equipment"] = code
            return _tool_call("update_work_order", args)
        scope = code or data.get("common_parent")
        if ask.tool == "plans_due" and code and not group and resolved:
            scope = resolved.get("plans_on") or code  # a part's job is its machine's plan
        if scope:
            args["equipment"] = scope
        elif len(cands) >= 2 and ask.tool != "part_stock":
            # "faults on the purifiers": FO and LO purifiers share no parent; the vessel as a
            # whole is not what was asked, so ask which (a plural answers for each of them)
            return self._ask_which(resolved, cands, group)
        if ask.tool == "part_stock":
            if args.pop("fits", False) and not scope:
                return self._ask_which(resolved, cands, group)
            if "query" in args:
                args["query"] = _stock_query(str(args["query"])) or str(args["query"])
        return _tool_call(ask.tool, args)

    @staticmethod
    def _ask_which(
        resolved: dict[str, Any] | None, cands: list[dict[str, Any]], group: bool
    ) -> AIMessage:
        if group and resolved:
            children = resolved.get("children") or []
            return _final(
                _clarify_list(children, f"of the {resolved['name'].lower()}"),
                "clarify",
                candidates=[c["code"] for c in children],
            )
        if cands:
            return _final(
                _clarify_list(cands, "one"), "clarify", candidates=[c["code"] for c in cands]
            )
        return _final(
            "Which equipment is it? Give me its name or code (for example 'ME2 fuel "
            "pump' or '601.2.10').",
            "clarify",
            candidates=[],
        )

    def _after_action(
        self,
        text: str,
        tool: str,
        data: dict[str, Any],
        *,
        unfiled: bool = False,
        among: Sequence[dict[str, Any]] = (),
        reads: str | None = None,
    ) -> AIMessage:
        if tool in ("search_manuals", "search_fault_history"):
            passages = list(data.get("passages") or [])
            composed = (
                compose_history(text, data, passages, self.min_overlap)
                if tool == "search_fault_history"
                else compose_answer(text, passages, self.min_overlap)
            )
            if not composed.found and tool == "search_fault_history" and data.get("scope"):
                what = " or ".join(data.get("events") or []) or "fault"
                return _final(
                    f"No {what} is on record for {data['scope']}, and the history documents "
                    "say nothing about it.",
                    "nothing_found",
                )
            if not composed.found and tool == "search_manuals" and data.get("scoped"):
                # the equipment's own documents do not answer: ask the whole library once
                return _tool_call("search_manuals", {"query": text})
            if among and tool == "search_manuals":  # a critical report on one of several
                ask = str(self._ask_which(None, list(among), False).content)
                codes = [c["code"] for c in among]
                if not composed.found:
                    return _final(ask, "clarify", candidates=codes)
                body = f"{ask} {_CRITICAL_MEANWHILE}\n\n{composed.text}"
                return _final(body, "clarify", candidates=codes, cited=composed.refs)
            if unfiled and tool == "search_manuals":  # a report naming nothing on the register
                if not composed.found:
                    return self._ask_which(None, [], False)
                # the ask stays the outcome (a report waits for its equipment); what the
                # manuals say comes with it, cited
                return _final(f"{UNFILED}\n\n{composed.text}", "clarify", cited=composed.refs)
            if not composed.found:
                if reads and tool == "search_manuals":
                    # "DG1 jacket water 92C normal?": the manuals do not say, its sensor's
                    # limits do (``equipment_health`` weighs the value the message states)
                    return _tool_call("equipment_health", {"equipment": reads, "reading": text})
                return _final(NOTHING_FOUND, "nothing_found", unanswered=True)
            return _final(composed.text, "answer", cited=composed.refs)
        display = str(data.get("display") or data.get("error") or "Done.")
        if data.get("proposed"):
            return _final(display, "proposed")
        if tool == "fault_statistics" and data.get("ok") and data.get("total") == 0:
            return _final(display, "nothing_found")
        if not data.get("ok", True):
            cands = data.get("candidates") or []
            if len(cands) > 1:
                return _final(display, "clarify", candidates=[c["code"] for c in cands])
            if "matches" in data:  # a record named by description: several fit, or none
                outcome = "clarify" if data["matches"] else "nothing_found"
                return _final(display, outcome, matches=list(data["matches"]))
            return _final(display, "error")
        return _final(display, "answer")


_CRITICAL_MEANWHILE = "It reads as critical, so meanwhile, what the manuals say:"


def _critical(text: str, intent: Intent) -> bool:
    """Whether a report describes a critical event (fire, smoke, a failed emergency test)."""
    if intent.kind != "report_fault":
        return False
    decision = priority_rules.severity_priority(text)
    return decision is not None and decision.priority.value == "critical"


UNFILED = (
    "Which equipment is it, if this is a fault to report? Give me its name or code and I "
    "will file it. Meanwhile, what the manuals say:"
)


def _load(msg: ToolMessage) -> dict[str, Any]:
    try:
        data = json.loads(str(msg.content))
    except json.JSONDecodeError:
        return {"ok": False, "display": str(msg.content)}
    return data if isinstance(data, dict) else {"ok": True, "display": str(data)}
