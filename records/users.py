"""Users, roles, API keys (stored hashed) and channel identities."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.common import (
    MAX_ID,
    Page,
    audit,
    audit_event,
    get_owned,
    paginate,
    scoped,
    snapshot,
)
from records.context import Caller
from records.errors import BosunError, ErrorCode, invalid
from records.models import ApiKey, ChannelIdentity, LinkCode, Role, User, Vessel, utcnow
from records.ranks import rank_of
from records.roles import Permission, confirming_role, require
from records.text import clean_line

KEY_PREFIX = "bsn"


def caller_for(user: User, channel: str = "api") -> Caller:
    """Return the context a user acts in."""
    return Caller(
        org_id=user.org_id,
        role=user.role,
        user_id=user.id,
        vessel_ids=frozenset(int(v) for v in user.vessel_ids or []),
        channel=channel,
    )


def create_user(
    session: Session,
    caller: Caller,
    *,
    name: str,
    email: str,
    role: Role | str,
    vessel_ids: list[int] | None = None,
    password: str | None = None,
    position: str | None = None,
) -> User:
    """Add a user to the caller's organization (``position``: their rank on board)."""
    require(caller, Permission.manage_users)
    email = email.strip().lower()
    if "@" not in email:
        raise invalid(f"not an email address: {email!r}")
    try:
        role = Role(role)
    except ValueError as err:
        raise invalid(f"role must be one of {', '.join(r.value for r in Role)}") from err
    _check_vessels(session, caller, vessel_ids or [])
    name = clean_line(name).strip()
    if not name:
        raise invalid("name: a user needs a name", field="name")
    if session.scalar(select(User).where(User.org_id == caller.org_id, User.email == email)):
        raise BosunError(ErrorCode.conflict, f"a user with email {email} exists already")
    user = User(
        org_id=caller.org_id,
        name=name,
        email=email,
        role=role,
        vessel_ids=list(vessel_ids or []),
        password_hash=hash_password(password) if password else None,
        position=_position(position),
    )
    session.add(user)
    audit(session, caller, "create", user)
    return user


def _check_vessels(session: Session, caller: Caller, vessel_ids: list[int]) -> None:
    for vid in vessel_ids:
        vessel = session.get(Vessel, vid) if 1 <= vid <= MAX_ID else None
        if vessel is None or vessel.org_id != caller.org_id:
            raise invalid(f"vessel_ids: unknown vessel {vid}", field="vessel_ids")


def get_user(session: Session, caller: Caller, user_id: int) -> User:
    """Return one user of the caller's organization (others than oneself: admins only)."""
    if user_id != caller.user_id:
        require(caller, Permission.manage_users)
    return get_owned(session, caller, User, user_id)


def find_user_by_email(session: Session, caller: Caller, email: str) -> User | None:
    """Return the organization's user with this email, if any."""
    return session.scalar(
        select(User).where(User.org_id == caller.org_id, User.email == email.strip().lower())
    )


def list_users(
    session: Session, caller: Caller, *, cursor: str | None = None, limit: int = 50
) -> Page[User]:
    """Return a page of the organization's users (admins only)."""
    require(caller, Permission.manage_users)
    return paginate(session, scoped(select(User), User, caller), User, cursor, limit)


def find_assignees(session: Session, caller: Caller, text: str) -> list[User]:
    """Return active users of the organization whose name, position or role the text names.

    For assigning work: any role that may update work orders, or ask for such an update
    that an officer confirms (crew: "central cooler WO assign to Ian"), may look people up
    this way (only ids, names, positions and roles leave through it; listing users stays
    admin-only). A rank in crew words ('2nd eng', '2/E', 'C/E', 'the ETO', 'motorman')
    finds those whose position is that rank; in an organization that records no
    positions, those whose role such a rank usually has. 'me' is the caller.
    """
    if confirming_role(caller, Permission.update_work_order) is None:
        require(caller, Permission.update_work_order)
    words = [w for w in text.lower().replace("_", " ").split() if len(w) > 1]
    if not words:
        return []
    stmt = scoped(select(User), User, caller).where(User.active.is_(True))
    people = list(session.scalars(stmt.order_by(User.id)))
    if " ".join(words) in ("me", "myself"):
        return [u for u in people if u.id == caller.user_id]
    rank = rank_of(text)
    if rank is not None:
        holders = [u for u in people if u.position and rank_of(u.position) == rank]
        if holders:
            return holders
        if rank.role is not None and not any(u.position for u in people):
            return [u for u in people if u.role is rank.role]
    found: list[User] = []
    for user in people:
        name = user.name.lower()
        role = user.role.value.replace("_", " ")
        phrase = " ".join(words)
        position = (user.position or "").lower()
        if (
            phrase in name
            or phrase == role
            or all(w in name.split() for w in words)
            or (position and phrase == position)
        ):
            found.append(user)
    return found


