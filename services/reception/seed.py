"""Reception's demo data: appointments later today for each demo vehicle (idempotent), so the
advisor's arrivals list is not empty on a fresh ``make up``. The labour-time price list and the
service packages are seed data in ``catalogue.py``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import col, select

from services.reception import domain, service
from services.reception.models import Appointment, AppointmentCreate, CustomerIn, VehicleIn
from shared.app import Runtime
from shared.auth import Principal, Role
from shared.db import utcnow
from shared.demo import VEHICLES

SEEDED_BY = "seed"


async def seed_demo(runtime: Runtime) -> None:
    """Book each demo vehicle into the next free slot today, unless already booked today."""
    now = utcnow()
    start, end = service.local_day_bounds(now.astimezone(service.STATION_TZ).date())
    for index, vehicle in enumerate(VEHICLES):
        slot = domain.slot_of(now) + timedelta(hours=1 + index)
        if slot >= end or not service.is_open_slot(slot, vehicle.station_id):
            continue
        advisor = Principal(
            user_id=SEEDED_BY,
            name="demo",
            role=Role.SERVICE_ADVISOR,
            stations=(vehicle.station_id,),
        )
        async with runtime.unit_of_work() as uow:
            booked = (
                await uow.session.exec(
                    select(Appointment).where(
                        Appointment.vin == vehicle.vin,
                        Appointment.booked_by == SEEDED_BY,
                        col(Appointment.starts_at) >= start,
                        col(Appointment.starts_at) < end,
                    )
                )
            ).first()
            if booked is not None:
                continue
            await service.book_appointment(
                uow,
                advisor,
                AppointmentCreate(
                    customer=CustomerIn(name=vehicle.customer_name, phone=vehicle.phone),
                    vehicle=VehicleIn(
                        vin=vehicle.vin, plate=vehicle.plate, make=vehicle.make, model=vehicle.model
                    ),
                    starts_at=slot,
                    requested_work="定期保养 periodic maintenance",
                    estimated_hours=Decimal("1.5"),
                    channel="phone",
                ),
            )
