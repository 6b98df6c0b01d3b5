"""Who a job goes to: names, positions on board in crew words, roles, and 'me'."""

from __future__ import annotations

import pytest

from records import Database, Role, User, users
from records.ranks import rank_of
from tests.conftest import Tenant


@pytest.mark.parametrize(
    ("words", "rank"),
    [
        ("2nd eng", "second engineer"),
        ("the 2/E", "second engineer"),
        ("2E", "second engineer"),
        ("Second engineer", "second engineer"),
        ("3/E", "third engineer"),
        ("third engineer", "third engineer"),
        ("C/E", "chief engineer"),
        ("the chief", "chief engineer"),
        ("chief eng", "chief engineer"),
        ("motorman", "motorman"),
        ("the oiler", "motorman"),
        ("the ETO", "electro-technical officer"),
        ("electro-technical officer", "electro-technical officer"),
        ("C/O", "chief officer"),
        ("bosun", "bosun"),
        ("Ola", None),
        ("Technical superintendent", None),
        ("2nd eng and the fitter", None),  # words about a rank, not a rank
    ],
)
def test_ranks_in_crew_words(words: str, rank: str | None) -> None:
    found = rank_of(words)
    assert (found.name if found else None) == rank


def test_positions_decide_a_rank_and_roles_stand_in_without_them(
    db: Database, tenant: Tenant
) -> None:
    admin, chief = tenant[Role.admin], tenant[Role.chief_engineer]
    with db.transaction(admin) as s:
        # the tenant's users (one per role) have no position: a rank finds its usual role
        only = users.find_assignees(s, chief, "2nd eng")
        assert [u.role for u in only] == [Role.officer]
        assert [u.id for u in users.find_assignees(s, chief, "C/E")] == [chief.user_id]
        assert [u.id for u in users.find_assignees(s, chief, "me")] == [chief.user_id]
        officer = s.get(User, tenant[Role.officer].user_id)
        assert officer is not None
        users.update_user(s, admin, officer, position="  Second engineer ")
        assert officer.position == "Second engineer"
        third = users.create_user(
            s,
            admin,
            name="Per Olsen",
            email=f"per.{tenant.org_id}@example.test",
            role="officer",
            position="3/E",
        )
        s.flush()
        # positions recorded: they decide, whatever the roles
        assert [u.id for u in users.find_assignees(s, chief, "the 2/E")] == [officer.id]
        assert [u.id for u in users.find_assignees(s, chief, "third engineer")] == [third.id]
        assert users.find_assignees(s, chief, "the ETO") == []  # nobody holds it
        assert [u.id for u in users.find_assignees(s, chief, "Per")] == [third.id]
        assert [u.id for u in users.find_assignees(s, chief, "3/e")] == [third.id]
        users.update_user(s, admin, third, position="")
        assert third.position is None
