"""Technicians: the demo team of each station, listed only to that station."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from services.workshop.app import definition
from services.workshop.models import Technician
from services.workshop.seed import seed_demo
from shared.demo import STATIONS
from shared.testing import auth_headers, run_service


async def test_demo_technicians_are_seeded_once_per_station(tmp_path: Path) -> None:
    async with run_service(definition, tmp_path, seed_demo_data=True) as workshop:
        await seed_demo(workshop.runtime)  # a restart seeds again: nothing is added twice
        async with workshop.runtime.db.read() as session:
            count = (await session.exec(select(func.count()).select_from(Technician))).one()
            stations = set((await session.exec(select(Technician.station_id))).all())
    assert stations == {station.station_id for station in STATIONS}
    assert count == 4 * len(STATIONS)


async def test_technicians_are_listed_by_station(tmp_path: Path) -> None:
    async with run_service(definition, tmp_path, seed_demo_data=True) as workshop:
        own = await workshop.client.get("/technicians", headers=auth_headers("foreman.bj01"))
        group = await workshop.client.get("/technicians", headers=auth_headers("group.manager"))
    assert own.status_code == 200
    assert {t["station_id"] for t in own.json()["data"]} == {"bj01"}
    me = next(t for t in own.json()["data"] if t["id"] == "tech.bj01")
    assert me["skills"] == ["mechanical", "electrical", "diagnosis"]
    assert me["certification_level"] == 3
    assert me["working_days"] == [1, 2, 3, 4, 5, 6]
    assert group.json()["count"] == 4 * len(STATIONS)
