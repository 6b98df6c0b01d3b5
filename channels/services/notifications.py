"""Post alarms, new faults and overdue work orders to each vessel's Slack channel / Telegram chat.

A job on the scheduler collects what happened since it last looked (watermarks kept in
``system_state``), turns each into an ``assistant.Notice`` and hands it to the configured
notifiers. A notice a platform could not take for a passing reason (the satellite link is
down) waits in an outbox and goes out on a later run; nothing is posted twice.

Where notices go is set per organization (``PUT /v1/notifications/routes``, stored by
``records.notify_routes``): a notice about a vessel follows only the routes of the vessel's own
organization. A home with a single organization may instead set them in the environment, per
vessel IMO or ``*``: ``BOSUN_SLACK_NOTIFY='{"*": "C0123ABC"}'`` and
``BOSUN_TELEGRAM_NOTIFY='{"9876543": "-100123"}'``; start refuses those when the database holds
several organizations (they would not say whose vessels they mean).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session

from assistant import Notice
from channels.app.runtime import Bosun
from records import (
    ALL_TENANTS,
    BosunError,
    ErrorCode,
    PendingStatus,
    SystemState,
    activity,
    notify_routes,
    register,
)

log = logging.getLogger(__name__)
STATE_KEY = "notifications"
OUTBOX_LIMIT = 500


class NotifySettings(BaseSettings):
    """Where each vessel's notices go."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    slack_notify: dict[str, str] = Field(
        default_factory=dict,
        description='Vessel IMO (or "*") -> Slack channel id for alarms, faults, overdue work.',
    )
    telegram_notify: dict[str, str] = Field(
        default_factory=dict,
        description='Vessel IMO (or "*") -> Telegram chat id for alarms, faults, overdue work.',
    )
    notify_every_s: float = Field(default=30.0, description="How often to look for news (s).")


class Notifier(Protocol):
    """A platform's way to post a notice (``SlackNotifier``, ``TelegramNotifier``)."""

    def notify(self, destination: str, notice: Notice) -> Coroutine[Any, Any, None]:
        """Post one notice; raise on failure (``transient`` attribute: try again later)."""


@dataclass(frozen=True, slots=True)
class Route:
    """A platform's notifier and, per organization, where each of its vessels' notices go."""

    name: str
    notifier: Notifier
    destinations: Mapping[int, Mapping[str, str]]
    """Organization id -> (vessel IMO or ``*``) -> channel or chat id."""

    def destination(self, org_id: int, imo: str) -> str | None:
        """Return where a vessel's notices go on this platform, if anywhere."""
        return notify_routes.destination_for(self.destinations.get(org_id, {}), imo)


def build_routes(
    notifiers: Mapping[str, Notifier],
    stored: Mapping[int, notify_routes.Routes],
    fixed: Mapping[int, notify_routes.Routes] | None = None,
) -> list[Route]:
    """Combine each organization's stored routes with the environment's (stored ones win)."""
    routes: list[Route] = []
    for name, notifier in notifiers.items():
        destinations: dict[int, dict[str, str]] = {}
        for source in (fixed or {}, stored):
            for org_id, platforms in source.items():
                destinations.setdefault(org_id, {}).update(platforms.get(name, {}))
        routes.append(Route(name, notifier, destinations))
    return routes


def collect(session: Session, state: dict[str, Any], now: datetime) -> list[Notice]:
    """Return what happened since the watermarks in ``state`` (which this advances)."""
    notices: list[Notice] = []
    names = activity.equipment_labels(session)
    first_run = "fault_id" not in state
    last_action = int(state.get("action_id", 0))
    last_fault = int(state.get("fault_id", 0))
    if first_run:  # start from now: an installation's history is not news
        state["action_id"] = activity.last_action_id(session)
        state["fault_id"] = activity.last_fault_id(session)
        state["overdue"] = [
            w.id
            for w in activity.open_work_orders(session)
            if w.due is not None and _aware(w.due) < now
        ]
        return []
    for action in activity.actions_after(session, last_action):
        state["action_id"] = action.id
        if action.idempotency_key.startswith("alarm:") and action.vessel_id is not None:
            live = action.status == PendingStatus.proposed
            notices.append(
                Notice(
                    kind="alarm",
                    vessel_id=action.vessel_id,
                    text=action.summary,
                    action_id=action.id if live else None,
                    data={"org_id": action.org_id},
                )
            )
    for fault in activity.faults_after(session, last_fault):
        state["fault_id"] = fault.id
        notices.append(
            Notice(
                kind="fault",
                vessel_id=fault.vessel_id,
                text=(
                    f"New fault #{fault.id} on {names.get(fault.equipment_id, '?')}: "
                    f"{fault.title} (priority {fault.priority.value}, via {fault.reported_via})"
                ),
                data={"org_id": fault.org_id, "fault_id": fault.id},
            )
        )
    seen = set(state.get("overdue", []))
    for wo in activity.open_work_orders(session):
        if wo.due is None or _aware(wo.due) >= now or wo.id in seen:
            continue
        seen.add(wo.id)
        notices.append(
            Notice(
                kind="overdue",
                vessel_id=wo.vessel_id,
                text=(
                    f"Work order #{wo.id} is overdue since {_aware(wo.due):%Y-%m-%d}: "
                    f"{wo.title} on {names.get(wo.equipment_id, '?')}"
                ),
                data={"org_id": wo.org_id, "work_order_id": wo.id},
            )
        )
    state["overdue"] = sorted(seen)[-5000:]
    return notices


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def deliver(
    notices: Iterable[Notice],
    routes: list[Route],
    vessel_of: Callable[[int], tuple[int, str] | None],
    outbox: list[dict[str, Any]],
    run: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run,
) -> list[dict[str, Any]]:
    """Post notices (and earlier undelivered ones); return what must wait for a later run.

    ``vessel_of`` gives a vessel's (organization id, IMO): a notice goes only along the
    routes of that organization.
    """
    waiting: list[dict[str, Any]] = []
    jobs = [(item["route"], item["destination"], Notice(**item["notice"])) for item in outbox]
    for notice in notices:
        found = vessel_of(notice.vessel_id)
        if found is None:
            continue
        org_id, imo = found
        for route in routes:
            destination = route.destination(org_id, imo)
            if destination:
                jobs.append((route.name, destination, notice))
    by_name = {r.name: r for r in routes}
    for name, destination, notice in jobs:
        target = by_name.get(name)
        if target is None:
            continue
        try:
            run(target.notifier.notify(destination, notice))
        except Exception as err:  # a platform's failure must not stop the others
            if getattr(err, "transient", False):
                waiting.append(
                    {"route": name, "destination": destination, "notice": asdict(notice)}
                )
            log.warning("%s notice to %s not delivered: %s", name, destination, err)
    return waiting[-OUTBOX_LIMIT:]


