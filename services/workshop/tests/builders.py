"""Test-data builders: ``order.created`` payloads as reception announces them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shared.contracts import events

VIN = "LFV2A21K7G3000001"


def labour_line(
    code: str = "BRK-010",
    hours: str = "1.2",
    *,
    description: str = "更换前刹车片",
    skill: str | None = "mechanical",
    major_system: str | None = "brakes",
) -> events.OrderLine:
    return events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.LABOUR,
        code=code,
        description=description,
        hours=Decimal(hours),
        unit_price=Decimal("300"),
        skill=skill,
        major_system=major_system,
    )


def part_line(
    code: str = "1K0698151A",
    quantity: str = "1",
    *,
    labour: events.OrderLine | None = None,
    description: str = "前刹车片",
) -> events.OrderLine:
    return events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.PART,
        code=code,
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal("480"),
        labour_line_id=labour.line_id if labour else None,
    )


def order_created(
    *lines: events.OrderLine, order_id: uuid.UUID | None = None
) -> events.OrderCreated:
    """A signed order; brake pads with their labour unless lines are given."""
    if not lines:
        brakes = labour_line()
        lines = (brakes, part_line(labour=brakes))
    return events.OrderCreated(
        order_id=order_id or uuid.uuid4(),
        order_no="RO-BJ01-20261123-ABC123",
        category=events.OrderCategory.REPAIR,
        customer=events.CustomerRef(customer_id=uuid.uuid4(), name="张伟", phone="13800000001"),
        vehicle=events.VehicleRef(vin=VIN, plate="京A12345", make="FAW-VW", model="Sagitar"),
        complaint="刹车时有异响",
        lines=list(lines),
        advisor_id="advisor.bj01",
        inspection_required=any(line.major_system for line in lines),
    )
