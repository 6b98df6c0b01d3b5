"""SQLAlchemy 2 typed models for the whole maintenance domain.

Every row that belongs to a tenant carries ``org_id``. Readings are the one exception: they
reach their tenant through their sensor (see ``Reading``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so the primary key is the rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and normalise to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give times with a timezone (UTC preferred)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to values SQLite returns naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention Alembic can rely on."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    """What a user may do; each role includes the ones before it except ``shore``."""

    crew = "crew"
    officer = "officer"
    chief_engineer = "chief_engineer"
    shore = "shore"
    admin = "admin"


class Priority(enum.StrEnum):
    """Urgency of a fault or work order."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        """Return the urgency as a number, low 0 to critical 3 (the members' order)."""
        return list(Priority).index(self)


class Criticality(enum.StrEnum):
    """How much the vessel depends on a piece of equipment."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class FaultStatus(enum.StrEnum):
    """Fault lifecycle: open → acknowledged → in_progress → resolved → closed (and reopen)."""

    open = "open"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class WorkOrderKind(enum.StrEnum):
    """Why a work order exists."""

    corrective = "corrective"
    preventive = "preventive"
    inspection = "inspection"


class WorkOrderStatus(enum.StrEnum):
    """Work order lifecycle."""

    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class PendingStatus(enum.StrEnum):
    """Lifecycle of an action proposed for a person to confirm."""

    proposed = "proposed"
    confirmed = "confirmed"
    executed = "executed"
    rejected = "rejected"
    expired = "expired"
    failed = "failed"


class DocumentStatus(enum.StrEnum):
    """Where a knowledge-base document is in ingestion."""

    pending = "pending"
    indexed = "indexed"
    failed = "failed"
    disabled = "disabled"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class Organization(Base):
    """A tenant: a ship owner or operator."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vessel(Base):
    """A ship or offshore unit."""

    __tablename__ = "vessels"
    __table_args__ = (UniqueConstraint("org_id", "imo"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    imo: Mapped[str] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Equipment(Base):
    """A node of a vessel's equipment tree: system, subsystem or component."""

    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("vessel_id", "code"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    equipment_class: Mapped[str | None] = mapped_column("class", String(50), index=True)
    maker: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial: Mapped[str | None] = mapped_column(String(200))
    criticality: Mapped[Criticality | None] = mapped_column(_enum(Criticality))
    running_hours: Mapped[float] = mapped_column(Float, default=0.0)
    running_hours_at: Mapped[datetime | None]
    installed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Equipment | None] = relationship(remote_side="Equipment.id")


class Sensor(Base):
    """A measured quantity on a piece of equipment."""

    __tablename__ = "sensors"
    __table_args__ = (UniqueConstraint("vessel_id", "tag"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    tag: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(30))
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    counter: Mapped[str | None] = mapped_column(String(30))
    """What a counter sensor keeps current, e.g. ``running_hours``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reading(Base):
    """One sampled value.

    Readings carry no ``org_id``: they reach their tenant through their sensor. On
    PostgreSQL the table has no row-level security so that bulk loads can use COPY (which
    PostgreSQL refuses on an RLS table); instead the application role may only INSERT into
    it, reads go through the ``tenant_readings`` view joined to ``sensors`` (which has RLS),
    and the service checks every sensor id against the caller's tenant before loading.
    """

    __tablename__ = "readings"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    time: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(Integer, default=0)
    """0 = good; other values are source-specific bad or uncertain codes."""


class ReadingRollup(Base):
    """One sensor's readings over one minute, kept after the raw readings are pruned."""

    __tablename__ = "reading_rollups"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class User(Base):
    """A person who uses Bosun."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_enum(Role))
    position: Mapped[str | None] = mapped_column(String(100))
    """Position on board (rank), as the crew name it: 'Second engineer', 'Motorman'."""
    vessel_ids: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelIdentity(Base):
    """A Slack or Telegram account linked to a user."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("org_id", "channel", "external_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code that ties a Slack or Telegram account to a user; only its hash is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(240))
    """``channel:external_id`` of the account that redeemed the code."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationRoute(Base):
    """Where an organization's notices go on one platform, for one vessel (IMO) or ``*``."""

    __tablename__ = "notification_routes"
    __table_args__ = (UniqueConstraint("org_id", "platform", "vessel"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    vessel: Mapped[str] = mapped_column(String(20))
    """A vessel's IMO number, or ``*`` for every vessel of the organization."""
    destination: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GlossaryEntry(Base):
    """An organization's own crew term (abbreviation) and what it stands for in its manuals.

    It overrides a shipped glossary entry with the same term for this organization only.
    """

    __tablename__ = "glossary_entries"
    __table_args__ = (UniqueConstraint("org_id", "term_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    term: Mapped[str] = mapped_column(String(60))
    term_key: Mapped[str] = mapped_column(String(60))
    """The term case-folded with whitespace collapsed: one entry per term per organization."""
    expansion: Mapped[str] = mapped_column(String(300))
    """What the term stands for; alternatives separated by ``;``."""
    notes: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Fault(Base):
    """A reported defect on a piece of equipment."""

    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.medium)
    status: Mapped[FaultStatus] = mapped_column(
        _enum(FaultStatus), default=FaultStatus.open, index=True
    )
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_via: Mapped[str] = mapped_column(String(30), default="api")
    root_cause: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[list[Any]] = mapped_column(default=list)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkOrder(Base):
    """A job to do on a piece of equipment."""

    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    fault_id: Mapped[int | None] = mapped_column(ForeignKey("faults.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_plans.id"), index=True)
    kind: Mapped[WorkOrderKind] = mapped_column(_enum(WorkOrderKind))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.medium)
    status: Mapped[WorkOrderStatus] = mapped_column(
        _enum(WorkOrderStatus), default=WorkOrderStatus.open, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due: Mapped[datetime | None]
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    notes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Part(Base):
    """A spare part in the organization's catalogue."""

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("org_id", "number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    equipment_codes: Mapped[list[Any]] = mapped_column(default=list)


class Stock(Base):
    """How many of a part a vessel holds."""

    __tablename__ = "stock"
    __table_args__ = (UniqueConstraint("vessel_id", "part_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[float] = mapped_column(Float, default=0.0)
    minimum: Mapped[float] = mapped_column(Float, default=0.0)
    location: Mapped[str | None] = mapped_column(String(100))


class PartUsage(Base):
    """Parts consumed by a work order."""

    __tablename__ = "part_usages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaintenancePlan(Base):
    """Preventive maintenance every N running hours and/or every N days."""

    __tablename__ = "maintenance_plans"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[WorkOrderKind] = mapped_column(
        _enum(WorkOrderKind), default=WorkOrderKind.preventive
    )
    every_hours: Mapped[float | None] = mapped_column(Float)
    every_days: Mapped[int | None] = mapped_column(Integer)
    last_done_at: Mapped[datetime | None]
    last_done_hours: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    """The knowledge base's record of one source document."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int | None] = mapped_column(ForeignKey("vessels.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), default="manual")
    filename: Mapped[str | None] = mapped_column(String(300))
    path: Mapped[str | None] = mapped_column(String(1000))
    media_type: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[DocumentStatus] = mapped_column(
        _enum(DocumentStatus), default=DocumentStatus.pending
    )
    error: Mapped[str | None] = mapped_column(Text)
    equipment_codes: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    pages: Mapped[int | None] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    ingest_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Ingests started for the current version; a crash re-queues it once, then it fails."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Conversation(Base):
    """A dialogue in one channel (a Slack thread, a Telegram chat, a widget session)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("org_id", "channel", "external_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    vessel_id: Mapped[int | None] = mapped_column(ForeignKey("vessels.id"))
    channel: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    """One turn's message, with its citations, tool calls and feedback."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    tool_calls: Mapped[list[Any]] = mapped_column(default=list)
    feedback: Mapped[str | None] = mapped_column(String(20))
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    unanswered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingAction(Base):
    """A write proposed by the assistant or a reaction, waiting for a person's yes."""

    __tablename__ = "pending_actions"
    __table_args__ = (UniqueConstraint("org_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vessel_id: Mapped[int | None] = mapped_column(ForeignKey("vessels.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PendingStatus] = mapped_column(
        _enum(PendingStatus), default=PendingStatus.proposed, index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(100))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    addressed_to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    addressed_to_role: Mapped[Role | None] = mapped_column(_enum(Role))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(30), default="api")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ModelVersion(Base):
    """A trained predictor, with its metrics and artifact."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("org_id", "equipment_class", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    equipment_class: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(String(30), default="failure_risk")
    horizon_days: Mapped[int] = mapped_column(Integer, default=14)
    features: Mapped[list[Any]] = mapped_column(default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data_from: Mapped[datetime | None]
    data_to: Mapped[datetime | None]
    artifact_path: Mapped[str] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prediction(Base):
    """A model's risk for one piece of equipment at one time."""

    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_equipment_time", "equipment_id", "as_of"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    as_of: Mapped[datetime]
    risk: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[Any]] = mapped_column(default=list)
    anomalies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who changed what, before and after, through which channel."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Job(Base):
    """A queued unit of background work (the embedded job runner's durable queue)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class SystemState(Base):
    """Key/value facts about the installation (e.g. which first-start steps are done)."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


TENANT_TABLES: tuple[str, ...] = tuple(
    t.name for t in Base.metadata.sorted_tables if "org_id" in t.c and t.name != "jobs"
)
"""Tables protected by row-level security on PostgreSQL."""
