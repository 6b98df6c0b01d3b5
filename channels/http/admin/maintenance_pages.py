"""The vessels' state: questions nothing answered, the register, open work, actions to decide."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from assistant import Speaker
from channels.http.admin.web import CheckedForm, SignedIn, Site, back, page_router, render
from channels.services.chat import open_gateway
from records import BosunError, conversations, faults, pending, register, work_orders

router = page_router()


@router.get("/review")
def review_page(request: Request, site: Site, session: SignedIn) -> Response:
    """List the questions nothing answered and the answers marked unhelpful."""
    items = []
    with site.bosun.db.transaction(session.caller) as s:
        page = conversations.questions_to_review(s, session.caller, limit=100)
        for msg in page.items:
            conv = conversations.get_conversation(s, session.caller, msg.conversation_id)
            items.append(
                {
                    "question": conversations.question_before(s, session.caller, msg) or "",
                    "reply": msg.text,
                    "unanswered": msg.unanswered,
                    "feedback": msg.feedback,
                    "comment": msg.feedback_comment,
                    "at": msg.created_at,
                    "channel": conv.channel,
                }
            )
    return render(request, "review.html", session, items=items)


@router.get("/register")
def register_page(request: Request, site: Site, session: SignedIn) -> Response:
    """Show one vessel's equipment register."""
    with site.bosun.db.transaction(session.caller) as s:
        vessels = register.list_vessels(s, session.caller)
        chosen = _chosen_vessel(request, [v.id for v in vessels])
        rows = (
            [
                register.equipment_dict(e)
                for e in register.equipment_of_vessel(s, session.caller, chosen)
            ]
            if chosen
            else []
        )
    return render(
        request,
        "register.html",
        session,
        vessels=[(v.id, v.name) for v in vessels],
        chosen=chosen,
        equipment=rows,
    )


@router.get("/maintenance")
def maintenance_page(request: Request, site: Site, session: SignedIn) -> Response:
    """List open faults and work orders, and the proposed actions to confirm or cancel."""
    with site.bosun.db.transaction(session.caller) as s:
        names = {
            e.id: f"{e.code} {e.name}"
            for v in register.list_vessels(s, session.caller)
            for e in register.equipment_of_vessel(s, session.caller, v.id)
        }
        open_faults = faults.list_faults(s, session.caller, open_only=True, limit=200).items
        open_wos = work_orders.list_work_orders(s, session.caller, open_only=True, limit=200).items
        proposed = pending.list_actions(s, session.caller)
        context: dict[str, Any] = {
            "faults": [
                {
                    "id": f.id,
                    "equipment": names.get(f.equipment_id, f.equipment_id),
                    "title": f.title,
                    "priority": f.priority.value,
                    "status": f.status.value,
                    "via": f.reported_via,
                    "at": f.opened_at,
                    "attachments": len(f.attachments or []),
                }
                for f in open_faults
            ],
            "work_orders": [
                {
                    "id": w.id,
                    "equipment": names.get(w.equipment_id, w.equipment_id),
                    "title": w.title,
                    "kind": w.kind.value,
                    "status": w.status.value,
                    "due": w.due,
                }
                for w in open_wos
            ],
            "actions": [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "summary": a.summary,
                    "channel": a.channel,
                    "at": a.created_at,
                }
                for a in proposed
            ],
        }
    return render(request, "maintenance.html", session, **context)


@router.post("/actions/{action_id}/{verb}")
async def decide(
    site: Site, session: SignedIn, _form: CheckedForm, action_id: int, verb: str
) -> Response:
    """Confirm or cancel a proposed action, as the signed-in admin."""
    if verb not in ("confirm", "cancel"):
        return HTMLResponse("unknown action", status_code=404)
    speaker = Speaker(
        org_id=session.org_id,
        user_id=session.user_id,
        name=session.name,
        email=session.email,
        role="admin",
        channel="admin",
    )
    try:
        result = await asyncio.to_thread(
            open_gateway(site.bosun).decide, speaker, action_id, approve=verb == "confirm"
        )
    except BosunError as err:
        return back("/admin/maintenance", err.message, error=True)
    return back("/admin/maintenance", result.reply)


def _chosen_vessel(request: Request, vessel_ids: list[int]) -> int | None:
    raw = request.query_params.get("vessel", "")
    if raw.isdigit() and int(raw) in vessel_ids:
        return int(raw)
    return vessel_ids[0] if vessel_ids else None
