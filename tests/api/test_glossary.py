"""``GET|POST /v1/glossary``, ``DELETE /v1/glossary/{id}``: each organization's crew terms."""

from __future__ import annotations

from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from channels.services.knowledge import open_knowledge
from knowledge import Glossary
from records import Role
from tests.api.conftest import Tenant, assert_problem

URL = "/v1/glossary"


def _items(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, dict]:
    response = client.get(URL, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {i["term"]: i for i in response.json()["items"]}


def test_an_organizations_entry_overrides_the_shipped_one_for_it_alone(
    client: TestClient, bosun: Bosun, org_a: Tenant, org_b: Tenant
) -> None:
    admin_a, crew_a, crew_b = org_a.auth(Role.admin), org_a.auth(Role.crew), org_b.auth(Role.crew)
    shipped = _items(client, crew_a)
    assert len(shipped) >= 150
    assert shipped["PMS"] == {
        "id": None,
        "term": "PMS",
        "expansions": ["power management system"],
        "source": "shipped",
        "notes": "also planned maintenance system",
        "overrides_shipped": False,
    }
    created = client.post(
        URL, json={"term": " pms ", "expansion": "planned maintenance system"}, headers=admin_a
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["term"] == "pms" and entry["source"] == "organization"
    assert entry["overrides_shipped"] is True
    replaced = client.post(
        URL,
        json={"term": "PMS", "expansion": "planned maintenance system; PM system"},
        headers=admin_a,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == entry["id"]
    mine = _items(client, crew_a)
    assert mine["PMS"]["expansions"] == ["planned maintenance system", "PM system"]
    assert "pms" not in mine  # one row per term
    assert list(_items(client, crew_a, source="organization")) == ["PMS"]
    # organization B still has the shipped entry, in listings and in its searches
    assert _items(client, crew_b)["PMS"]["source"] == "shipped"
    assert _items(client, crew_b, source="organization") == {}
    service = open_knowledge(bosun)
    shipped_glossary = Glossary.shipped()
    for org, want in ((org_a, "planned maintenance system"), (org_b, "power management system")):
        vocabulary = service.vocabulary(org.org_id, org.vessel_id)
        expansion = shipped_glossary.with_vocabulary(vocabulary).expand("PMS fault on ME1")
        assert expansion.phrases[0] == want
        assert "Main engine No. 1" in expansion.phrases  # the register's alias
    # delete: B cannot see A's entry; A's admin removes it and the shipped one is back
    assert_problem(
        client.delete(f"{URL}/{entry['id']}", headers=org_b.auth(Role.admin)), 404, "not_found"
    )
    assert client.delete(f"{URL}/{entry['id']}", headers=admin_a).status_code == 204
    assert _items(client, crew_a)["PMS"]["source"] == "shipped"
    assert_problem(client.delete(f"{URL}/{entry['id']}", headers=admin_a), 404, "not_found")
    audit = client.get(
        "/v1/audit-log", params={"entity": "glossary_entries"}, headers=admin_a
    ).json()["items"]
    assert {row["action"] for row in audit} == {"create", "update", "delete"}


def test_glossary_writes_are_for_admins_and_input_is_checked(
    client: TestClient, org_a: Tenant
) -> None:
    body = {"term": "GS", "expansion": "general service"}
    for role in (Role.crew, Role.officer, Role.chief_engineer, Role.shore):
        assert client.get(URL, headers=org_a.auth(role)).status_code == 200
        assert_problem(client.post(URL, json=body, headers=org_a.auth(role)), 403, "forbidden")
    admin = org_a.auth(Role.admin)
    created = client.post(URL, json=body, headers=admin)
    assert created.status_code == 201
    assert_problem(
        client.delete(f"{URL}/{created.json()['id']}", headers=org_a.auth(Role.officer)),
        403,
        "forbidden",
    )
    for bad in (
        {"term": "", "expansion": "x"},
        {"term": "GS"},
        {"term": "GS", "expansion": "   "},
        {"term": "--", "expansion": "dashes"},
        {"term": "GS", "expansion": "a;;b"},
        {"term": "GS", "expansion": "gs"},
        {"term": "G\x00S", "expansion": "general"},
        {"term": "x" * 61, "expansion": "long"},
        {"term": "GS", "expansion": "general", "extra": 1},
    ):
        assert client.post(URL, json=bad, headers=admin).status_code == 422, bad
    assert client.get(URL, params={"source": "mine"}, headers=admin).status_code == 422
    # An id segment is digits: a word there names no resource; a number out of range is a 422.
    assert client.delete(f"{URL}/not-a-number", headers=admin).status_code == 404
    assert client.delete(f"{URL}/{2**63}", headers=admin).status_code == 422
    assert client.get(URL).status_code == 401
