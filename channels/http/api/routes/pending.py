"""Actions proposed by the assistant or a reaction, waiting for a person to decide."""

from __future__ import annotations

from channels.http.api.deps import CallerDep, SessionDep
from channels.http.api.problems import problem_responses
from channels.http.api.routes.common import all_of, v1_router
from channels.http.api.schemas import Page, PendingActionRead
from channels.http.api.schemas.common import Id
from records import BosunError, ErrorCode, PendingStatus, pending

router = v1_router(tags=["pending actions"])


@router.get("/pending-actions")
def list_pending_actions(
    session: SessionDep,
    caller: CallerDep,
    status: PendingStatus = PendingStatus.proposed,
    conversation_id: Id | None = None,
) -> Page[PendingActionRead]:
    """List the actions the caller may decide, by default those still waiting."""
    rows = pending.list_actions(session, caller, status=status, conversation_id=conversation_id)
    return all_of(PendingActionRead, rows)


@router.get("/pending-actions/{action_id}")
def get_pending_action(action_id: Id, session: SessionDep, caller: CallerDep) -> PendingActionRead:
    """Get one pending action."""
    action = pending.get_action(session, caller, action_id)
    if not pending.may_decide(caller, action) and action.proposed_by_id != caller.user_id:
        raise BosunError(ErrorCode.not_found, f"pending action {action_id} not found")
    return PendingActionRead.model_validate(action)


@router.post("/pending-actions/{action_id}/confirm", responses=problem_responses(410))
def confirm_pending_action(
    action_id: Id, session: SessionDep, caller: CallerDep
) -> PendingActionRead:
    """Confirm an action: it runs once (confirming again returns the same result)."""
    return PendingActionRead.model_validate(pending.confirm(session, caller, action_id))


@router.post("/pending-actions/{action_id}/reject", responses=problem_responses(410))
def reject_pending_action(
    action_id: Id, session: SessionDep, caller: CallerDep
) -> PendingActionRead:
    """Reject an action; it will never run."""
    return PendingActionRead.model_validate(pending.reject(session, caller, action_id))
