"""What every page shares: templates, the session, the signed-in caller, CSRF, rendering."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from services.console.clients import UserApi
from services.console.desks import BY_KEY, Desk, desks_for
from services.console.i18n import api_message, label, translator
from services.console.session import CSRF_FIELD, CSRF_HEADER, Session
from services.console.settings import ConsoleSettings
from shared.auth import Principal
from shared.demo import STATIONS

HERE = Path(__file__).parent
#: the hidden field of every form carrying the key made when the form was rendered; the
#: writes its submission causes go to the services with keys derived from it
IDEMPOTENCY_FIELD = "idempotency_key"
#: the same for an htmx request that sends no form
IDEMPOTENCY_REQUEST_HEADER = "X-Idempotency-Key"
STATION_NAMES = {station.station_id: station.name for station in STATIONS}


class SignInRequired(Exception):
    """The page needs a signed-in user."""


class Forbidden(Exception):
    """The user's role has no business on this page."""


class CsrfRejected(Exception):
    """A form came without this session's CSRF token."""


class PageNotFound(Exception):
    """The record does not exist or is not visible to the user."""


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def make_environment(settings: ConsoleSettings) -> Environment:
    """Jinja with autoescape on for every template and the console's filters."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        # no trim_blocks: a tag ending a line inside an HTML tag would glue two attributes
        lstrip_blocks=True,
    )
    zone = ZoneInfo(settings.timezone)

    def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        moment = _parse_time(value)
        if moment is None:
            return "" if value is None else str(value)
        if moment.tzinfo is None:
            return moment.strftime(fmt)
        return moment.astimezone(zone).strftime(fmt)

    def money(value: Any) -> str:
        try:
            return f"¥{Decimal(str(value)):,.2f}"
        except (InvalidOperation, ValueError):
            return "" if value is None else str(value)

    def number(value: Any) -> str:
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except (InvalidOperation, ValueError):
            return "" if value is None else str(value)

    def day(value: Any) -> str:
        if isinstance(value, date | datetime):
            return value.isoformat()[:10]
        return str(value or "")[:10]

    env.filters.update(
        local_time=local_time, money=money, number=number, day=day, short=lambda v: str(v)[:8]
    )
    env.globals["station_name"] = lambda sid: STATION_NAMES.get(sid, sid)
    return env


def session_of(request: Request) -> Session:
    """The session the middleware loaded for this request."""
    session: Session = request.state.session
    return session


@dataclass
class Caller:
    """The signed-in user of this request and their way to the services."""

    request: Request
    session: Session
    user: Principal
    api: UserApi

    @property
    def station(self) -> str | None:
        """The station the user is looking at (None: every station they may see)."""
        return self.session.station

    def shows(self, station_id: str) -> bool:
        """Whether a record of this station belongs on the page (station switcher)."""
        return self.session.station is None or station_id == self.session.station

    def only_shown(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in records if self.shows(str(r.get("station_id", "")))]

    def may(self, roles: frozenset[Any]) -> bool:
        return self.user.role in roles


def caller(request: Request) -> Caller:
    """The signed-in caller; anyone else is sent to the sign-in page."""
    session = session_of(request)
    if not session.signed_in or session.token is None or session.user is None:
        raise SignInRequired()
    api = request.app.state.services.for_user(
        session.token, lambda: getattr(request.state, "idempotency_key", None)
    )
    return Caller(request, session, session.user, api)


CallerDep = Annotated[Caller, Depends(caller)]


def desk(key: str) -> Any:
    """A dependency: the caller, if their role has this desk."""
    the_desk: Desk = BY_KEY[key]

    def check(who: CallerDep) -> Caller:
        if who.user.role not in the_desk.roles:
            raise Forbidden()
        return who

    return Depends(check)


async def csrf_checked(request: Request) -> None:
    """Refuse a state-changing request without this session's CSRF token (form field or,
    for htmx, header). The cookie is SameSite=Strict as well; this is the second lock."""
    presented = request.headers.get(CSRF_HEADER)
    form = await request.form()
    if presented is None:
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not session_of(request).csrf_ok(presented):
        raise CsrfRejected()
    key = form.get(IDEMPOTENCY_FIELD) or request.headers.get(IDEMPOTENCY_REQUEST_HEADER)
    request.state.idempotency_key = key if isinstance(key, str) else None


CsrfChecked = Depends(csrf_checked)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page (or an htmx fragment) with what every template may use."""
    session = session_of(request)
    settings: ConsoleSettings = request.app.state.settings
    user = session.user
    lang = session.lang
    stations: list[str] = []
    if user is not None and (user.all_stations or len(user.stations) > 1):
        stations = list(user.stations)

    def form_keys() -> Markup:
        """A form's hidden fields: the session's CSRF token and a fresh idempotency key."""
        return Markup(
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(session.csrf)}">'
            f'<input type="hidden" name="{IDEMPOTENCY_FIELD}" value="{uuid.uuid4().hex}">'
        )

    base = {
        "request": request,
        "form_keys": form_keys,
        "t": translator(lang),
        "label": lambda group, value: label(group, value, lang),
        "api_msg": lambda message: api_message(message, lang),
        "lang": lang,
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf_token": session.csrf,
        "desks": desks_for(user.role) if user else [],
        "switchable_stations": stations,
        "current_station": session.station,
        "flash": [] if Path(template).name.startswith("_") else session.pop_flash(),
        "live_seconds": settings.live_refresh_seconds,
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    body = request.app.state.templates.get_template(template).render({**base, **context})
    return HTMLResponse(body, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only a path on this site, never another origin (open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url
