"""Small builders for records tests."""

from __future__ import annotations

from records import Database
from records.register_import import ImportReport
from tests import factories

REGISTER = """
organization: {org}
vessel: {{name: MV Test, imo: "{imo}", type: PSV}}
equipment:
  - code: "601"
    name: Main engines
    aliases: [mains]
    children:
      - code: "601.1"
        name: Main engine No. 1
        aliases: [ME1, port main engine]
        class: main_engine
        maker: Bergen Engines
        criticality: high
        sensors:
          - {{tag: ME1_EXH_T, name: Exhaust gas temperature, unit: degC, high: 480}}
          - {{tag: ME1_LO_P, name: Lube oil pressure, unit: bar, low: 3.5}}
          - {{tag: ME1_RH, name: Running hours, unit: h, counter: running_hours}}
        children:
          - code: "601.1.10"
            name: Fuel injection pump
            aliases: [fuel pump]
      - code: "601.2"
        name: Main engine No. 2
        aliases: [ME2, stbd main engine]
        class: main_engine
        children:
          - code: "601.2.10"
            name: Fuel injection pump
            aliases: [fuel pump]
"""


def import_test_register(db: Database, org_name: str, imo: str) -> ImportReport:
    """Import the small test register into an organization (created if missing)."""
    org_id = factories.organization(db, org_name)
    return factories.import_register(db, org_id, REGISTER.format(org=org_name, imo=imo))


def import_for_tenant(db: Database, org_id: int) -> dict[str, int]:
    """Import the test register onto a tenant's vessel; return equipment ids by code."""
    from sqlalchemy import select

    from records import Equipment, Organization

    with db.transaction(org_id) as s:
        name = s.get(Organization, org_id).name  # type: ignore[union-attr]
    report = import_test_register(db, name, str(9_000_000 + org_id))
    with db.transaction(org_id) as s:
        rows = s.scalars(select(Equipment).where(Equipment.vessel_id == report.vessel_id))
        return {e.code: e.id for e in rows}
