"""Workshop's demo data: a few technicians and bays per demo station (idempotent)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from services.workshop.models import Bay, Team, TeamMember, Technician
from shared.app import Runtime
from shared.db import utcnow
from shared.demo import STATIONS, USERS

#: (id suffix, name, skills, certification level) of each demo station's team; "" is the
#: demo sign-in tech.<station>
_TEAM = (
    ("", None, "mechanical,electrical,diagnosis", 3),
    (".2", "周 机电技师", "mechanical", 2),
    (".body", "吴 钣金技师", "body", 2),
    (".paint", "郑 油漆技师", "paint", 2),
)
#: (id suffix, name, kind) of each demo station's bays
_BAYS = (
    ("L1", "1号举升机", "lift"),
    ("L2", "2号举升机", "lift"),
    ("L3", "3号举升机", "lift"),
    ("AL", "四轮定位工位", "alignment"),
    ("BD", "钣金工位", "body"),
    ("PT", "烤漆房", "paint"),
)


#: (key, name, skills, leader suffix, member suffixes) of each demo station's teams (班组)
_TEAMS = (
    ("mech", "机电班", "diagnosis,electrical,mechanical", "", ("", ".2")),
    ("body", "钣喷班", "body,paint", ".body", (".body", ".paint")),
)
_TEAM_NAMESPACE = uuid.UUID("6c1f3b0e-2d2a-5c55-9a1e-3f1b7d0a0000")


def demo_teams() -> list[tuple[Team, list[TeamMember]]]:
    teams = []
    for station in STATIONS:
        sid = station.station_id
        for key, name, skills, leader, members in _TEAMS:
            team = Team(
                id=uuid.uuid5(_TEAM_NAMESPACE, f"{sid}:{key}"),
                station_id=sid,
                name=name,
                skills=skills,
                leader_id=f"tech.{sid}{leader}",
                created_by="demo",
                created_at=utcnow(),
            )
            teams.append(
                (
                    team,
                    [
                        TeamMember(team_id=team.id, technician_id=f"tech.{sid}{m}", station_id=sid)
                        for m in members
                    ],
                )
            )
    return teams


def demo_technicians() -> list[Technician]:
    technicians = []
    for station in STATIONS:
        for suffix, name, skills, level in _TEAM:
            technician_id = f"tech.{station.station_id}{suffix}"
            user = USERS.get(technician_id)
            technicians.append(
                Technician(
                    id=technician_id,
                    station_id=station.station_id,
                    name=name or (user.name if user else technician_id),
                    skills=skills,
                    certification_level=level,
                    daily_hours=Decimal("8"),
                )
            )
    return technicians


def demo_bays() -> list[Bay]:
    return [
        Bay(id=f"{station.station_id}-{code}", station_id=station.station_id, name=name, kind=kind)
        for station in STATIONS
        for code, name, kind in _BAYS
    ]


async def seed_demo(runtime: Runtime) -> None:
    """Add the demo technicians and bays that are not there yet."""
    async with runtime.db.transaction() as session:
        for technician in demo_technicians():
            if await session.get(Technician, technician.id) is None:
                session.add(technician)
        for bay in demo_bays():
            if await session.get(Bay, bay.id) is None:
                session.add(bay)
        await session.flush()
        for team, members in demo_teams():
            if await session.get(Team, team.id) is None:
                session.add(team)
                await session.flush()
                for member in members:
                    if (
                        await session.get(Technician, member.technician_id) is not None
                        and (await session.get(TeamMember, (member.team_id, member.technician_id)))
                        is None
                    ):
                        session.add(member)
