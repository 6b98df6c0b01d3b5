"""Users (and their link codes for Slack and Telegram) and the organization's glossary."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from channels.http.admin.web import CheckedForm, SignedIn, Site, back, field, page_router, render
from channels.services.glossary import glossary_rows
from records import BosunError, glossary, users

router = page_router()


@router.get("/users")
def users_page(request: Request, site: Site, session: SignedIn) -> Response:
    """List the organization's users."""
    with site.bosun.db.transaction(session.caller) as s:
        rows = [
            {
                "id": u.id,
                "name": u.name,
                "email": u.email,
                "role": u.role.value,
                "active": u.active,
                "password": bool(u.password_hash),
            }
            for u in users.list_users(s, session.caller, limit=500).items
        ]
    return render(request, "users.html", session, users=rows, code=request.query_params.get("code"))


@router.post("/users/{user_id}/link-code")
async def link_code(site: Site, session: SignedIn, _form: CheckedForm, user_id: int) -> Response:
    """Issue a one-time code that links a chat account to a user."""
    try:
        with site.bosun.db.transaction(session.caller) as s:
            user = users.get_user(s, session.caller, user_id)
            code = users.issue_link_code(s, session.caller, user=user)
            email = user.email
    except BosunError as err:
        return back("/admin/users", err.message, error=True)
    return back(
        "/admin/users",
        f"Link code for {email}: /link {code} (send it to the Bosun bot in Slack or "
        "Telegram; one use, 15 minutes)",
    )


@router.get("/glossary")
def glossary_page(request: Request, site: Site, session: SignedIn) -> Response:
    """Show the organization's terms beside the shipped ones."""
    with site.bosun.db.transaction(session.caller) as s:
        own = glossary_rows(s, session.caller, "organization")
        shipped = glossary_rows(s, session.caller, "shipped")
    overridden = {glossary.term_key(r.term) for r in own}
    return render(
        request,
        "glossary.html",
        session,
        own=own,
        shipped=shipped,
        overridden=overridden,
        key=glossary.term_key,
    )


@router.post("/glossary")
async def glossary_add(site: Site, session: SignedIn, form: CheckedForm) -> Response:
    """Add a term (or replace the organization's own)."""
    term, expansion = field(form, "term"), field(form, "expansion")
    try:
        with site.bosun.db.transaction(session.caller) as s:
            entry, created = glossary.set_entry(
                s, session.caller, term, expansion, field(form, "notes") or None
            )
            said = entry.term
    except BosunError as err:
        return back("/admin/glossary", err.message, error=True)
    return back("/admin/glossary", f"{said} {'added' if created else 'replaced'}.")


@router.post("/glossary/{entry_id}/delete")
async def glossary_delete(
    site: Site, session: SignedIn, _form: CheckedForm, entry_id: int
) -> Response:
    """Remove one of the organization's terms."""
    try:
        with site.bosun.db.transaction(session.caller) as s:
            said = glossary.get_entry(s, session.caller, entry_id).term
            glossary.delete_entry(s, session.caller, entry_id)
    except BosunError as err:
        return back("/admin/glossary", err.message, error=True)
    return back("/admin/glossary", f"{said} removed.")
