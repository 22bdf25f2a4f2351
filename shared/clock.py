"""One clock for every time rule, which tests (and a test stack) can drive.

Everything that asks "what time is it" goes through ``shared.clock.now()`` (``shared.db.utcnow``
is the same). Unit tests swap in a ``ManualClock``; a running service started with
``CLOCK_CONTROL=true`` (never in production) lets a test move its time forward with
``POST /admin/clock``, so 72-hour and two-week rules can be seen end to end without waiting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock(Clock):
    """The system time moved forward by an offset that can only grow (time never goes back)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta


class ManualClock(Clock):
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock holds aware UTC times")
        self.current = moment


_clock: Clock = Clock()


def now() -> datetime:
    return _clock.now()


def current() -> Clock:
    return _clock


def install(clock: Clock) -> Clock:
    """Make ``clock`` the process's clock; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextlib.contextmanager
def driven(clock: Clock) -> Iterator[Clock]:
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)
