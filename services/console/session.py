"""The signed session cookie: who is signed in (their bearer token), language, station.

The cookie is HttpOnly and SameSite=Strict, and signed with HMAC-SHA256 under a key derived
from ``AUTH_SECRET``; a cookie that was tampered with, or has expired, is simply ignored (the
visitor is signed out). It is signed, not encrypted: it holds only the user's own token and
what the console shows them anyway. Every form carries the session's CSRF token as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from shared.auth import Principal, Role

COOKIE_NAME = "console_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LANGUAGES = ("zh", "en")


def _signing_key(secret: str) -> bytes:
    # a key of its own, so a cookie signature can never pass for a token signature
    return hmac.new(secret.encode(), b"aftersales-console-session", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Session:
    """What the console remembers between requests of one browser."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    lang: str = "zh"
    token: str | None = None
    user: Principal | None = None
    #: the station a group user is looking at; None shows every station they may see
    station: str | None = None
    #: message keys to show once on the next page
    flash: list[str] = field(default_factory=list)
    #: set when something changed and the cookie must be written again
    dirty: bool = False

    @property
    def signed_in(self) -> bool:
        return self.token is not None and self.user is not None

    def sign_in(self, token: str, user: Principal) -> None:
        """Remember the user; a new CSRF token, so one from before sign-in is worthless."""
        self.token, self.user, self.station = token, user, None
        self.csrf = secrets.token_urlsafe(24)
        self.dirty = True

    def sign_out(self) -> None:
        """Forget the user (the language stays)."""
        self.token, self.user, self.station = None, None, None
        self.csrf = secrets.token_urlsafe(24)
        self.flash = []
        self.dirty = True

    def choose_station(self, station: str | None) -> bool:
        """Look at one station (or all with None); False when the user may not see it."""
        if self.user is None or (station is not None and not self.user.can_see(station)):
            return False
        self.station = station
        self.dirty = True
        return True

    def choose_language(self, lang: str) -> bool:
        if lang not in LANGUAGES:
            return False
        self.lang = lang
        self.dirty = True
        return True

    def add_flash(self, key: str) -> None:
        self.flash.append(key)
        self.dirty = True

    def pop_flash(self) -> list[str]:
        messages, self.flash = self.flash, []
        if messages:
            self.dirty = True
        return messages

    def csrf_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented, self.csrf)

    def to_dict(self) -> dict[str, Any]:
        user = self.user
        return {
            "csrf": self.csrf,
            "lang": self.lang,
            "token": self.token,
            "station": self.station,
            "flash": self.flash,
            "user": None
            if user is None
            else {
                "user_id": user.user_id,
                "name": user.name,
                "role": user.role.value,
                "stations": list(user.stations),
                "all_stations": user.all_stations,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        raw_user = data.get("user")
        user = None
        if raw_user:
            user = Principal(
                user_id=str(raw_user["user_id"]),
                name=str(raw_user["name"]),
                role=Role(raw_user["role"]),
                stations=tuple(raw_user.get("stations", ())),
                all_stations=bool(raw_user.get("all_stations", False)),
            )
        lang = data.get("lang")
        return cls(
            csrf=str(data["csrf"]),
            lang=lang if lang in LANGUAGES else "zh",
            token=data.get("token"),
            user=user,
            station=data.get("station"),
            flash=[str(key) for key in data.get("flash", [])],
        )


class SessionCodec:
    """Turns a session into a signed cookie value and back."""

    def __init__(self, secret: str, max_age_seconds: float) -> None:
        self._key = _signing_key(secret)
        self.max_age_seconds = max_age_seconds

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def encode(self, session: Session, now: float | None = None) -> str:
        """The cookie value: payload and signature, both URL-safe base64."""
        payload = {**session.to_dict(), "exp": int((now or time.time()) + self.max_age_seconds)}
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in the cookie, or None if it is missing, forged, broken or expired."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            if float(payload["exp"]) < (now or time.time()):
                return None
            return Session.from_dict(payload)
        except (ValueError, KeyError, TypeError):
            return None
