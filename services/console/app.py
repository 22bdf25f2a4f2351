"""The console's FastAPI app: pages per desk, the session cookie, error pages, /health."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from services.console.clients import ApiError, Services, ServiceUnavailable, SessionExpired
from services.console.pages import (
    advisor,
    appointments,
    approval,
    archive,
    auth,
    check_in,
    crm,
    crm_care,
    dashboard,
    documents,
    parts,
    parts_ops,
    timeline,
    warranty,
    warranty_desk,
    workshop,
)
from services.console.session import COOKIE_NAME, Session, SessionCodec
from services.console.settings import ConsoleSettings
from services.console.web import (
    HERE,
    CsrfRejected,
    Forbidden,
    PageNotFound,
    SignInRequired,
    make_environment,
    redirect,
    render,
    session_of,
)

log = logging.getLogger("aftersales.console")

#: scripts and styles only from the console itself: no inline script, no CDN
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _send_to_sign_in(request: Request) -> Response:
    target = "/login"
    if request.method == "GET" and request.url.path not in ("/", "/login"):
        target = f"/login?next={request.url.path}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return redirect(target)


def _install_error_pages(app: FastAPI) -> None:
    async def sign_in_required(request: Request, _exc: Exception) -> Response:
        return _send_to_sign_in(request)

    async def session_expired(request: Request, _exc: Exception) -> Response:
        session = session_of(request)
        session.sign_out()
        session.add_flash("flash.session_expired")
        return _send_to_sign_in(request)

    async def forbidden(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", 403, message_key="error.forbidden", details=[])

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", 403, message_key="error.csrf", details=[])

    async def not_found(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", 404, message_key="error.not_found", details=[])

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if exc.not_found:
            return await not_found(request, exc)
        key = "error.forbidden" if exc.forbidden else "error.title"
        if isinstance(exc, ServiceUnavailable):
            log.warning("service unavailable: %s", exc)
        return render(request, "error.html", exc.status, message_key=key, details=[exc.summary()])

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("page failed: %s %s", request.method, request.url.path, exc_info=exc)
        return render(request, "error.html", 500, message_key="error.title", details=[])

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(SessionExpired, session_expired)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(PageNotFound, not_found)
    app.add_exception_handler(ApiError, api_error)


def create_app(
    settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Assemble the console; tests may route the service calls through ``transport``."""
    settings = settings or ConsoleSettings()
    codec = SessionCodec(settings.auth_secret, settings.session_hours * 3600)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services.from_settings(settings, transport)
        try:
            yield
        finally:
            await app.state.services.aclose()

    app = FastAPI(title="After-sales console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.templates = make_environment(settings)

    @app.middleware("http")
    async def session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        raw = request.cookies.get(COOKIE_NAME)
        session = codec.decode(raw)
        if session is None:
            session = Session(dirty=True)
        request.state.session = session
        response = await call_next(request)
        if session.dirty and not request.url.path.startswith("/static/"):
            response.set_cookie(
                COOKIE_NAME,
                codec.encode(session),
                max_age=int(codec.max_age_seconds),
                httponly=True,
                samesite="strict",
                secure=settings.secure_cookies,
                path="/",
            )
        # setdefault: a page that set its own policy (a printed document) keeps it
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            # pages show personal data: never kept by the browser or a proxy
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        """The console is up; which services answer their /health."""
        services: Services = app.state.services
        checks: dict[str, str] = {}
        for client in services.all():
            try:
                answer = await client.http.get("/health", timeout=3)
                checks[client.name] = "ok" if answer.status_code == 200 else "degraded"
            except httpx.HTTPError as exc:
                checks[client.name] = f"down: {type(exc).__name__}"
        # the console itself is healthy even when a service is not: its pages say which
        return JSONResponse({"service": "console", "status": "ok", "services": checks})

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_pages(app)
    for module in (
        auth,
        advisor,
        appointments,
        check_in,
        workshop,
        parts,
        parts_ops,
        warranty,
        warranty_desk,
        crm,
        crm_care,
        timeline,
        approval,
        dashboard,
        documents,
        archive,
    ):
        app.include_router(module.router)
    return app
