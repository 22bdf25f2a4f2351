"""Workshop's demo data: a few technicians per demo station (idempotent)."""

from __future__ import annotations

from services.workshop.models import Technician
from shared.app import Runtime
from shared.demo import STATIONS, USERS

#: (id suffix, name, skills) of each demo station's team; "" is the demo sign-in tech.<station>
_TEAM = (
    ("", None, "mechanical,electrical"),
    (".2", "周 机电技师", "mechanical"),
    (".body", "吴 钣金技师", "body"),
    (".paint", "郑 油漆技师", "paint"),
)


def demo_technicians() -> list[Technician]:
    technicians = []
    for station in STATIONS:
        for suffix, name, skills in _TEAM:
            technician_id = f"tech.{station.station_id}{suffix}"
            user = USERS.get(technician_id)
            technicians.append(
                Technician(
                    id=technician_id,
                    station_id=station.station_id,
                    name=name or (user.name if user else technician_id),
                    skills=skills,
                )
            )
    return technicians


async def seed_demo(runtime: Runtime) -> None:
    """Add the demo technicians that are not there yet."""
    async with runtime.db.transaction() as session:
        for technician in demo_technicians():
            if await session.get(Technician, technician.id) is None:
                session.add(technician)
