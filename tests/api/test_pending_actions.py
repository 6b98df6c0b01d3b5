"""Pending actions proposed through records, decided through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from records import Caller, Role, pending
from tests.api.conftest import Tenant, assert_problem


def _propose(bosun: Bosun, org: Tenant, title: str) -> int:
    proposer = Caller(
        org.org_id, Role.crew, org.user_ids[Role.crew], frozenset({org.vessel_id}), "assistant"
    )
    with bosun.db.transaction(proposer) as session:
        action = pending.propose(
            session,
            proposer,
            kind="report_fault",
            arguments={"equipment_id": org.equipment_ids["602"], "title": title},
            summary=f"Report fault: {title}",
        )
        session.flush()
        return action.id


def test_confirm_and_reject(client: TestClient, bosun: Bosun, org_a: Tenant, org_b: Tenant) -> None:
    crew = org_a.auth(Role.crew)
    first = _propose(bosun, org_a, "Fire pump leaking")
    second = _propose(bosun, org_a, "Fire pump noisy")

    listed = client.get("/v1/pending-actions", headers=crew).json()["items"]
    assert {a["id"] for a in listed} == {first, second}
    # addressed to the crew member who proposed it: another user (same role) cannot see it
    assert client.get("/v1/pending-actions", headers=org_a.auth(Role.officer)).json()["items"] == []
    assert_problem(
        client.post(f"/v1/pending-actions/{first}/confirm", headers=org_b.auth(Role.admin)),
        404,
        "not_found",
    )

    confirmed = client.post(f"/v1/pending-actions/{first}/confirm", headers=crew)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "executed"
    fault_id = confirmed.json()["result"]["fault_id"]
    fault = client.get(f"/v1/faults/{fault_id}", headers=crew).json()
    assert fault["title"] == "Fire pump leaking"
    again = client.post(f"/v1/pending-actions/{first}/confirm", headers=crew)
    assert again.json()["result"]["fault_id"] == fault_id  # executed once

    rejected = client.post(f"/v1/pending-actions/{second}/reject", headers=crew)
    assert rejected.json()["status"] == "rejected"
    assert_problem(
        client.post(f"/v1/pending-actions/{second}/confirm", headers=crew), 409, "conflict"
    )
    assert client.get("/v1/pending-actions", headers=crew).json()["items"] == []
    done = client.get("/v1/pending-actions?status=executed", headers=crew).json()["items"]
    assert [a["id"] for a in done] == [first]
