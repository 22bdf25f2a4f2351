"""Sign-in, sign-out, language and station switch, and the home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.clients import ApiError, Services
from services.console.desks import desks_for
from services.console.web import CallerDep, CsrfChecked, redirect, render, safe_next, session_of

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    """The first desk of the user's role, or the sign-in page."""
    session = session_of(request)
    if not session.signed_in or session.user is None:
        return redirect("/login")
    desks = desks_for(session.user.role)
    if desks:
        return redirect(desks[0].path)
    return render(request, "home.html")


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(
        request,
        "login.html",
        next=safe_next(next),
        username="",
        failed=False,
        demo=request.app.state.settings.demo_logins,
    )


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Exchange name and password for a token and keep it in the session cookie."""
    services: Services = request.app.state.services
    try:
        token, user = await services.sign_in(username.strip(), password)
    except ApiError as exc:
        if exc.status in (401, 404, 422):
            return render(
                request,
                "login.html",
                401,
                next=safe_next(next),
                username=username,
                failed=True,
                demo=request.app.state.settings.demo_logins,
            )
        raise
    session_of(request).sign_in(token, user)
    return redirect(safe_next(next))


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request) -> Response:
    """Forget the token."""
    session = session_of(request)
    session.sign_out()
    session.add_flash("flash.signed_out")
    return redirect("/login")


@router.post("/session/station", dependencies=[CsrfChecked])
async def switch_station(
    who: CallerDep, station: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "/"
) -> Response:
    """Look at one station, or all of them (empty value)."""
    if who.session.choose_station(station or None):
        who.session.add_flash("flash.station_switched")
    return redirect(safe_next(back))


@router.post("/session/language", dependencies=[CsrfChecked])
async def switch_language(
    request: Request, lang: Annotated[str, Form()], back: Annotated[str, Form()] = "/"
) -> Response:
    """中文 or English, remembered in the session."""
    session_of(request).choose_language(lang)
    return redirect(safe_next(back))
