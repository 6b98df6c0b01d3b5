from tests.api.conftest import Tenant
from records import Role


def test_vessels_listed(client, org_a: Tenant) -> None:
    r = client.get("/v1/vessels", headers=org_a.auth(Role.admin))
    assert r.status_code == 200, r.text
    assert {v["id"] for v in r.json()["items"]} == {org_a.vessel_id, org_a.other_vessel_id}
