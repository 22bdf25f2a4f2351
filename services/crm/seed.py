"""Demo customer and vehicle files (the same people reception's demo orders name)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from services.crm import domain
from services.crm.models import Campaign, CampaignVehicle, Customer, Vehicle
from shared.app import Runtime
from shared.db import utcnow
from shared.demo import VEHICLES

#: a recall for the first demo vehicle of each station, shown at check-in
DEMO_RECALL = "DEMO-RC-2026-01"


def demo_customer_id(phone: str) -> uuid.UUID:
    """How reception derives a customer id when the desk gives none."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{phone}")


async def seed_demo(runtime: Runtime) -> None:
    """Open the demo stations' customer and vehicle files; files already there are kept."""
    now = utcnow()
    async with runtime.db.transaction() as session:
        for demo in VEHICLES:
            customer_id = demo_customer_id(demo.phone)
            if await session.get(Customer, customer_id) is None:
                session.add(
                    Customer(
                        id=customer_id,
                        name=demo.customer_name,
                        phone=domain.normalise_phone(demo.phone),
                        home_station_id=demo.station_id,
                        created_at=now,
                    )
                )
            if await session.get(Vehicle, demo.vin) is None:
                session.add(
                    Vehicle(
                        vin=demo.vin,
                        customer_id=customer_id,
                        plate=demo.plate,
                        make=demo.make,
                        model=demo.model,
                        last_mileage_km=demo.mileage_km,
                        created_at=now,
                    )
                )

        if (
            await session.exec(select(Campaign).where(Campaign.code == DEMO_RECALL))
        ).first() is None:
            recall = Campaign(
                code=DEMO_RECALL,
                title="前排安全气囊固定螺栓检查 (demo recall)",
                is_recall=True,
                created_at=now,
                created_by="seed",
            )
            session.add(recall)
            first_of_each_station = {demo.station_id: demo.vin for demo in reversed(VEHICLES)}
            session.add_all(
                CampaignVehicle(campaign_id=recall.id, vin=vin)
                for vin in sorted(first_of_each_station.values())
            )
