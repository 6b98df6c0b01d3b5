"""The admin pages' routes: every page needs a signed-in admin; every change a CSRF token."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FunctionLoader, select_autoescape
from starlette.datastructures import UploadFile

from assistant import Speaker
from channels.admin.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    AdminSession,
    LoginThrottle,
    SessionCodec,
    check_login,
    csrf_ok,
)
from channels.chat_service import open_gateway, server_secret
from channels.glossary_service import glossary_rows
from channels.knowledge_service import open_knowledge
from channels.page_security import new_nonce, page_csp
from channels.runtime import Bosun
from records import (
    BosunError,
    DocumentStatus,
    ErrorCode,
    conversations,
    documents,
    faults,
    glossary,
    model_registry,
    pending,
    register,
    users,
    work_orders,
)


def _template_source(name: str) -> str:
    return files("channels.admin").joinpath(f"templates/{name}").read_text(encoding="utf-8")


_ENV = Environment(loader=FunctionLoader(_template_source), autoescape=select_autoescape(["html"]))


def admin_router(bosun: Bosun) -> APIRouter:
    """Return the router for ``/admin``."""
    router = APIRouter(prefix="/admin", include_in_schema=False)
    codec = SessionCodec(server_secret(bosun))
    throttle = LoginThrottle()

    def render(request: Request, name: str, session: AdminSession | None, **ctx: Any) -> Response:
        nonce = new_nonce()
        html = _ENV.get_template(name).render(
            session=session,
            csp_nonce=nonce,
            path=request.url.path,
            message=request.query_params.get("msg"),
            failed=request.query_params.get("error") == "1",
            **ctx,
        )
        return HTMLResponse(
            html, headers={**_SECURITY_HEADERS, "Content-Security-Policy": page_csp(nonce)}
        )

    def signed_in(request: Request) -> AdminSession | None:
        return codec.read(bosun, request.cookies.get(SESSION_COOKIE))

    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/admin/login?next={quote(request.url.path)}", status_code=303)

    async def checked_form(request: Request) -> tuple[AdminSession, Any] | Response:
        """Return the session and form of a POST, or the response that refuses it."""
        session = signed_in(request)
        if session is None:
            return to_login(request)
        if not _same_origin(request):
            return HTMLResponse("cross-site request refused", status_code=403)
        form = await request.form()
        token = form.get("csrf") or request.headers.get("x-csrf-token")
        if not csrf_ok(session.csrf, str(token) if token else None):
            return HTMLResponse(
                "the form expired or came from another site: reload the page and try again",
                status_code=403,
            )
        return session, form

    def back(to: str, message: str, *, error: bool = False) -> Response:
        sep = "&" if "?" in to else "?"
        return RedirectResponse(
            f"{to}{sep}msg={quote(message)}{'&error=1' if error else ''}", status_code=303
        )

    # --- login ---------------------------------------------------------------------------

    @router.get("/login")
    def login_page(request: Request) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or _new_token()
        response = render(
            request, "login.html", None, csrf=token, next=_safe_next(request.query_params)
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            path="/admin",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE) or "", _field(form, "csrf")):
            return back("/admin/login", "The form expired: try again.", error=True)
        email = _field(form, "email").strip().lower()
        key = f"{request.client.host if request.client else '-'}|{email}"
        if throttle.blocked(key):
            return back("/admin/login", "Too many wrong passwords: wait five minutes.", error=True)
        result = await asyncio.to_thread(check_login, bosun, email, _field(form, "password"))
        if isinstance(result, str):
            throttle.failed(key)
            return back("/admin/login", result[0].upper() + result[1:] + ".", error=True)
        throttle.succeeded(key)
        response = RedirectResponse(_safe_next(form), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            codec.issue(result),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        response = RedirectResponse("/admin/login?msg=Signed%20out.", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("")
    def home(request: Request) -> Response:
        return RedirectResponse("/admin/documents", status_code=303)

    # --- documents ---------------------------------------------------------------------

    @router.get("/documents")
    def documents_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
            docs = documents.list_documents(s, session.caller, limit=200).items
            vessels = register.list_vessels(s, session.caller)
            rows = [_doc_row(d) for d in docs]
        return render(
            request,
            "documents.html",
            session,
            documents=rows,
            vessels=[(v.id, v.name) for v in vessels],
            kinds=documents.KINDS,
            accept=",".join(documents.UPLOAD_SUFFIXES),
            max_mb=bosun.settings.max_upload_bytes // 1_000_000,
        )

    @router.post("/documents/upload")
    async def upload(request: Request) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        wants_json = "application/json" in request.headers.get("accept", "")
        file = form.get("file")
        try:
            if not isinstance(file, UploadFile) or not file.filename:
                raise BosunError(ErrorCode.invalid, "choose a file to upload")
            limit = bosun.settings.max_upload_bytes
            data = await file.read(limit + 1)
            kind = _field(form, "kind") or "manual"
            name = documents.check_upload(file.filename, kind, len(data), limit)
            vessel = _field(form, "vessel_id")
            summary = await asyncio.to_thread(
                _ingest_upload,
                bosun,
                session,
                name,
                data,
                kind=kind,
                vessel_id=int(vessel) if vessel.isdigit() else None,
                tags=_list(_field(form, "tags")),
                equipment_codes=_list(_field(form, "equipment_codes")),
            )
        except BosunError as err:
            if wants_json:
                return JSONResponse({"ok": False, "detail": err.message}, status_code=400)
            return back("/admin/documents", err.message, error=True)
        if wants_json:
            return JSONResponse({"ok": not summary["failed"], **summary})
        text = summary["failed"] or f"{name}: {summary['status']}, {summary['chunks']} chunks"
        return back("/admin/documents", str(text), error=bool(summary["failed"]))

    @router.get("/documents/{document_id}")
    def document_page(request: Request, document_id: int) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        try:
            with bosun.db.transaction(session.caller) as s:
                doc = _doc_row(documents.get_document(s, session.caller, document_id))
        except BosunError as err:
            return back("/admin/documents", err.message, error=True)
        passages = open_knowledge(bosun).passages(session.caller, document_id)
        return render(
            request,
            "document.html",
            session,
            doc=doc,
            kinds=documents.KINDS,
            passages=[
                {"page": p.page, "section": p.section, "text": p.text} for p in passages[:300]
            ],
        )

    @router.post("/documents/{document_id}/{verb}")
    async def document_action(request: Request, document_id: int, verb: str) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        service = open_knowledge(bosun)
        here = f"/admin/documents/{document_id}"
        try:
            if verb == "disable":
                await asyncio.to_thread(service.set_enabled, session.caller, document_id, False)
                return back(here, "Disabled: search no longer finds it.")
            if verb == "enable":
                await asyncio.to_thread(service.set_enabled, session.caller, document_id, True)
                return back(here, "Enabled.")
            if verb == "reindex":
                await asyncio.to_thread(service.reindex, session.caller, document_id)
                return back(here, "Re-indexed.")
            if verb == "delete":
                await asyncio.to_thread(service.delete, session.caller, document_id)
                return back("/admin/documents", f"Document {document_id} deleted.")
            if verb == "edit":
                changes: dict[str, Any] = {"tags": _list(_field(form, "tags"))}
                if _field(form, "title").strip():
                    changes["title"] = _field(form, "title").strip()
                if _field(form, "kind") in documents.KINDS:
                    changes["kind"] = _field(form, "kind")
                await asyncio.to_thread(service.update_scope, session.caller, document_id, changes)
                return back(here, "Saved and re-indexed.")
        except BosunError as err:
            return back(here, err.message, error=True)
        return HTMLResponse("unknown action", status_code=404)

    # --- what nothing answered -----------------------------------------------------------

    @router.get("/review")
    def review_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        items = []
        with bosun.db.transaction(session.caller) as s:
            page = conversations.questions_to_review(s, session.caller, limit=100)
            for msg in page.items:
                conv = conversations.get_conversation(s, session.caller, msg.conversation_id)
                items.append(
                    {
                        "question": conversations.question_before(s, session.caller, msg) or "",
                        "reply": msg.text,
                        "unanswered": msg.unanswered,
                        "feedback": msg.feedback,
                        "comment": msg.feedback_comment,
                        "at": msg.created_at,
                        "channel": conv.channel,
                    }
                )
        return render(request, "review.html", session, items=items)

    # --- register, maintenance ---------------------------------------------------------

    @router.get("/register")
    def register_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
            vessels = register.list_vessels(s, session.caller)
            chosen = _chosen_vessel(request, [v.id for v in vessels])
            rows = (
                [
                    register.equipment_dict(e)
                    for e in register.equipment_of_vessel(s, session.caller, chosen)
                ]
                if chosen
                else []
            )
        return render(
            request,
            "register.html",
            session,
            vessels=[(v.id, v.name) for v in vessels],
            chosen=chosen,
            equipment=rows,
        )

    @router.get("/maintenance")
    def maintenance_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
            names = {
                e.id: f"{e.code} {e.name}"
                for v in register.list_vessels(s, session.caller)
                for e in register.equipment_of_vessel(s, session.caller, v.id)
            }
            open_faults = faults.list_faults(s, session.caller, open_only=True, limit=200).items
            open_wos = work_orders.list_work_orders(
                s, session.caller, open_only=True, limit=200
            ).items
            proposed = pending.list_actions(s, session.caller)
            context = {
                "faults": [
                    {
                        "id": f.id,
                        "equipment": names.get(f.equipment_id, f.equipment_id),
                        "title": f.title,
                        "priority": f.priority.value,
                        "status": f.status.value,
                        "via": f.reported_via,
                        "at": f.opened_at,
                        "attachments": len(f.attachments or []),
                    }
                    for f in open_faults
                ],
                "work_orders": [
                    {
                        "id": w.id,
                        "equipment": names.get(w.equipment_id, w.equipment_id),
                        "title": w.title,
                        "kind": w.kind.value,
                        "status": w.status.value,
                        "due": w.due,
                    }
                    for w in open_wos
                ],
                "actions": [
                    {
                        "id": a.id,
                        "kind": a.kind,
                        "summary": a.summary,
                        "channel": a.channel,
                        "at": a.created_at,
                    }
                    for a in proposed
                ],
            }
        return render(request, "maintenance.html", session, **context)

    @router.post("/actions/{action_id}/{verb}")
    async def decide(request: Request, action_id: int, verb: str) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        if verb not in ("confirm", "cancel"):
            return HTMLResponse("unknown action", status_code=404)
        speaker = Speaker(
            org_id=session.org_id,
            user_id=session.user_id,
            name=session.name,
            email=session.email,
            role="admin",
            channel="admin",
        )
        try:
            result = await asyncio.to_thread(
                open_gateway(bosun).decide, speaker, action_id, approve=verb == "confirm"
            )
        except BosunError as err:
            return back("/admin/maintenance", err.message, error=True)
        return back("/admin/maintenance", result.reply)

    # --- users and link codes -------------------------------------------------------------

    @router.get("/users")
    def users_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
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
        return render(
            request, "users.html", session, users=rows, code=request.query_params.get("code")
        )

    @router.post("/users/{user_id}/link-code")
    async def link_code(request: Request, user_id: int) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        try:
            with bosun.db.transaction(session.caller) as s:
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

    # --- glossary --------------------------------------------------------------------------

    @router.get("/glossary")
    def glossary_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
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
    async def glossary_add(request: Request) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        term, expansion = _field(form, "term"), _field(form, "expansion")
        try:
            with bosun.db.transaction(session.caller) as s:
                entry, created = glossary.set_entry(
                    s, session.caller, term, expansion, _field(form, "notes") or None
                )
                said = entry.term
        except BosunError as err:
            return back("/admin/glossary", err.message, error=True)
        return back("/admin/glossary", f"{said} {'added' if created else 'replaced'}.")

    @router.post("/glossary/{entry_id}/delete")
    async def glossary_delete(request: Request, entry_id: int) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        try:
            with bosun.db.transaction(session.caller) as s:
                said = glossary.get_entry(s, session.caller, entry_id).term
                glossary.delete_entry(s, session.caller, entry_id)
        except BosunError as err:
            return back("/admin/glossary", err.message, error=True)
        return back("/admin/glossary", f"{said} removed.")

    # --- connectors, models --------------------------------------------------------------

    @router.get("/connectors")
    def connectors_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        thread = bosun.extras.get("connectors")
        sources = [asdict(h) for h in thread.runtime.health()] if thread is not None else []
        return render(
            request, "connectors.html", session, running=thread is not None, sources=sources
        )

    @router.get("/models")
    def models_page(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with bosun.db.transaction(session.caller) as s:
            models = [
                {
                    "id": m.id,
                    "equipment_class": m.equipment_class,
                    "version": m.version,
                    "active": m.active,
                    "metrics": m.metrics or {},
                    "created_at": m.created_at,
                }
                for m in model_registry.list_models(s, session.caller)
            ]
        return render(request, "models.html", session, models=models)

    @router.post("/models/{model_id}/activate")
    async def activate(request: Request, model_id: int) -> Response:
        checked = await checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        try:
            with bosun.db.transaction(session.caller) as s:
                mv = model_registry.get_model(s, session.caller, model_id)
                model_registry.activate_model(s, session.caller, mv)
        except BosunError as err:
            return back("/admin/models", err.message, error=True)
        return back("/admin/models", f"Model {model_id} is now active.")

    return router


_SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _safe_next(params: Any) -> str:
    """Only ever redirect within the admin pages after login."""
    target = params.get("next") if params is not None else None
    if isinstance(target, str) and target.startswith("/admin") and "//" not in target:
        return target
    return "/admin/documents"


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def _chosen_vessel(request: Request, vessel_ids: list[int]) -> int | None:
    raw = request.query_params.get("vessel", "")
    if raw.isdigit() and int(raw) in vessel_ids:
        return int(raw)
    return vessel_ids[0] if vessel_ids else None


def _doc_row(d: Any) -> dict[str, Any]:
    status = d.status.value if isinstance(d.status, DocumentStatus) else str(d.status)
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.kind,
        "filename": d.filename,
        "version": d.version,
        "status": status,
        "error": d.error,
        "pages": d.pages,
        "chunks": d.chunks,
        "enabled": d.enabled,
        "tags": list(d.tags or []),
        "vessel_id": d.vessel_id,
        "updated_at": d.updated_at,
    }


def _ingest_upload(
    bosun: Bosun,
    session: AdminSession,
    name: str,
    data: bytes,
    *,
    kind: str,
    vessel_id: int | None,
    tags: list[str],
    equipment_codes: list[str],
) -> dict[str, Any]:
    document_id, summary = open_knowledge(bosun).ingest_upload(
        session.caller,
        name,
        data,
        kind=kind,
        vessel_id=vessel_id,
        equipment_codes=equipment_codes,
        tags=tags,
    )
    row = None
    if document_id is not None:
        with bosun.db.transaction(session.caller) as s:
            row = _doc_row(documents.get_document(s, session.caller, document_id))
    return {
        "document_id": row["id"] if row else None,
        "status": row["status"] if row else "failed",
        "chunks": row["chunks"] if row else 0,
        "failed": "; ".join(f"{f.code}: {f.reason}" for f in summary.failed),
    }
