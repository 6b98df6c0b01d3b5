"""One application error with a stable code; channels turn it into problem JSON or a reply."""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    """Stable error codes, each with its HTTP status."""

    not_found = "not_found"
    forbidden = "forbidden"
    unauthorized = "unauthorized"
    invalid = "invalid"
    conflict = "conflict"
    invalid_transition = "invalid_transition"
    expired = "expired"
    too_large = "too_large"
    unsupported_media_type = "unsupported_media_type"
    unavailable = "unavailable"

    @property
    def http_status(self) -> int:
        """HTTP status that goes with the code."""
        return _STATUS[self]


_STATUS = {
    ErrorCode.unsupported_media_type: 415,
    ErrorCode.not_found: 404,
    ErrorCode.forbidden: 403,
    ErrorCode.unauthorized: 401,
    ErrorCode.invalid: 422,
    ErrorCode.conflict: 409,
    ErrorCode.invalid_transition: 409,
    ErrorCode.expired: 410,
    ErrorCode.too_large: 413,
    ErrorCode.unavailable: 503,
}


class BosunError(Exception):
    """An error a person can act on: a stable code, a message, optional details."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


def not_found(entity: str, ident: object) -> BosunError:
    """Build the error for a row that does not exist for this caller."""
    return BosunError(ErrorCode.not_found, f"{entity} {ident} not found", entity=entity)


def forbidden(message: str) -> BosunError:
    """Build the error for an action the caller's role does not allow."""
    return BosunError(ErrorCode.forbidden, message)


def invalid(message: str, **details: Any) -> BosunError:
    """Build the error for bad input."""
    return BosunError(ErrorCode.invalid, message, **details)
