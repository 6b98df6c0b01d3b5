"""The admin pages: server-rendered, behind a browser login (admin role only).

Documents (upload, status, chunks, tags, disable, re-index, delete), questions nothing
answered and unhelpful answers, the equipment register, open faults and work orders with
proposed actions to confirm, connector health and predictor models.
"""

from channels.http.admin.pages import admin_router
from channels.http.admin.session import SESSION_COOKIE, ensure_admin_password

__all__ = ["SESSION_COOKIE", "admin_router", "ensure_admin_password"]
