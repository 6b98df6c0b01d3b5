"""Readings against their limits: the one rule, and a vessel's check (both backends)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from records import Database, ReadingIn, Role, limits, readings, register
from records.models import utcnow
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


@pytest.mark.parametrize(
    ("low", "high", "value", "state"),
    [
        (None, 480.0, 300.0, "ok"),
        (None, 480.0, 440.0, "near high limit"),  # within 10 % of the limit
        (None, 480.0, 481.0, "above high limit"),
        (3.5, None, 3.6, "near low limit"),
        (3.5, None, 3.4, "below low limit"),
        (2.0, 6.0, 5.7, "near high limit"),  # within 10 % of the band
        (2.0, 6.0, 5.0, "ok"),
        (None, None, 1e9, "ok"),
    ],
)
def test_limit_state(low: float | None, high: float | None, value: float, state: str) -> None:
    assert limits.limit_state(low, high, value) == state


def test_vessel_limits_lists_outside_first_and_only_its_own_vessel(
    db: Database, tenant: Tenant, make_tenant: Callable[..., Tenant]
) -> None:
    other_tenant = make_tenant()
    for t in (tenant, other_tenant):
        import_for_tenant(db, t.org_id)
    now = utcnow()
    for t, exh, lo in ((tenant, 470.0, 3.0), (other_tenant, 300.0, 5.0)):
        chief = t[Role.chief_engineer]
        with db.transaction(chief) as s:
            tags = register.sensors_by_tag(s, chief, t.vessel_id)
            readings.insert_readings(
                s,
                chief,
                [
                    ReadingIn(tags["ME1_EXH_T"].id, now - timedelta(hours=2), 300.0),
                    ReadingIn(tags["ME1_EXH_T"].id, now - timedelta(minutes=5), exh),
                    ReadingIn(tags["ME1_LO_P"].id, now - timedelta(minutes=5), lo),
                    ReadingIn(tags["ME1_RH"].id, now - timedelta(minutes=5), 1e6),
                ],
            )
    crew = tenant[Role.crew]
    with db.transaction(crew) as s:
        report = limits.vessel_limits(s, crew, tenant.vessel_id)
    assert report.sensors == 2  # the running-hours counter has no limits
    assert [(o.sensor.tag, o.state) for o in report.off] == [
        ("ME1_LO_P", "below low limit"),
        ("ME1_EXH_T", "near high limit"),
    ]
    other = other_tenant[Role.crew]
    with db.transaction(other) as s:
        assert limits.vessel_limits(s, other, other_tenant.vessel_id).off == ()