def wire_notifications(
    bosun: Bosun,
    notifiers: Mapping[str, Notifier],
    fixed: Mapping[int, notify_routes.Routes] | None = None,
    every_s: float = 30.0,
) -> None:
    """Run the notification job on the scheduler (nothing when no platform is configured).

    ``fixed`` holds routes from the environment (a one-organization home); each run also
    reads every organization's stored routes, so a change through the API applies at once.
    """
    if not notifiers:
        return

    def job(_payload: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        with bosun.db.transaction(ALL_TENANTS) as s:
            row = s.get(SystemState, STATE_KEY)
            state = dict(row.value) if row is not None else {}
            notices = collect(s, state, now)
            vessels = {v.id: (v.org_id, v.imo) for v in register.all_vessels(s)}
            stored = notify_routes.routes_by_organization(s)
        routes = build_routes(notifiers, stored, fixed)
        waiting = deliver(notices, routes, vessels.get, list(state.get("outbox", [])))
        state["outbox"] = waiting
        with bosun.db.transaction(ALL_TENANTS) as s:
            row = s.get(SystemState, STATE_KEY)
            if row is None:
                s.add(SystemState(key=STATE_KEY, value=state))
            else:
                row.value = state
        if notices:
            log.info("notifications: %d posted, %d waiting", len(notices), len(waiting))

    bosun.runner.register("notifications", job)
    bosun.scheduler.every(every_s, "notifications")
    bosun.runner.submit("notifications", {})


def configured_notifiers(bosun: Bosun) -> dict[str, Notifier]:
    """Return the platforms Bosun can post notices to (those with a bot configured)."""
    notifiers: dict[str, Notifier] = {}
    from channels.chat.slack import SlackNotifier, SlackSettings

    slack = SlackNotifier.from_settings(SlackSettings(), public_url=bosun.settings.public_url)
    if slack is not None:
        notifiers["slack"] = slack
    from channels.chat.wire_telegram import telegram_notifier

    telegram = telegram_notifier(bosun.settings.public_url)
    if telegram is not None:
        notifiers["telegram"] = telegram
    return notifiers


def environment_routes(
    bosun: Bosun, settings: NotifySettings | None = None
) -> dict[int, notify_routes.Routes]:
    """Return ``BOSUN_SLACK_NOTIFY`` / ``BOSUN_TELEGRAM_NOTIFY`` as the only organization's routes.

    Raise ``invalid`` when they are set and the database holds several organizations.
    """
    settings = settings or NotifySettings()
    fixed: notify_routes.Routes = {
        "slack": dict(settings.slack_notify),
        "telegram": dict(settings.telegram_notify),
    }
    if not any(fixed.values()):
        return {}
    with bosun.db.transaction(ALL_TENANTS) as s:
        org_ids = [o.id for o in register.list_organizations(s)]
    if len(org_ids) > 1:
        raise BosunError(
            ErrorCode.invalid,
            f"{', '.join(_env_names(fixed))} apply only to a home with one organization, and "
            f"this database holds {len(org_ids)}: unset them and give each organization its "
            "routes with PUT /v1/notifications/routes",
        )
    return {org_ids[0]: fixed} if org_ids else {}


def _env_names(fixed: notify_routes.Routes) -> list[str]:
    return [f"BOSUN_{name.upper()}_NOTIFY" for name, targets in fixed.items() if targets]


def check_notify_settings(bosun: Bosun) -> None:
    """Refuse to start with environment routes in a home with several organizations."""
    environment_routes(bosun)


def start_notifications(bosun: Bosun) -> list[str]:
    """Wire the notification job at start; return the platforms it posts to."""
    settings = NotifySettings()
    notifiers = configured_notifiers(bosun)
    fixed = environment_routes(bosun, settings)
    for name, targets in (
        ("slack", settings.slack_notify),
        ("telegram", settings.telegram_notify),
    ):
        if targets and name not in notifiers:
            bosun.startup.warn(
                f"notifications: BOSUN_{name.upper()}_NOTIFY is set but {name} is not configured"
            )
    wire_notifications(bosun, notifiers, fixed, settings.notify_every_s)
    return sorted(notifiers)
