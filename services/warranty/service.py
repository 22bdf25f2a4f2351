"""Warranty's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.warranty import domain
from services.warranty.models import (
    ClaimLine,
    ClaimLinePublic,
    ClaimStatus,
    WarrantyClaim,
    WarrantyClaimPublic,
    WarrantyClaimsPublic,
    WarrantyOrder,
    WarrantyOrderLine,
)
from shared.auth import Principal
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.db import utcnow
from shared.outbox import UnitOfWork
from shared.pricing import line_amount
from shared.scoping import at_visible_stations, count_rows, get_visible


def _causing_event(uow: UnitOfWork) -> Envelope:
    """The event being handled: it carries the station and time the payload does not."""
    return uow.event


async def record_order(uow: UnitOfWork, event: events.OrderCreated) -> WarrantyOrder | None:
    """Keep an order's warranty lines and answer their coverage (``coverage.checked``).

    Orders without warranty lines are none of warranty's business: nothing is stored.
    """
    if not domain.has_warranty_work(event.lines):
        return None
    if await uow.session.get(WarrantyOrder, event.order_id) is not None:
        return None  # announced again under a new event id: answered already
    causing = _causing_event(uow)
    order = WarrantyOrder(
        order_id=event.order_id,
        station_id=causing.station_id,
        order_no=event.order_no,
        vin=event.vehicle.vin,
        mileage_km=event.vehicle.mileage_km,
        warranty_start=event.vehicle.warranty_start,
        complaint=event.complaint,
        received_at=utcnow(),
    )
    rows = [
        WarrantyOrderLine(
            line_id=line.line_id,
            order_id=order.order_id,
            position=index,
            kind=line.kind,
            code=line.code,
            description=line.description,
            quantity=line.quantity,
            hours=line.hours,
            unit_price=line.unit_price,
        )
        for index, line in enumerate(domain.warranty_lines(event.lines))
    ]
    uow.session.add(order)
    await uow.session.flush()  # no ORM relationships: the order row must exist before its lines
    uow.session.add_all(rows)
    # judged on the day the order was signed, not the day this event happens to be handled
    coverage = domain.repair_warranty_coverage(
        order.mileage_km, order.warranty_start, on=causing.occurred_at.date()
    )
    uow.emit(
        events.CoverageChecked(
            order_id=order.order_id,
            lines=[
                events.LineCoverage(
                    line_id=row.line_id, verdict=coverage.verdict, reason=coverage.reason
                )
                for row in rows
            ],
        )
    )
    return order


async def draft_claim(uow: UnitOfWork, event: events.VehicleCompleted) -> WarrantyClaim | None:
    """The workshop finished an order with warranty work: draft its claim (索赔单).

    One claim per order; the draft records the problems to fix before it is submitted.
    """
    order = await uow.session.get(WarrantyOrder, event.order_id)
    if order is None:
        return None  # no warranty line on this order
    existing = (
        await uow.session.exec(
            select(WarrantyClaim).where(WarrantyClaim.order_id == order.order_id)
        )
    ).first()
    if existing is not None:
        return existing
    lines = (
        await uow.session.exec(
            select(WarrantyOrderLine)
            .where(WarrantyOrderLine.order_id == order.order_id)
            .order_by(col(WarrantyOrderLine.position))
        )
    ).all()
    if not lines:
        return None
    now = utcnow()
    claim_id = uuid.uuid4()
    claim = WarrantyClaim(
        id=claim_id,
        station_id=order.station_id,
        order_id=order.order_id,
        claim_no=domain.claim_number(order.station_id, now, claim_id.hex[:6]),
        vin=order.vin,
        mileage_km=order.mileage_km,
        repair_date=event.completed_at.date(),
        complaint=order.complaint,
        status=ClaimStatus.DRAFT,
        amount=domain.claim_amount(lines),
        problems=domain.draft_problems(lines),
        created_at=now,
    )
    uow.session.add(claim)
    await uow.session.flush()  # no ORM relationships: the claim row must exist before its lines
    uow.session.add_all(
        ClaimLine(
            claim_id=claim.id,
            line_id=line.line_id,
            position=line.position,
            kind=line.kind,
            code=line.code,
            description=line.description,
            quantity=line.quantity,
            hours=line.hours,
            amount=line_amount(line),
        )
        for line in lines
    )
    return claim


async def _visible_claim(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID
) -> WarrantyClaim:
    return await get_visible(session, WarrantyClaim, claim_id, user, "warranty claim")


async def get_claim(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID
) -> WarrantyClaimPublic:
    claim = await _visible_claim(session, user, claim_id)
    lines = (
        await session.exec(
            select(ClaimLine)
            .where(ClaimLine.claim_id == claim.id)
            .order_by(col(ClaimLine.position))
        )
    ).all()
    return to_public(claim, lines)


async def list_claims(
    session: AsyncSession,
    user: Principal,
    *,
    status: ClaimStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> WarrantyClaimsPublic:
    query = select(WarrantyClaim)
    query = at_visible_stations(query, WarrantyClaim.station_id, user)
    if status is not None:
        query = query.where(WarrantyClaim.status == status)
    count = await count_rows(session, query)
    claims = (
        await session.exec(
            query.order_by(col(WarrantyClaim.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return WarrantyClaimsPublic(data=[to_public(c, []) for c in claims], count=count)


def to_public(claim: WarrantyClaim, lines: Sequence[ClaimLine]) -> WarrantyClaimPublic:
    return WarrantyClaimPublic.model_validate(
        {
            **claim.model_dump(),
            "lines": [ClaimLinePublic.model_validate(line.model_dump()) for line in lines],
        }
    )
