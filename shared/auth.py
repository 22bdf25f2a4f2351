"""Authentication and station scoping, the same in every service.

Callers present a signed bearer token (JWT, HS256 with the shared ``AUTH_SECRET``) carrying
the user, one role from the process document, and the stations the user may act for (or
``all_stations`` for group users). Every route depends on ``CurrentUser``; a record of a
station the user may not see answers 404, exactly like a record that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import NotFound


class Role(StrEnum):
    """Roles of ``docs/after-sales-process.md`` (and one for operating the platform)."""

    SERVICE_ADVISOR = "service_advisor"
    CASHIER = "cashier"
    FOREMAN = "foreman"
    TECHNICIAN = "technician"
    INSPECTOR = "inspector"
    PARTS_CLERK = "parts_clerk"
    WARRANTY_ADMIN = "warranty_admin"
    CRM_AGENT = "crm_agent"
    SERVICE_MANAGER = "service_manager"
    GROUP_MANAGER = "group_manager"
    OPERATOR = "operator"


MANAGERS = (Role.SERVICE_MANAGER, Role.GROUP_MANAGER)
ALGORITHM = "HS256"
ISSUER = "aftersales"


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the token states it."""

    user_id: str
    name: str
    role: Role
    stations: tuple[str, ...]
    all_stations: bool = False

    def can_see(self, station_id: str) -> bool:
        return self.all_stations or station_id in self.stations

    def check_station(self, station_id: str, what: str = "record") -> None:
        """404 for a record of a station the user may not see (no existence leak)."""
        if not self.can_see(station_id):
            raise NotFound(what)

    def acting_station(self, requested: str | None) -> str:
        """The station a new record is created for: the one asked, or the user's only one."""
        if requested is None:
            if len(self.stations) == 1 and not self.all_stations:
                return self.stations[0]
            raise HTTPException(
                422,
                detail=[
                    {
                        "loc": ["body", "station_id"],
                        "msg": "station_id is required for a user of several stations",
                        "type": "missing",
                    }
                ],
            )
        if not self.can_see(requested):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"you may not act for station {requested}"
            )
        return requested

    def visible_stations(self) -> tuple[str, ...] | None:
        """Stations to filter lists by; None means every station (group users)."""
        return None if self.all_stations else self.stations


def issue_token(
    secret: str,
    *,
    user_id: str,
    name: str,
    role: Role | str,
    stations: Sequence[str],
    all_stations: bool = False,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": user_id,
        "name": name,
        "role": str(Role(role)),
        "stations": list(stations),
        "all_stations": all_stations,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # a token without an expiry would never expire: refuse it
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        return Principal(
            user_id=claims["sub"],
            name=claims.get("name", claims["sub"]),
            role=Role(claims["role"]),
            stations=tuple(claims.get("stations", ())),
            all_stations=bool(claims.get("all_stations", False)),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"invalid or expired token: {exc}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc


_bearer = HTTPBearer(auto_error=False, description="token from POST /auth/token")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="sign in first: send 'Authorization: Bearer <token>' (POST /auth/token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return decode_token(request.app.state.runtime.settings.auth_secret, credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits only these roles (managers always read)."""

    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {user.role.value} may not do this (allowed: {allowed})",
            )
        return user

    return check