def _position(text: str | None) -> str | None:
    """Return a position as stored: one clean line, None when blank."""
    line = clean_line(text or "").strip()[:100]
    return line or None


def update_user(
    session: Session,
    caller: Caller,
    user: User,
    *,
    role: Role | str | None = None,
    vessel_ids: list[int] | None = None,
    active: bool | None = None,
    name: str | None = None,
    password: str | None = None,
    position: str | None = None,
) -> User:
    """Change a user's role, vessels, name, password, active flag or position ('' clears)."""
    require(caller, Permission.manage_users)
    before = snapshot(user)
    new_role = Role(role) if role is not None else user.role
    if (new_role is not Role.admin or active is False) and _is_last_admin(session, user):
        raise BosunError(
            ErrorCode.conflict,
            f"{user.email} is the organization's last active admin: make another user admin "
            "before demoting or deactivating this one",
        )
    if role is not None:
        user.role = new_role
    if vessel_ids is not None:
        _check_vessels(session, caller, vessel_ids)
        user.vessel_ids = list(vessel_ids)
    if active is not None:
        user.active = active
    name = clean_line(name).strip() if name else None
    if name:
        user.name = name
    if password:
        user.password_hash = hash_password(password)
    if position is not None:
        user.position = _position(position)
    audit(session, caller, "update", user, before)
    return user


def _is_last_admin(session: Session, user: User) -> bool:
    """Whether ``user`` is the only active admin of their organization."""
    if user.role is not Role.admin or not user.active:
        return False
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.org_id == user.org_id,
            User.role == Role.admin,
            User.active.is_(True),
            User.id != user.id,
        )
    )
    return not others


# --- passwords -----------------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """Hash a password with scrypt (a slow, salted hash)."""
    if len(password) < 8:
        raise invalid("passwords need at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Check a password against a stored scrypt hash in constant time."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


# --- API keys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A newly created key: the secret is shown once and never stored."""

    key: ApiKey
    secret: str


def key_hash(secret: str) -> str:
    """Return the stored hash of an API key's secret."""
    return _key_hash(secret)


def _key_hash(secret: str) -> str:
    # Keys are 192-bit random tokens, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, caller: Caller, *, user: User, name: str) -> IssuedKey:
    """Issue an API key for a user; only its hash is stored."""
    if user.id != caller.user_id:
        require(caller, Permission.manage_keys)
    if user.org_id != caller.org_id:
        raise invalid("unknown user")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        org_id=caller.org_id,
        user_id=user.id,
        name=clean_line(name).strip(),
        prefix=prefix,
        key_hash=_key_hash(secret),
    )
    session.add(key)
    audit(session, caller, "create", key)
    return IssuedKey(key, secret)


def audit_chat_token(session: Session, caller: Caller, *, user: User, expires_at: datetime) -> None:
    """Record that the caller issued a chat token for ``user`` (the token is never kept)."""
    if user.org_id != caller.org_id:
        raise invalid("unknown user")
    audit_event(
        session,
        caller,
        "issue_chat_token",
        User.__tablename__,
        user.id,
        {
            "issued_by": caller.user_id,
            "user_id": user.id,
            "email": user.email,
            "expires_at": expires_at.isoformat(),
        },
    )


def list_api_keys(session: Session, caller: Caller) -> list[ApiKey]:
    """Return the organization's keys (hashes only), newest first."""
    stmt = scoped(select(ApiKey), ApiKey, caller)
    if Permission.manage_keys not in _perms(caller):
        stmt = stmt.where(ApiKey.user_id == caller.user_id)
    return list(session.scalars(stmt.order_by(ApiKey.id.desc())))


def _perms(caller: Caller) -> frozenset[Permission]:
    from records.roles import GRANTS

    return GRANTS[caller.role]


def revoke_api_key(session: Session, caller: Caller, key_id: int) -> ApiKey:
    """Revoke a key; it stops working at once."""
    key = get_owned(session, caller, ApiKey, key_id)
    if key.user_id != caller.user_id:
        require(caller, Permission.manage_keys)
    before = snapshot(key)
    key.revoked_at = key.revoked_at or utcnow()
    audit(session, caller, "revoke", key, before)
    return key


def authenticate_key(session: Session, secret: str, channel: str = "api") -> Caller:
    """Return the caller a key belongs to (session bound to all tenants), or ``unauthorized``."""
    if not secret.startswith(f"{KEY_PREFIX}_"):
        raise BosunError(ErrorCode.unauthorized, "not a Bosun API key")
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _key_hash(secret)))
    if key is None or key.revoked_at is not None:
        raise BosunError(ErrorCode.unauthorized, "unknown or revoked API key")
    user = session.get(User, key.user_id)
    if user is None or not user.active:
        raise BosunError(ErrorCode.unauthorized, "the key's user is inactive")
    now = utcnow()
    # Recorded at most once a minute, so reads do not all queue behind a write.
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now
    return caller_for(user, channel)


