"""Workshop's demo data: a few technicians and bays per demo station (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from services.workshop.models import Bay, Technician
from shared.app import Runtime
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
