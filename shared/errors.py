"""Errors a user (or a producing service) can act on."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request.

    Over HTTP it answers ``status`` (422 by default) with the message and the field; in a
    consumer it is permanent: the event goes to the dead-letter topic without retries.
    """

    status = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "rule") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(DomainError):
    """Not there, or at another station than the caller's (both answer 404)."""

    status = 404

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found", code="not_found")


class Conflict(DomainError):
    """The record is in a state that does not allow this change."""

    status = 409
