"""The signed session cookie: what it keeps, and that a forged or stale one is ignored."""

from __future__ import annotations

from services.console.session import Session, SessionCodec
from shared.auth import Principal, Role

USER = Principal("advisor.bj01", "王 服务顾问", Role.SERVICE_ADVISOR, ("bj01",))


def test_a_session_survives_the_round_trip_through_its_cookie() -> None:
    codec = SessionCodec("secret", 3600)
    session = Session(lang="en")
    session.sign_in("the-token", USER)
    session.add_flash("flash.delivered")

    back = codec.decode(codec.encode(session))

    assert back is not None
    assert (back.token, back.user, back.lang, back.csrf) == ("the-token", USER, "en", session.csrf)
    assert back.flash == ["flash.delivered"]


def test_a_tampered_cookie_is_ignored() -> None:
    codec = SessionCodec("secret", 3600)
    value = codec.encode(Session(token="t", user=USER))
    body, signature = value.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature

    assert codec.decode(forged) is None
    assert codec.decode(value + "x") is None
    assert codec.decode("garbage") is None
    assert SessionCodec("other secret", 3600).decode(value) is None


def test_an_expired_cookie_is_ignored() -> None:
    codec = SessionCodec("secret", 60)
    value = codec.encode(Session(token="t", user=USER), now=1000.0)

    assert codec.decode(value, now=1059.0) is not None
    assert codec.decode(value, now=1061.0) is None


def test_signing_in_gives_a_new_csrf_token_and_signing_out_forgets_the_user() -> None:
    session = Session()
    before = session.csrf
    session.sign_in("t", USER)
    assert session.csrf != before and session.signed_in
    session.sign_out()
    assert not session.signed_in and session.token is None


def test_a_station_user_cannot_switch_to_another_station() -> None:
    session = Session()
    session.sign_in("t", USER)
    assert session.choose_station("bj01")
    assert not session.choose_station("sh01")
    assert session.station == "bj01"
