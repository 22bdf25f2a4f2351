"""One small async HTTP client per service, calling with the signed-in user's token.

The console owns no data: every page is made of these calls. A service's error answer
(``{"detail": [{"loc": [...], "msg": ...}]}`` or ``{"detail": "..."}``) becomes an
``ApiError`` whose ``fields`` maps a form field name (``vehicle.vin``, ``lines.0.code``) to the
message to show next to it; messages that concern no field are in ``messages``.

Writes carry an ``Idempotency-Key`` (shared/idempotency.py): every console form holds a key
made when it was rendered, and each write the form's handler sends gets a key derived from it
(the service, method and path, and how many such writes came before in the same request), so a
double click or a browser resubmit is answered with the first answer instead of writing again.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from services.console.settings import SERVICE_NAMES, ConsoleSettings
from shared.auth import Principal, Role

#: prefixes pydantic puts before a validator's own message
_NOISE = ("Value error, ", "Assertion failed, ")
#: the header the services read (shared/idempotency.py)
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: a form's key as the console makes it (uuid4 hex); anything else is not used
FORM_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")
#: the twin of a write still being carried out answers 409: ask again this often, this long
TWIN_RETRY_SECONDS = 0.2
TWIN_RETRIES = 15


class ApiError(Exception):
    """A service refused or could not answer a request."""

    def __init__(
        self,
        service: str,
        status: int,
        messages: list[str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.service = service
        self.status = status
        self.messages = messages or []
        self.fields = fields or {}
        super().__init__(f"{service} answered {status}: {self.summary()}")

    def summary(self) -> str:
        """Every message in one line (field messages prefixed with their field)."""
        parts = [*self.messages, *(f"{name}: {msg}" for name, msg in self.fields.items())]
        return "; ".join(parts) or f"HTTP {self.status}"

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def forbidden(self) -> bool:
        return self.status == 403


class ServiceUnavailable(ApiError):
    """The service did not answer at all (down, or too slow)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(service, 503, [f"{service} is not answering ({reason})"])


class SessionExpired(Exception):
    """A service no longer accepts the user's token: they must sign in again."""


def field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    """``["body", "vehicle", "vin"]`` -> ``vehicle.vin``; ``["body", "lines", 0, "code"]`` ->
    ``lines.0.code`` (the names the console's form fields carry)."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "form"):
        parts = parts[1:]
    return ".".join(parts)


def error_from_detail(service: str, status: int, detail: Any) -> ApiError:
    """Split a service's ``detail`` into field messages and general messages."""
    messages: list[str] = []
    fields: dict[str, str] = {}
    if isinstance(detail, str):
        messages.append(detail)
    elif isinstance(detail, list):
        for item in detail:
            if not isinstance(item, Mapping):
                messages.append(str(item))
                continue
            msg = str(item.get("msg", "invalid"))
            for noise in _NOISE:
                msg = msg.removeprefix(noise)
            name = field_name(item.get("loc") or [])
            if name:
                fields.setdefault(name, msg)
            else:
                messages.append(msg)
    elif detail is not None:
        messages.append(str(detail))
    return ApiError(service, status, messages, fields)


class ServiceClient:
    """HTTP to one service; the caller's token goes with every request."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        text: bool = False,
        raw: bool = False,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call the service and return its JSON (its text with ``text``); raise ``ApiError``
        for an error answer. With ``idempotency_key`` a repeat gets the first answer; while
        a twin request with the same key is still being carried out, ask again shortly."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        for attempt in range(TWIN_RETRIES + 1):
            try:
                response = await self.http.request(
                    method, path, params=clean, json=json, data=form, headers=headers
                )
            except httpx.TimeoutException as exc:
                raise ServiceUnavailable(self.name, "timed out") from exc
            except httpx.TransportError as exc:
                raise ServiceUnavailable(self.name, type(exc).__name__) from exc
            if not (idempotency_key and _twin_in_progress(response)) or attempt == TWIN_RETRIES:
                break
            await asyncio.sleep(TWIN_RETRY_SECONDS)
        if response.status_code == 401 and token:
            raise SessionExpired(self.name)
        if response.is_error:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:300] or response.reason_phrase
            raise error_from_detail(self.name, response.status_code, detail)
        if raw:
            return response
        if text:
            return response.text
        return response.json() if response.content else None

    async def aclose(self) -> None:
        await self.http.aclose()


def _twin_in_progress(response: httpx.Response) -> bool:
    """The service's 409 for a request whose key another request is carrying out now."""
    if response.status_code != 409:
        return False
    try:
        detail = response.json().get("detail")
    except ValueError:
        return False
    return isinstance(detail, list) and any(
        isinstance(item, Mapping)
        and item.get("type") == "idempotency"
        and "being carried out" in str(item.get("msg", ""))
        for item in detail
    )


