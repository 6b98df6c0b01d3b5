"""The caller's context that every service call takes."""

from __future__ import annotations

from dataclasses import dataclass, field

from records.models import Role


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is acting: their organization, user, role, vessels and channel."""

    org_id: int
    role: Role
    user_id: int | None = None
    vessel_ids: frozenset[int] = field(default_factory=frozenset)
    channel: str = "api"

    @property
    def all_vessels(self) -> bool:
        """Whether the caller sees every vessel of the organization."""
        return self.role in (Role.shore, Role.admin) or not self.vessel_ids

    def sees_vessel(self, vessel_id: int) -> bool:
        """Whether the caller may see this vessel's rows."""
        return self.all_vessels or vessel_id in self.vessel_ids

    def via(self, channel: str) -> Caller:
        """Return the same caller acting through another channel."""
        return Caller(self.org_id, self.role, self.user_id, self.vessel_ids, channel)


def system_caller(org_id: int, channel: str = "system") -> Caller:
    """Return a caller for Bosun's own work inside one organization (jobs, imports)."""
    return Caller(org_id=org_id, role=Role.admin, user_id=None, channel=channel)
