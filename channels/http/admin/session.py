"""Admin browser sessions: a signed cookie, CSRF tokens, and a brake on password guessing."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from channels.app.runtime import Bosun
from records import ALL_TENANTS, Caller, Role, User, users

SESSION_COOKIE = "bosun_admin"
LOGIN_CSRF_COOKIE = "bosun_login_csrf"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A signed-in admin."""

    user_id: int
    org_id: int
    name: str
    email: str
    csrf: str
    caller: Caller


class SessionCodec:
    """Signs and reads the session cookie with the server's secret."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="bosun-admin-session")

    def issue(self, user: User) -> str:
        """Return a cookie value for a freshly signed-in user, with a new CSRF token."""
        return self._serializer.dumps(
            {"u": user.id, "o": user.org_id, "c": secrets.token_urlsafe(24)}
        )

    def read(self, bosun: Bosun, cookie: str | None) -> AdminSession | None:
        """Return the session a cookie carries if it is valid and its user still an admin."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        with bosun.db.transaction(int(data["o"])) as s:
            user = s.get(User, int(data["u"]))
            if user is None or not user.active or user.role != Role.admin:
                return None
            return AdminSession(
                user_id=user.id,
                org_id=user.org_id,
                name=user.name,
                email=user.email,
                csrf=str(data["c"]),
                caller=users.caller_for(user, "admin"),
            )


def csrf_ok(expected: str, given: str | None) -> bool:
    """Compare a form's CSRF token with the session's, in constant time."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


class LoginThrottle:
    """Refuse further attempts for an address after repeated wrong passwords."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        """Whether this address has failed too often lately."""
        with self._lock:
            window = self._failures[key]
            while window and time.monotonic() - window[0] > FAILURE_WINDOW_S:
                window.popleft()
            return len(window) >= MAX_FAILURES

    def failed(self, key: str) -> None:
        """Count a wrong password."""
        with self._lock:
            self._failures[key].append(time.monotonic())

    def succeeded(self, key: str) -> None:
        """Forget an address's failures."""
        with self._lock:
            self._failures.pop(key, None)


def check_login(bosun: Bosun, email: str, password: str) -> User | str:
    """Return the admin with these credentials, or why not (never which part was wrong)."""
    with bosun.db.transaction(ALL_TENANTS) as s:
        for user in users.users_with_email(s, email):
            if users.verify_password(password, user.password_hash):
                if user.role != Role.admin:
                    return "the admin pages are for users with the admin role"
                s.expunge(user)
                return user
    return "wrong email or password"


def ensure_admin_password(bosun: Bosun, email: str) -> str | None:
    """Give a user without a password a random one and return it (the demo admin)."""
    with bosun.db.transaction(ALL_TENANTS) as s:
        user = users.any_user_with_email(s, email)
        if user is None or user.password_hash:
            return None
        password = secrets.token_urlsafe(9)
        user.password_hash = users.hash_password(password)
        return password
