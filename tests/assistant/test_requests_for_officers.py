"""Crew may ask for changes their role may not make: an officer confirms them."""

from __future__ import annotations

from assistant import Assistant
from records import (
    Equipment,
    PendingAction,
    PendingStatus,
    Permission,
    Role,
    WorkOrderStatus,
    confirming_role,
    utcnow,
    work_orders,
)
from tests.assistant.conftest import Say, World


def _open_work_order(world: World) -> int:
    with world.db.transaction(world.chief) as s:
        eq = s.get(Equipment, world.codes["701.2"])
        assert eq is not None
        wo = work_orders.create_work_order(
            s, world.chief, equipment_id=eq.id, title="Clean FO purifier bowl"
        )
        s.flush()
        return wo.id


def test_the_most_junior_role_holding_the_permission_confirms(world: World) -> None:
    assert confirming_role(world.crew, Permission.update_work_order) is Role.officer
    assert confirming_role(world.crew, Permission.close_fault) is Role.chief_engineer
    assert confirming_role(world.chief, Permission.update_work_order) is None  # may do it


def test_crew_asks_an_officer_confirms_once(world: World, say: Say, assistant: Assistant) -> None:
    wo_id = _open_work_order(world)
    r = say(f"WO {wo_id} done 2h", caller=world.crew)
    assert r.proposed_action is not None
    assert r.proposed_action.kind == "update_work_order"
    assert r.proposed_action.awaiting_role == "officer"
    assert "officer or someone senior confirms it" in r.reply

    again = say("yes", caller=world.crew)
    assert "waits for someone senior" in again.reply
    with world.db.transaction(world.chief) as s:
        assert work_orders.get_work_order(s, world.chief, wo_id).status is WorkOrderStatus.open

    officer = world.callers[Role.officer]
    for _ in range(2):  # confirming twice still changes it once
        with world.db.transaction(officer) as s:
            assistant.decide(s, officer, r.proposed_action.id, approve=True)
    with world.db.transaction(world.chief) as s:
        wo = work_orders.get_work_order(s, world.chief, wo_id)
        assert wo.status is WorkOrderStatus.done and wo.hours == 2
        action = s.get(PendingAction, r.proposed_action.id)
        assert action is not None and action.status is PendingStatus.executed
        assert action.decided_by_id == officer.user_id
        assert action.decided_at is not None and action.decided_at <= utcnow()


def test_crew_may_withdraw_its_own_request(world: World, say: Say) -> None:
    wo_id = _open_work_order(world)
    r = say(f"WO {wo_id} done 1h", caller=world.crew)
    assert r.proposed_action is not None and r.proposed_action.awaiting_role == "officer"
    say("cancel", caller=world.crew)
    with world.db.transaction(world.chief) as s:
        action = s.get(PendingAction, r.proposed_action.id)
        assert action is not None and action.status is PendingStatus.rejected
        assert work_orders.get_work_order(s, world.chief, wo_id).status is WorkOrderStatus.open