class WriteKeys:
    """The idempotency keys of one console request's writes, derived from the key of the
    form that was submitted (none without a form key: the write is sent without one)."""

    def __init__(self, form_key: Callable[[], str | None]) -> None:
        self._form_key = form_key
        self._sent: dict[str, int] = {}

    def for_write(self, service: str, method: str, path: str) -> str | None:
        form_key = self._form_key()
        if not form_key or not FORM_KEY.match(form_key):
            return None
        target = hashlib.sha256(f"{service} {method} {path}".encode()).hexdigest()[:12]
        count = self._sent.get(target, 0)
        self._sent[target] = count + 1
        return f"{form_key}.{target}.{count}"


class UserClient:
    """A service client bound to one user's token."""

    def __init__(self, client: ServiceClient, token: str, keys: WriteKeys | None = None) -> None:
        self._client = client
        self._token = token
        self._keys = keys
        self.name = client.name

    def _key(self, method: str, path: str) -> str | None:
        return self._keys.for_write(self.name, method, path) if self._keys else None

    async def get(self, path: str, **params: Any) -> Any:
        """GET with query parameters (None values are left out)."""
        return await self._client.request("GET", path, token=self._token, params=params)

    async def post(self, path: str, json: Any) -> Any:
        """POST a JSON body."""
        return await self._client.request(
            "POST", path, token=self._token, json=json, idempotency_key=self._key("POST", path)
        )

    async def get_text(self, path: str) -> str:
        """GET a document the service renders itself (HTML)."""
        answer: str = await self._client.request("GET", path, token=self._token, text=True)
        return answer

    async def get_file(self, path: str) -> httpx.Response:
        """GET a file the service renders itself (a PDF): the whole answer, headers and all."""
        answer: httpx.Response = await self._client.request(
            "GET", path, token=self._token, raw=True
        )
        return answer

    async def patch(self, path: str, json: Any) -> Any:
        """PATCH a JSON body (only the fields sent change)."""
        return await self._client.request(
            "PATCH", path, token=self._token, json=json, idempotency_key=self._key("PATCH", path)
        )


class UserApi:
    """The five services, as the signed-in user calls them."""

    def __init__(
        self, services: Services, token: str, form_key: Callable[[], str | None] | None = None
    ) -> None:
        keys = WriteKeys(form_key) if form_key else None
        self.reception = UserClient(services.reception, token, keys)
        self.workshop = UserClient(services.workshop, token, keys)
        self.parts = UserClient(services.parts, token, keys)
        self.warranty = UserClient(services.warranty, token, keys)
        self.crm = UserClient(services.crm, token, keys)


class Services:
    """The console's clients of the five services (one connection pool each)."""

    def __init__(self, clients: Mapping[str, ServiceClient]) -> None:
        self.reception = clients["reception"]
        self.workshop = clients["workshop"]
        self.parts = clients["parts"]
        self.warranty = clients["warranty"]
        self.crm = clients["crm"]

    @classmethod
    def from_settings(
        cls, settings: ConsoleSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> Services:
        urls = settings.service_urls()
        return cls(
            {
                name: ServiceClient(
                    name,
                    urls[name],
                    timeout=settings.service_timeout_seconds,
                    transport=transport,
                )
                for name in SERVICE_NAMES
            }
        )

    def all(self) -> list[ServiceClient]:
        return [self.reception, self.workshop, self.parts, self.warranty, self.crm]

    def for_user(self, token: str, form_key: Callable[[], str | None] | None = None) -> UserApi:
        """The services as this user calls them; ``form_key`` gives the submitted form's
        idempotency key (asked at each write, so it may be read after this is made)."""
        return UserApi(self, token, form_key)

    async def sign_in(self, username: str, password: str) -> tuple[str, Principal]:
        """Exchange a user's name and password for a token (any service issues one; the
        first that answers is asked) and the user it stands for."""
        unavailable: ServiceUnavailable | None = None
        for client in self.all():
            try:
                issued = await client.request(
                    "POST",
                    "/auth/token",
                    token=None,
                    form={"username": username, "password": password},
                )
                token = str(issued["access_token"])
                me = await client.request("GET", "/auth/me", token=token)
            except ServiceUnavailable as exc:
                unavailable = exc
                continue
            return token, Principal(
                user_id=str(me["user_id"]),
                name=str(me["name"]),
                role=Role(me["role"]),
                stations=tuple(me.get("stations", ())),
                all_stations=bool(me.get("all_stations", False)),
            )
        assert unavailable is not None
        raise unavailable

    async def aclose(self) -> None:
        for client in self.all():
            await client.aclose()
