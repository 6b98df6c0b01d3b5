"""Validation before any write: nulls, integers out of range, unseen references, bad frames."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from channels.app.runtime import Bosun
from channels.http.api.routes import v1_routers
from records import BosunError, Role, conversations, documents, system_caller
from tests.api.conftest import Tenant, assert_problem

TOO_BIG = 2**63  # one past the largest id the databases hold


def _fault(client: TestClient, org: Tenant, **extra: Any) -> dict[str, Any]:
    body = {"equipment_id": org.equipment_ids["601.1"], "title": "Exhaust leak", **extra}
    made = client.post("/v1/faults", json=body, headers=org.auth(Role.crew))
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def _work_order(client: TestClient, org: Tenant) -> dict[str, Any]:
    body = {"equipment_id": org.equipment_ids["601.1"], "title": "Fix the leak"}
    made = client.post("/v1/work-orders", json=body, headers=org.auth(Role.officer))
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def _document(bosun: Bosun, org: Tenant, **fields: Any) -> int:
    with bosun.db.transaction(org.org_id) as s:
        doc = documents.create_document(
            s, system_caller(org.org_id), title=fields.pop("title", "Manual"), **fields
        )
        s.flush()
        return doc.id


# --- finding 4: nulls never clear, never 500, never 409 ----------------------------------


def test_null_tags_on_a_document_is_422_and_the_list_still_answers(
    client: TestClient, bosun: Bosun, org_a: Tenant
) -> None:
    admin = org_a.auth(Role.admin)
    doc_id = _document(bosun, org_a, tags=["engine"])
    for field in ("tags", "equipment_codes", "title", "kind"):
        refused = client.patch(f"/v1/documents/{doc_id}", json={field: None}, headers=admin)
        body = assert_problem(refused, 422, "invalid")
        assert field in body["detail"]
    assert client.get(f"/v1/documents/{doc_id}", headers=admin).json()["tags"] == ["engine"]
    listed = client.get("/v1/documents", headers=admin)
    assert listed.status_code == 200 and doc_id in {d["id"] for d in listed.json()["items"]}


def test_records_refuse_a_null_list_and_clear_with_an_empty_one(
    bosun: Bosun, org_a: Tenant
) -> None:
    doc_id = _document(bosun, org_a, tags=["engine"])
    system = system_caller(org_a.org_id)
    with bosun.db.transaction(org_a.org_id) as s:
        doc = documents.get_document(s, system, doc_id)
        with pytest.raises(BosunError, match="tags"):
            documents.update_document(s, system, doc, {"tags": None})
        documents.update_document(s, system, doc, {"tags": []})
        assert doc.tags == []


def test_null_required_fields_on_work_orders_and_faults_are_422(
    client: TestClient, org_a: Tenant
) -> None:
    officer = org_a.auth(Role.officer)
    wo = _work_order(client, org_a)
    fault = _fault(client, org_a, description="smoke from the turbo")
    for field in ("priority", "title", "description", "hours", "status"):
        refused = client.patch(f"/v1/work-orders/{wo['id']}", json={field: None}, headers=officer)
        assert_problem(refused, 422, "invalid")
    for field in ("description", "title", "priority"):
        refused = client.patch(f"/v1/faults/{fault['id']}", json={field: None}, headers=officer)
        assert_problem(refused, 422, "invalid")
    assert client.get(f"/v1/work-orders/{wo['id']}", headers=officer).json() == wo
    assert client.get(f"/v1/faults/{fault['id']}", headers=officer).json() == fault
    # A nullable field still clears with null.
    cleared = client.patch(f"/v1/faults/{fault['id']}", json={"root_cause": None}, headers=officer)
    assert cleared.status_code == 200 and cleared.json()["root_cause"] is None
    missing = client.post(
        "/v1/faults", json={"title": "no equipment"}, headers=org_a.auth(Role.crew)
    )
    assert_problem(missing, 422, "invalid")


# --- finding 10: integers out of range are 422 on every route ------------------------------


def _id_routes() -> list[tuple[str, str, list[str]]]:
    found = []
    for router in v1_routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            names = [p.name for p in route.dependant.path_params if p.name.endswith("_id")]
            names = [n for n in names if n != "pin_id"]  # pins have string ids
            for method in sorted(route.methods):
                if names:
                    found.append((method, route.path_format, names))
    return found


@pytest.mark.parametrize(("method", "path", "names"), _id_routes())
def test_ids_out_of_range_in_a_path_are_422(
    client: TestClient, org_a: Tenant, method: str, path: str, names: list[str]
) -> None:
    admin = org_a.auth(Role.admin)
    for bad in (TOO_BIG, -1, 0):
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(bad))
        answer = client.request(method, url, headers=admin)
        assert_problem(answer, 422, "invalid")


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/faults?vessel_id={TOO_BIG}",
        f"/v1/faults?equipment_id=1&equipment_id={TOO_BIG}",
        f"/v1/work-orders?vessel_id={TOO_BIG}",
        f"/v1/equipment?vessel_id={TOO_BIG}",
        "/v1/equipment/search?q=pump&vessel_id=-5",
        f"/v1/sensors?equipment_id={TOO_BIG}",
        f"/v1/readings/latest?sensor_id={TOO_BIG}",
        f"/v1/audit-log?entity_id={TOO_BIG}",
        f"/v1/audit-log?user_id={TOO_BIG}",
        f"/v1/pending-actions?conversation_id={TOO_BIG}",
        f"/v1/knowledge/search?q=pump&vessel_id={TOO_BIG}",
    ],
)
def test_integer_filters_out_of_range_are_422(client: TestClient, org_a: Tenant, url: str) -> None:
    assert_problem(client.get(url, headers=org_a.auth(Role.admin)), 422, "invalid")


def test_integers_out_of_range_in_bodies_are_422(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    now = "2026-01-01T00:00:00Z"
    for path, body in (
        ("/v1/faults", {"equipment_id": TOO_BIG, "title": "x"}),
        ("/v1/work-orders", {"equipment_id": 1, "title": "x", "assignee_id": TOO_BIG}),
        ("/v1/equipment", {"vessel_id": TOO_BIG, "code": "X", "name": "x"}),
        ("/v1/users", {"name": "x", "email": "x@y.z", "role": "crew", "vessel_ids": [TOO_BIG]}),
        ("/v1/api-keys", {"name": "x", "user_id": TOO_BIG}),
        ("/v1/chat/turns", {"text": "hello", "vessel_id": TOO_BIG}),
    ):
        assert_problem(client.post(path, json=body, headers=admin), 422, "invalid")
    readings = [{"sensor_id": org_a.sensor_id, "time": now, "value": 1.0, "quality": 2**31}]
    assert_problem(client.post("/v1/readings", json=readings, headers=admin), 422, "invalid")


def test_every_integer_the_api_accepts_is_bounded(client: TestClient) -> None:
    """The OpenAPI schema of every parameter and request body bounds its integers."""
    spec = client.get("/openapi.json").json()
    loose: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                high = node.get("maximum", node.get("exclusiveMaximum"))
                low = node.get("minimum", node.get("exclusiveMinimum"))
                if high is None or low is None or high > 2**63:
                    loose.append(where)
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                walk(spec["components"]["schemas"][name], f"{where}->{name}")
            for key, value in node.items():
                if key != "$ref":
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                walk(param["schema"], f"{method.upper()} {path} {param['name']}")
            walk(operation.get("requestBody", {}), f"{method.upper()} {path} body")
    assert not loose, loose


# --- references to rows the caller cannot see: 422 naming the field ------------------------


def test_references_to_another_organizations_rows_are_422_naming_the_field(
    client: TestClient, org_a: Tenant, org_b: Tenant
) -> None:
    admin_b = org_b.auth(Role.admin)
    theirs = _fault(client, org_a)
    part_a = client.post(
        "/v1/parts", json={"number": "P-A", "name": "Gasket"}, headers=org_a.auth(Role.admin)
    ).json()
    wo_b = _work_order(client, org_b)
    cases = [
        (
            "POST",
            "/v1/faults",
            {"equipment_id": org_a.equipment_ids["602"], "title": "x"},
            "equipment_id",
        ),
        (
            "POST",
            "/v1/work-orders",
            {"equipment_id": org_b.equipment_ids["602"], "title": "x", "fault_id": theirs["id"]},
            "fault_id",
        ),
        (
            "POST",
            "/v1/work-orders",
            {
                "equipment_id": org_b.equipment_ids["602"],
                "title": "x",
                "assignee_id": org_a.user_ids[Role.crew],
            },
            "assignee_id",
        ),
        (
            "PATCH",
            f"/v1/work-orders/{wo_b['id']}",
            {"assignee_id": org_a.user_ids[Role.crew]},
            "assignee_id",
        ),
        (
            "POST",
            f"/v1/work-orders/{wo_b['id']}/parts",
            {"part_id": part_a["id"], "quantity": 1},
            "part_id",
        ),
        (
            "POST",
            "/v1/equipment",
            {"vessel_id": org_a.vessel_id, "code": "Z1", "name": "x"},
            "vessel_id",
        ),
        (
            "POST",
            "/v1/equipment",
            {
                "vessel_id": org_b.vessel_id,
                "code": "Z2",
                "name": "x",
                "parent_id": org_a.equipment_ids["601"],
            },
            "parent_id",
        ),
        (
            "POST",
            "/v1/users",
            {"name": "x", "email": "ref@b.test", "role": "crew", "vessel_ids": [org_a.vessel_id]},
            "vessel_ids",
        ),
        ("POST", "/v1/api-keys", {"name": "x", "user_id": org_a.user_ids[Role.crew]}, "user_id"),
        (
            "POST",
            "/v1/readings",
            [{"sensor_id": org_a.sensor_id, "time": "2026-01-01T00:00:00Z", "value": 1.0}],
            "sensor_id",
        ),
    ]
    for method, path, body, field in cases:
        answer = client.request(method, path, json=body, headers=admin_b)
        problem = assert_problem(answer, 422, "invalid")
        assert problem["field"] == field and problem["detail"].startswith(field), problem
    assert client.get(f"/v1/work-orders/{wo_b['id']}", headers=admin_b).json() == wo_b


def test_409_is_kept_for_taken_keys_and_forbidden_moves(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    body = {"vessel_id": org_a.vessel_id, "code": "601", "name": "again"}
    assert_problem(client.post("/v1/equipment", json=body, headers=admin), 409, "conflict")
    fault = _fault(client, org_a)
    closed = client.post(
        f"/v1/faults/{fault['id']}/transition", json={"status": "closed"}, headers=admin
    )
    assert_problem(closed, 409, "invalid_transition")


# --- finding 11: control characters never reach the records --------------------------------


def test_control_and_bidi_characters_are_dropped_from_free_text(
    client: TestClient, bosun: Bosun, org_a: Tenant
) -> None:
    crew, admin = org_a.auth(Role.crew), org_a.auth(Role.admin)
    fault = _fault(
        client,
        org_a,
        title="Leak\x00 at \x1b[31mME1\u202e\u2066 now\x07",
        description="Line one\r\nline\ttwo\x00\x1b\u202a",
    )
    assert fault["title"] == "Leak at [31mME1 now"
    assert fault["description"] == "Line one\nline\ttwo"
    noted = client.post(
        f"/v1/faults/{fault['id']}/notes", json={"text": "ok\x08\u2069\nnext"}, headers=crew
    )
    assert noted.json()["notes"][-1]["text"] == "ok\nnext"
    patched = client.patch(
        f"/v1/faults/{fault['id']}",
        json={"title": "Tab\there\nand\u202dthere", "root_cause": "worn\x00 seal\n"},
        headers=admin,
    )
    assert patched.json()["title"] == "Tab here andthere"
    assert patched.json()["root_cause"] == "worn seal\n"
    only_controls = client.patch(
        f"/v1/faults/{fault['id']}", json={"title": "\x00\x1b\u202e"}, headers=admin
    )
    assert_problem(only_controls, 422, "invalid")
    eq = client.patch(
        f"/v1/equipment/{org_a.equipment_ids['602']}",
        json={"name": "Fire\x00 pump\u202e", "aliases": ["F\x1bP", "\x00"]},
        headers=admin,
    )
    assert (eq.json()["name"], eq.json()["aliases"]) == ("Fire pump", ["FP"])
    part = client.post(
        "/v1/parts", json={"number": "P\x00-9", "name": "Seal\u2067 kit"}, headers=admin
    )
    assert part.status_code == 201, part.text
    assert (part.json()["number"], part.json()["name"]) == ("P-9", "Seal kit")
    user = client.post(
        "/v1/users",
        json={"name": "Ana\x1b[0m\u202e", "email": "ana.cc@a.test", "role": "crew"},
        headers=admin,
    )
    assert user.json()["name"] == "Ana[0m"
    doc_id = _document(bosun, org_a, title="Manual\x00\u202e v2", tags=["eng\x1bine", "\x07"])
    doc = client.get(f"/v1/documents/{doc_id}", headers=admin).json()
    assert (doc["title"], doc["tags"]) == ("Manual v2", ["engine"])


def test_chat_turns_store_text_without_control_characters(
    client: TestClient, bosun: Bosun, org_a: Tenant
) -> None:
    crew = org_a.auth(Role.crew)
    body = {"text": "\x00\x1b[2J list open faults\u202e", "conversation": "c\x00x"}
    answered = client.post("/v1/chat/turns", json=body, headers=crew)
    assert answered.status_code == 200, answered.text
    with bosun.db.transaction(org_a.org_id) as s:
        conv = conversations.get_conversation(
            s, system_caller(org_a.org_id), answered.json()["conversation_id"]
        )
        said = [m.text for m in conversations.messages(s, system_caller(org_a.org_id), conv)]
        assert "[2J list open faults" in said[0] and "\x00" not in conv.external_id


# --- finding 10: the chat WebSocket answers a bad frame and stays open ---------------------


def test_bad_websocket_frames_get_an_error_frame_and_the_socket_stays_open(
    client: TestClient, org_a: Tenant
) -> None:
    key = org_a.keys[Role.crew]
    with client.websocket_connect(f"/v1/chat/ws?api_key={key}") as socket:
        for frame in (
            "not json",
            "[1, 2, 3]",
            json.dumps({"action": "abc", "approve": True}),
            json.dumps({"action": TOO_BIG}),
            json.dumps({"feedback": None}),
            json.dumps({"unknown": 1}),
            json.dumps({"text": "hi", "vessel_id": "x"}),
        ):
            socket.send_text(frame)
            answer = socket.receive_json()
            while answer.get("type") == "notice":
                answer = socket.receive_json()
            assert answer["type"] == "error" and answer["detail"], (frame, answer)
        socket.send_bytes(b"\xff\xfe")
        assert socket.receive_json()["type"] == "error"
        socket.send_json({"action": 987_654_321, "approve": True})
        missing = socket.receive_json()
        assert missing["type"] == "error" and missing["code"] == "not_found"
        socket.send_json({"feedback": 987_654_321, "helpful": True})
        assert socket.receive_json()["type"] == "error"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/v1/chat/ws") as socket:
        socket.receive_json()


# --- Allow headers and documented statuses ------------------------------------------------


def test_405_lists_every_method_the_path_serves(client: TestClient, org_a: Tenant) -> None:
    admin = org_a.auth(Role.admin)
    answer = client.put("/v1/faults", headers=admin)
    assert_problem(answer, 405, "method_not_allowed")
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "POST"}
    search = client.patch("/v1/equipment/search", json={}, headers=admin)
    assert_problem(search, 405, "method_not_allowed")
    assert "GET" in search.headers["allow"] and "PATCH" not in search.headers["allow"]


def test_statuses_routes_give_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= documented, (
                method,
                path,
            )
    attachments = spec["paths"]["/v1/chat/attachments"]["post"]["responses"]
    assert "415" in attachments


def test_backups_are_written_only_under_the_backup_folder(
    client: TestClient, bosun: Bosun, org_a: Tenant, tmp_path: Any
) -> None:
    admin = org_a.auth(Role.admin)
    for path in (str(tmp_path / "x.tar.gz"), f"{bosun.settings.backups}/../escape.tar.gz"):
        refused = client.post("/v1/admin/backup", json={"path": path}, headers=admin)
        body = assert_problem(refused, 422, "invalid")
        assert "BOSUN_BACKUP_DIR" in body["detail"]
    assert not (tmp_path / "x.tar.gz").exists()