# --- channel identities --------------------------------------------------------------------


def revoke_key_with_secret(session: Session, secret: str) -> bool:
    """Revoke the API key with this secret, as its owner; False if it is no valid key."""
    try:
        caller = authenticate_key(session, secret)
    except BosunError:
        return False
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(secret)))
    if key is None:
        return False
    revoke_api_key(session, caller, key.id)
    return True


def link_identity(
    session: Session, caller: Caller, *, user: User, channel: str, external_id: str
) -> ChannelIdentity:
    """Tie a Slack or Telegram account to a user."""
    if user.org_id != caller.org_id:
        raise invalid("unknown user")
    found = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.org_id == caller.org_id,
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
        )
    )
    if found is not None:
        before = snapshot(found)
        found.user_id = user.id
        audit(session, caller, "update", found, before)
        return found
    identity = ChannelIdentity(
        org_id=caller.org_id, user_id=user.id, channel=channel, external_id=external_id
    )
    session.add(identity)
    audit(session, caller, "create", identity)
    return identity


def user_for_identity(session: Session, org_id: int, channel: str, external_id: str) -> User | None:
    """Return the user linked to a channel account in an organization, if any."""
    identity = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.org_id == org_id,
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
        )
    )
    return session.get(User, identity.user_id) if identity else None


def identities_of(session: Session, channel: str, external_id: str) -> list[User]:
    """Return the active users a channel account is linked to, in every organization.

    Needs a session bound to all tenants: a Slack or Telegram account arrives before Bosun
    knows its organization.
    """
    rows = session.scalars(
        select(User)
        .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
            User.active.is_(True),
        )
        .order_by(User.org_id)
    )
    return list(rows)


def users_with_email(session: Session, email: str) -> list[User]:
    """Return the active users with this email, in every organization (all-tenant session)."""
    email = email.strip().lower()
    return list(
        session.scalars(
            select(User).where(User.email == email, User.active.is_(True)).order_by(User.org_id)
        )
    )


def first_user_with_role(
    session: Session, role: Role, *, org_id: int | None = None, active_only: bool = True
) -> User | None:
    """Return the oldest user with this role (of one organization, or of any: all tenants)."""
    stmt = select(User).where(User.role == role)
    if org_id is not None:
        stmt = stmt.where(User.org_id == org_id)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return session.scalar(stmt.order_by(User.id).limit(1))


def any_user_with_email(session: Session, email: str) -> User | None:
    """Return the oldest user with exactly this email, active or not (all-tenant session)."""
    return session.scalar(select(User).where(User.email == email).order_by(User.id).limit(1))


def organization_users(session: Session, caller: Caller) -> list[User]:
    """Return every user of the caller's organization, by id (system use: no page)."""
    return list(session.scalars(scoped(select(User), User, caller).order_by(User.id)))


# --- link codes -----------------------------------------------------------------------------

LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read off a screen and typed on a phone."""
LINK_CODE_TTL = timedelta(minutes=15)


def _code_hash(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"link:{normal}".encode()).hexdigest()


def issue_link_code(
    session: Session, caller: Caller, *, user: User, ttl: timedelta = LINK_CODE_TTL
) -> str:
    """Return a new one-time code (``ABCD-EFGH``) that links a chat account to ``user``.

    Users get codes for themselves; admins for anyone in their organization.
    """
    if user.org_id != caller.org_id:
        raise invalid("unknown user")
    if caller.user_id != user.id:
        require(caller, Permission.manage_users)
    if not user.active:
        raise invalid(f"user {user.email} is inactive")
    raw = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(8))
    code = f"{raw[:4]}-{raw[4:]}"
    row = LinkCode(
        org_id=user.org_id, user_id=user.id, code_hash=_code_hash(code), expires_at=utcnow() + ttl
    )
    session.add(row)
    audit(session, caller, "create", row)
    return code


def redeem_link_code(session: Session, code: str, *, channel: str, external_id: str) -> User:
    """Link a chat account to the user a code was issued to; each code works once.

    Needs a session bound to all tenants (the code says which organization).
    """
    row = session.scalar(select(LinkCode).where(LinkCode.code_hash == _code_hash(code)))
    now = utcnow()
    if row is None:
        raise invalid("unknown link code: check it, or ask for a new one")
    if row.used_at is not None:
        raise invalid("this link code was used already: ask for a new one")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    if expires < now:
        raise invalid("this link code has expired: ask for a new one")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise invalid("the code's user is inactive")
    row.used_at = now
    row.used_by = f"{channel}:{external_id}"[:240]
    link_identity(
        session, caller_for(user, channel), user=user, channel=channel, external_id=external_id
    )
    return user
