"""Warranty's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.warranty import domain, manufacturer
from services.warranty.domain import AnswerKind, ClaimStatus
from services.warranty.models import (
    AnswerDismissal,
    AnswerPublic,
    AnswerRedrive,
    AnswerState,
    BatchProblemPublic,
    ChargeBackRecord,
    ClaimHistoryPublic,
    ClaimLine,
    ClaimLinePublic,
    ClaimSubmission,
    ClaimSubmit,
    ClaimUpdate,
    CoverageCheckPublic,
    CoverageCheckRequest,
    FaultClassification,
    InboundAnswer,
    InboundAnswerPublic,
    InboundAnswersPublic,
    InboundSource,
    InboundState,
    KpiReportPublic,
    KpisPublic,
    LineCoveragePublic,
    MaintenanceHistoryPublic,
    MaintenanceRecord,
    MaintenanceRecordIn,
    MaintenanceRecordPublic,
    MaintenanceSource,
    ManufacturerAnswer,
    ManufacturerAnswerIn,
    OrderLineCoveragePublic,
    PoliciesPublic,
    PolicyCreate,
    PolicyPublic,
    PreAuthorisation,
    QualityReportPublic,
    ReturnedPart,
    ReturnedPartPublic,
    ReturnedPartsPublic,
    ReturnedPartStatus,
    ReturnRequest,
    SanbaoRecordPublic,
    SanbaoRepair,
    SanbaoRepairPublic,
    SanbaoSignalPublic,
    SanbaoWarning,
    SanbaoWarningPublic,
    SanbaoWarningsPublic,
    ScrapRelease,
    SeriousProblemPublic,
    Shipment,
    ShortageEntry,
    ShortageEntryPublic,
    ShortageKind,
    ShortageLogPublic,
    ShortageLogsPublic,
    ShortageOutcome,
    ShortageTally,
    SubmissionPublic,
    SubmissionState,
    WarrantyClaim,
    WarrantyClaimPublic,
    WarrantyClaimsPublic,
    WarrantyOrder,
    WarrantyOrderLine,
    WarrantyOrderPublic,
    WarrantyPolicy,
)
from shared.auth import Principal
from shared.calendar import calendar_for
from shared.contracts import events
from shared.contracts.events import CoverageVerdict, LineKind
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.pricing import line_amount
from shared.scheduler import cancel, schedule
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

#: scheduled-task kinds (shared.scheduler)
SEND_CLAIM = "warranty.send_claim"
APPLY_ANSWER = "warranty.apply_answer"
COURTESY_CAR_CHECK = "warranty.courtesy_car_check"
#: a failed send is tried again after 30 s, 1 min, 2 min ... at most an hour apart, forever
SEND_RETRY_FIRST = timedelta(seconds=30)
SEND_RETRY_MAX = timedelta(hours=1)


# --- policies ---------------------------------------------------------------------------

WILDCARD = "*"


def as_policy(row: WarrantyPolicy) -> domain.Policy:
    return domain.Policy(
        make=row.make,
        model=row.model,
        version=row.version,
        valid_from=row.valid_from,
        terms={
            domain.CoverageKind(kind): domain.Term(int(term["months"]), term.get("km"))
            for kind, term in row.terms.items()
        },
        categories=dict(row.categories),
        labour_times={code: Decimal(hours) for code, hours in row.labour_times.items()},
        goodwill_months=row.goodwill_months,
        goodwill_km=row.goodwill_km,
        submission_days=row.submission_days,
        duplicate_days=row.duplicate_days,
        part_return_days=row.part_return_days,
        maintenance=domain.MaintenanceSchedule(**row.maintenance) if row.maintenance else None,
    )


async def policy_in_force(
    session: AsyncSession, make: str | None, model: str | None, on: date
) -> WarrantyPolicy | None:
    if not make:
        return None
    rows = (
        await session.exec(
            select(WarrantyPolicy).where(func.lower(WarrantyPolicy.make) == make.lower())
        )
    ).all()
    return domain.policy_in_force(rows, make, model, on)


async def create_policy(session: AsyncSession, data: PolicyCreate) -> PolicyPublic:
    """A new version of a make's (or model's) policy, valid from its date onwards; claims
    for repairs before that date are still judged by the version then in force."""
    scope = (data.model or WILDCARD).casefold()
    versions = (
        await session.exec(
            select(WarrantyPolicy)
            .where(
                func.lower(WarrantyPolicy.make) == data.make.casefold(),
                WarrantyPolicy.scope_key == scope,
            )
            .order_by(col(WarrantyPolicy.version).desc())
            .with_for_update()
        )
    ).all()
    if versions and data.valid_from <= versions[0].valid_from:
        raise DomainError(
            f"a new version must start after version {versions[0].version} "
            f"(valid from {versions[0].valid_from.isoformat()})",
            field="valid_from",
        )
    row = WarrantyPolicy(
        # the make and model as first published: "faw-vw" is a new version of "FAW-VW"
        make=versions[0].make if versions else data.make,
        model=versions[0].model if versions else data.model,
        scope_key=scope,
        version=(versions[0].version + 1) if versions else 1,
        valid_from=data.valid_from,
        terms={kind.value: term.model_dump() for kind, term in data.terms.items()},
        categories=dict(data.categories),
        labour_times={code: str(hours) for code, hours in data.labour_times.items()},
        goodwill_months=data.goodwill_months,
        goodwill_km=data.goodwill_km,
        submission_days=data.submission_days,
        duplicate_days=data.duplicate_days,
        part_return_days=data.part_return_days,
        maintenance=data.maintenance.model_dump() if data.maintenance is not None else None,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return PolicyPublic.model_validate(row.model_dump())


async def list_policies(session: AsyncSession, make: str | None = None) -> PoliciesPublic:
    query = select(WarrantyPolicy)
    if make:
        query = query.where(func.lower(WarrantyPolicy.make) == make.lower())
    rows = (
        await session.exec(
            query.order_by(
                col(WarrantyPolicy.make), col(WarrantyPolicy.scope_key), col(WarrantyPolicy.version)
            )
        )
    ).all()
    return PoliciesPublic(
        data=[PolicyPublic.model_validate(row.model_dump()) for row in rows], count=len(rows)
    )


# --- coverage ---------------------------------------------------------------------------


async def check_coverage(
    session: AsyncSession, user: Principal, request: CoverageCheckRequest
) -> CoverageCheckPublic:
    """The pre-check at check-in: each line's verdict by the policy in force that day."""
    on = request.on or utcnow().date()
    row = await policy_in_force(session, request.make, request.model, on)
    policy = as_policy(row) if row is not None else None
    missed = request.maintenance_missed or (
        domain.missed_maintenance(
            policy.maintenance if policy is not None else None,
            request.warranty_start,
            await maintenance_done(session, request.vin),
            on,
            request.mileage_km,
        )
        is not None
    )
    vehicle = domain.VehicleFacts(
        mileage_km=request.mileage_km,
        warranty_start=request.warranty_start,
        accident_damage=request.accident_damage,
        maintenance_missed=missed,
    )
    lines = []
    for line in request.lines:
        coverage = domain.line_coverage(policy, vehicle, line, on=on)
        lines.append(
            LineCoveragePublic(
                code=line.code,
                verdict=coverage.verdict,
                reason=coverage.reason,
                coverage=coverage.kind,
            )
        )
    record = await sanbao_record(session, user, request.vin)
    return CoverageCheckPublic(
        vin=request.vin,
        on=on,
        policy_version=row.version if row is not None else None,
        sanbao_period=domain.sanbao_period_active(request.warranty_start, request.mileage_km, on),
        lines=lines,
        sanbao_warnings=record.warnings,
    )


async def record_order(uow: UnitOfWork, event: events.OrderCreated) -> WarrantyOrder | None:
    """Keep an order's warranty lines and answer their coverage (``coverage.checked``).

    Orders without warranty lines are none of warranty's business: nothing is stored but
    a maintenance order, which goes into the vehicle's maintenance history.
    """
    if event.category == events.OrderCategory.MAINTENANCE:
        await record_maintenance_order(uow, event)
    if not domain.has_warranty_work(event.lines):
        return None
    if await uow.session.get(WarrantyOrder, event.order_id) is not None:
        return None  # announced again under a new event id: answered already
    causing = uow.event
    order = WarrantyOrder(
        order_id=event.order_id,
        station_id=causing.station_id,
        order_no=event.order_no,
        category=event.category.value,
        vin=event.vehicle.vin,
        make=event.vehicle.make,
        model=event.vehicle.model,
        mileage_km=event.vehicle.mileage_km,
        warranty_start=event.vehicle.warranty_start,
        complaint=event.complaint,
        signed_at=causing.occurred_at,
        received_at=utcnow(),
    )
    # judged on the day the order was signed, not the day this event happens to be handled
    on = causing.occurred_at.date()
    row = await policy_in_force(uow.session, order.make, order.model, on)
    policy = as_policy(row) if row is not None else None
    vehicle = domain.VehicleFacts(
        mileage_km=order.mileage_km,
        warranty_start=order.warranty_start,
        accident_damage=domain.accident_damage(event.category),
    )
    rows = []
    for index, line in enumerate(domain.warranty_lines(event.lines)):
        coverage = domain.line_coverage(policy, vehicle, line, on=on)
        fault_class = domain.pre_check_fault_class(line.description)
        rows.append(
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
                causal=line.causal,
                customer_supplied=line.customer_supplied,
                major_system=line.major_system,
                coverage=coverage.verdict,
                coverage_reason=coverage.reason,
                fault_class=fault_class,
                fault_class_source=domain.ClassSource.PRE_CHECK if fault_class else None,
                fault_classified_by="pre-check" if fault_class else None,
                fault_classified_at=order.received_at if fault_class else None,
                fault_class_note=(
                    f"from the description: {line.description}"[:500] if fault_class else None
                ),
            )
        )
    uow.session.add(order)
    await uow.session.flush()  # no ORM relationships: the order row must exist before its lines
    uow.session.add_all(rows)
    if domain.sanbao_period_active(order.warranty_start, order.mileage_km, on):
        await _open_sanbao_repair(uow.session, order, rows)
        await uow.session.flush()
        await raise_sanbao_signals(uow, order.vin)
    for line_row in rows:  # to be asked of the manufacturer: on the day's shortage log
        if line_row.coverage == CoverageVerdict.NEEDS_APPROVAL:
            await _log_pre_authorisation(
                uow.session, order, line_row, ShortageOutcome.REQUESTED, order.signed_at
            )
    uow.emit(
        events.CoverageChecked(
            order_id=order.order_id,
            lines=[
                events.LineCoverage(
                    line_id=row.line_id, verdict=row.coverage, reason=row.coverage_reason
                )
                for row in rows
            ],
        )
    )
    return order


async def get_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> WarrantyOrderPublic:
    """A repair order's warranty lines and their coverage (with pre-authorisations)."""
    order = await get_visible(session, WarrantyOrder, order_id, user, "warranty order")
    lines = await _order_lines(session, order.order_id)
    return WarrantyOrderPublic.model_validate(
        {
            **order.model_dump(),
            "lines": [OrderLineCoveragePublic.model_validate(line.model_dump()) for line in lines],
        }
    )


async def _order_lines(session: AsyncSession, order_id: uuid.UUID) -> list[WarrantyOrderLine]:
    return list(
        (
            await session.exec(
                select(WarrantyOrderLine)
                .where(WarrantyOrderLine.order_id == order_id)
                .order_by(col(WarrantyOrderLine.position))
            )
        ).all()
    )


async def record_pre_authorisation(
    uow: UnitOfWork,
    user: Principal,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    data: PreAuthorisation,
) -> WarrantyOrderPublic:
    """The manufacturer answered a request for prior authorisation (预授权) of a line that
    needed it: the line becomes covered (with the authorisation number) or not covered (with
    the reason), and reception is told again (``coverage.checked``) before work starts."""
    session = uow.session
    order = await get_visible(session, WarrantyOrder, order_id, user, "warranty order")
    line = await session.get(WarrantyOrderLine, line_id, with_for_update=True)
    if line is None or line.order_id != order.order_id:
        raise NotFound("warranty order line")
    if line.coverage != CoverageVerdict.NEEDS_APPROVAL:
        raise Conflict(f"the line is {line.coverage.value}: no authorisation needed", code="state")
    claimed = (
        await session.exec(select(WarrantyClaim).where(WarrantyClaim.order_id == order.order_id))
    ).first()
    if claimed is not None:
        raise Conflict("the work is done and claimed: authorise before the work", code="state")
    if data.approved and not data.authorisation_no:
        raise DomainError(
            "the manufacturer's authorisation number is required", field="authorisation_no"
        )
    if not data.approved and not data.reason:
        raise DomainError("say why the manufacturer refused", field="reason")
    now = utcnow()
    if data.approved:
        line.coverage = CoverageVerdict.COVERED
        line.coverage_reason = f"pre-authorised by the manufacturer: {data.authorisation_no}"
        line.authorisation_no = data.authorisation_no
        line.authorised_at = now
    else:
        line.coverage = CoverageVerdict.NOT_COVERED
        line.coverage_reason = f"pre-authorisation refused: {data.reason}"
    session.add(line)
    await _log_pre_authorisation(
        session,
        order,
        line,
        ShortageOutcome.AUTHORISED if data.approved else ShortageOutcome.REFUSED,
        now,
        note=data.authorisation_no if data.approved else data.reason,
    )
    await session.flush()
    lines = await _order_lines(session, order.order_id)
    uow.emit(
        events.CoverageChecked(
            order_id=order.order_id,
            lines=[
                events.LineCoverage(
                    line_id=row.line_id, verdict=row.coverage, reason=row.coverage_reason
                )
                for row in lines
            ],
        ),
        station_id=order.station_id,
        correlation_id=order.order_id,
    )
    return await get_order(session, user, order.order_id)


# --- drafting claims --------------------------------------------------------------------


async def draft_claim(uow: UnitOfWork, event: events.VehicleCompleted) -> WarrantyClaim | None:
    """The workshop finished an order with warranty work: draft its claim (索赔单), tag its
    replaced parts for the warranty-parts store, and count a 三包 repair.

    One claim per order; the draft records the problems to fix before it is submitted.
    """
    session = uow.session
    order = await session.get(WarrantyOrder, event.order_id)
    if order is None:
        return None  # no warranty line on this order
    existing = (
        await session.exec(select(WarrantyClaim).where(WarrantyClaim.order_id == order.order_id))
    ).first()
    if existing is not None:
        return existing
    lines = (
        await session.exec(
            select(WarrantyOrderLine)
            .where(WarrantyOrderLine.order_id == order.order_id)
            .order_by(col(WarrantyOrderLine.position))
        )
    ).all()
    if not lines:
        return None
    repair_date = event.completed_at.date()
    row = await policy_in_force(session, order.make, order.model, repair_date)
    policy = as_policy(row) if row is not None else None
    now = utcnow()
    claim_id = uuid.uuid4()
    claim = WarrantyClaim(
        id=claim_id,
        station_id=order.station_id,
        order_id=order.order_id,
        claim_no=domain.claim_number(order.station_id, now, claim_id.hex[:6]),
        vin=order.vin,
        make=order.make,
        model=order.model,
        mileage_km=order.mileage_km,
        repair_date=repair_date,
        complaint=order.complaint,
        policy_id=row.id if row is not None else None,
        policy_version=row.version if row is not None else None,
        status=ClaimStatus.DRAFT,
        amount=domain.claim_amount(lines),
        created_at=now,
    )
    claim_lines = [
        ClaimLine(
            claim_id=claim.id,
            line_id=line.line_id,
            position=line.position,
            kind=line.kind,
            code=line.code,
            description=line.description,
            quantity=line.quantity,
            hours=line.hours,
            unit_price=line.unit_price,
            amount=line_amount(line),
            causal=line.causal,
            standard_hours=(
                policy.labour_times.get(line.code)
                if policy is not None and line.kind == LineKind.LABOUR
                else None
            ),
            coverage=line.coverage,
            coverage_reason=line.coverage_reason,
        )
        for line in lines
    ]
    claim.problems = await _problems(session, claim, claim_lines, today=now.date())
    session.add(claim)
    await session.flush()  # no ORM relationships: the claim row must exist before its lines
    session.add_all(claim_lines)
    session.add_all(
        ReturnedPart(
            station_id=claim.station_id,
            claim_id=claim.id,
            claim_no=claim.claim_no,
            line_id=line.line_id,
            part_no=line.code,
            description=line.description,
            quantity=line.quantity,
            causal=line.causal,
            return_days=policy.part_return_days if policy is not None else 15,
            stored_at=now,
        )
        for line in claim_lines
        if line.kind == LineKind.PART
    )
    await _close_sanbao_repair(session, order.order_id, event.completed_at)
    await session.flush()
    await raise_sanbao_signals(uow, order.vin)
    return claim


async def _open_sanbao_repair(
    session: AsyncSession, order: WarrantyOrder, lines: Sequence[WarrantyOrderLine]
) -> None:
    """A warranty repair in the 三包 period starts counting days; if the car is still in the
    workshop after 5 days the courtesy-car obligation is recorded then, not at delivery."""
    session.add(
        SanbaoRepair(
            station_id=order.station_id,
            vin=order.vin,
            order_id=order.order_id,
            order_no=order.order_no,
            fault=_fault_of(lines),
            started_at=order.signed_at,
        )
    )
    await schedule(
        session,
        kind=COURTESY_CAR_CHECK,
        key=f"courtesy:{order.order_id}",
        due_at=order.signed_at + timedelta(days=domain.COURTESY_CAR_AFTER_DAYS),
        payload={"order_id": str(order.order_id)},
        station_id=order.station_id,
    )


async def _close_sanbao_repair(
    session: AsyncSession, order_id: uuid.UUID, completed_at: datetime
) -> None:
    repair = (
        await session.exec(select(SanbaoRepair).where(SanbaoRepair.order_id == order_id))
    ).first()
    if repair is None or repair.completed_at is not None:
        return
    repair.completed_at = completed_at
    repair.days = domain.repair_days(repair.started_at, completed_at)
    repair.courtesy_car_due = repair.courtesy_car_due or domain.courtesy_car_due(repair.days)
    session.add(repair)
    await cancel(session, f"courtesy:{order_id}")


async def check_courtesy_car(uow: UnitOfWork, order_id: uuid.UUID) -> SanbaoRepair | None:
    """Five days after signing: a 三包 repair still open is owed a courtesy car."""
    repair = (
        await uow.session.exec(select(SanbaoRepair).where(SanbaoRepair.order_id == order_id))
    ).first()
    if repair is None or repair.completed_at is not None:
        return repair
    days = domain.repair_days(repair.started_at, utcnow())
    if domain.courtesy_car_due(days):
        repair.courtesy_car_due = True
        uow.session.add(repair)
    await uow.session.flush()
    await raise_sanbao_signals(uow, repair.vin, station_id=repair.station_id)
    return repair


async def cancel_order(uow: UnitOfWork, event: events.OrderCancelled) -> None:
    """A cancelled order repairs nothing: its open 三包 repair and checks are dropped."""
    repair = (
        await uow.session.exec(select(SanbaoRepair).where(SanbaoRepair.order_id == event.order_id))
    ).first()
    if repair is not None and repair.completed_at is None:
        await uow.session.delete(repair)
        await cancel(uow.session, f"courtesy:{event.order_id}")
    visit = (
        await uow.session.exec(
            select(MaintenanceRecord).where(MaintenanceRecord.order_id == event.order_id)
        )
    ).first()
    if visit is not None and visit.done_on is None:  # a cancelled service was not done
        await uow.session.delete(visit)


def _fault_of(lines: Sequence[WarrantyOrderLine]) -> str:
    """The fault a repair fixed: the system of its labour, else its first operation code."""
    for line in lines:
        if line.kind == LineKind.LABOUR and line.major_system:
            return line.major_system
    labour = [line.code for line in lines if line.kind == LineKind.LABOUR]
    return labour[0] if labour else lines[0].code


async def _problems(
    session: AsyncSession, claim: WarrantyClaim, lines: Sequence[ClaimLine], *, today: date
) -> list[str]:
    policy = await session.get(WarrantyPolicy, claim.policy_id) if claim.policy_id else None
    others = (
        await session.exec(
            select(WarrantyClaim).where(
                WarrantyClaim.vin == claim.vin,
                WarrantyClaim.id != claim.id,
                # only claims sent to the manufacturer and not refused by it: two drafts never
                # block each other, the first one sent wins
                col(WarrantyClaim.first_submitted_at).is_not(None),
                col(WarrantyClaim.status) != ClaimStatus.REJECTED,
            )
        )
    ).all()
    earlier = []
    for other in others:
        ops = (
            await session.exec(
                select(ClaimLine.code).where(
                    ClaimLine.claim_id == other.id, ClaimLine.kind == LineKind.LABOUR
                )
            )
        ).all()
        earlier.append(
            domain.EarlierClaim(other.claim_no, other.vin, frozenset(ops), other.repair_date)
        )
    problems = domain.claim_problems(
        vin=claim.vin,
        repair_date=claim.repair_date,
        cause=claim.cause,
        correction=claim.correction,
        lines=lines,
        earlier=earlier,
        today=today,
        submission_days=policy.submission_days if policy else 30,
        duplicate_days=policy.duplicate_days if policy else 30,
    )
    order = await session.get(WarrantyOrder, claim.order_id)
    missed = domain.missed_maintenance(
        as_policy(policy).maintenance if policy is not None else None,
        order.warranty_start if order is not None else None,
        await maintenance_done(session, claim.vin),
        claim.repair_date,
        claim.mileage_km,
    )
    if missed is not None:
        problems.append(missed_maintenance_problem(missed))
    return problems


def missed_maintenance_problem(why: str) -> str:
    """The claim-check problem for missed maintenance, with the rejection code the
    manufacturer would answer (so the administrator sees what would come back)."""
    code = domain.RejectionReason.MISSED_MAINTENANCE.value
    return f"missed maintenance [{code}]: {why}: the policy excludes the damage"


async def _lines_of(session: AsyncSession, claim_id: uuid.UUID) -> list[ClaimLine]:
    return list(
        (
            await session.exec(
                select(ClaimLine)
                .where(ClaimLine.claim_id == claim_id)
                .order_by(col(ClaimLine.position))
            )
        ).all()
    )


async def _claim_for_change(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID, version: int
) -> WarrantyClaim:
    """The claim, locked for this transaction, if the user may see it and read this version."""
    claim = await get_visible_for_update(session, WarrantyClaim, claim_id, user, "warranty claim")
    if claim.version != version:
        raise Conflict(
            f"the claim changed since you read it (now version {claim.version}): reload it",
            field="version",
        )
    return claim


def _require_editable(claim: WarrantyClaim) -> None:
    if claim.status not in domain.EDITABLE:
        raise Conflict(f"a claim {claim.status.value} cannot be changed", code="state")


async def update_claim(
    uow: UnitOfWork, user: Principal, claim_id: uuid.UUID, data: ClaimUpdate
) -> WarrantyClaimPublic:
    """The administrator completes the draft: 3C, causal part, fault codes, photos, notes."""
    session = uow.session
    claim = await _claim_for_change(session, user, claim_id, data.version)
    _require_editable(claim)
    lines = await _lines_of(session, claim.id)
    by_id = {line.id: line for line in lines}
    if data.causal_line_id is not None:
        causal = by_id.get(data.causal_line_id)
        if causal is None or causal.kind != LineKind.PART:
            raise DomainError("not a part line of this claim", field="causal_line_id")
        for line in lines:
            line.causal = line.id == causal.id
            session.add(line)
        parts = (
            await session.exec(select(ReturnedPart).where(ReturnedPart.claim_id == claim.id))
        ).all()
        for part in parts:
            part.causal = part.line_id == causal.line_id
            session.add(part)
    for line_id, note in (data.hours_notes or {}).items():
        labour = by_id.get(line_id)
        if labour is None or labour.kind != LineKind.LABOUR:
            raise DomainError(f"{line_id} is not a labour line of this claim", field="hours_notes")
        labour.hours_note = note.strip() or None
        session.add(labour)
    for name in ("complaint", "cause", "correction", "fault_codes", "photos"):
        value = getattr(data, name)
        if value is not None:
            setattr(claim, name, value)
    claim.version += 1
    claim.problems = await _problems(session, claim, lines, today=utcnow().date())
    session.add(claim)
    return await _claim_public(session, claim, lines)


async def submit_claim(
    uow: UnitOfWork, user: Principal, claim_id: uuid.UUID, data: ClaimSubmit
) -> WarrantyClaimPublic:
    """Send the claim: validated now, recorded as submitted with a pending submission in this
    transaction; the scheduler hands it to the manufacturer right after (and retries)."""
    session = uow.session
    claim = await _claim_for_change(session, user, claim_id, data.version)
    _require_editable(claim)
    if claim.status == ClaimStatus.INFO_REQUESTED and not data.info_answer:
        raise DomainError(
            f"answer the manufacturer's question first: {claim.question}", field="info_answer"
        )
    lines = await _lines_of(session, claim.id)
    now = utcnow()
    problems = await _problems(session, claim, lines, today=now.date())
    if problems:
        raise DomainError("the claim cannot be submitted: " + "; ".join(problems), field="problems")
    number = int(
        (
            await session.exec(
                select(func.count())
                .select_from(ClaimSubmission)
                .where(ClaimSubmission.claim_id == claim.id)
            )
        ).one()
    )
    submission = ClaimSubmission(claim_id=claim.id, number=number + 1, requested_at=now)
    session.add(submission)
    claim.status = domain.status_after_submission(claim.status)
    claim.problems = []
    claim.submitted_at = now
    claim.first_submitted_at = claim.first_submitted_at or now
    claim.info_answer = data.info_answer or claim.info_answer
    claim.reason_code = claim.reason = None
    claim.version += 1
    session.add(claim)
    await session.flush()
    await schedule(
        session,
        kind=SEND_CLAIM,
        key=f"send:{submission.id}:0",
        due_at=now,
        payload={"submission_id": str(submission.id)},
        station_id=claim.station_id,
    )
    uow.emit(
        events.ClaimSubmitted(
            claim_id=claim.id, order_id=claim.order_id, vin=claim.vin, amount=claim.amount
        ),
        station_id=claim.station_id,
        correlation_id=claim.order_id,
    )
    return await _claim_public(session, claim, lines)


def _package(claim: WarrantyClaim, lines: Sequence[ClaimLine], number: int) -> Any:
    return manufacturer.ClaimPackage(
        claim_no=claim.claim_no,
        submission=number,
        vin=claim.vin,
        make=claim.make,
        model=claim.model,
        mileage_km=claim.mileage_km,
        repair_date=claim.repair_date,
        complaint=claim.complaint,
        cause=claim.cause,
        correction=claim.correction,
        fault_codes=tuple(claim.fault_codes),
        photos=tuple(claim.photos),
        amount=claim.amount,
        info_answer=claim.info_answer,
        lines=tuple(
            manufacturer.ClaimPackageLine(
                kind=line.kind,
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                hours=line.hours,
                amount=line.amount,
                causal=line.causal,
            )
            for line in lines
        ),
    )


async def send_submission(uow: UnitOfWork, submission_id: uuid.UUID) -> ClaimSubmission | None:
    """Hand a pending submission to the manufacturer and persist what it answered.

    A failure or timeout is recorded on the submission and the send is planned again with
    backoff: the claim stays ``submitted`` and nothing is lost.
    """
    session = uow.session
    # locked: an explicit poll and the scheduler (or two replicas) never both send it
    submission = await session.get(
        ClaimSubmission, submission_id, with_for_update=True, populate_existing=True
    )
    if submission is None or submission.state != SubmissionState.PENDING:
        return submission  # sent already (a second replica or an explicit poll got there)
    claim = await session.get(WarrantyClaim, submission.claim_id)
    if claim is None:  # pragma: no cover - foreign key
        return None
    lines = await _lines_of(session, claim.id)
    now = utcnow()
    try:
        receipt = await manufacturer.send(_package(claim, lines, submission.number))
    except Exception as exc:
        submission.attempts += 1
        submission.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        session.add(submission)
        retry = min(SEND_RETRY_FIRST * 2 ** (submission.attempts - 1), SEND_RETRY_MAX)
        await schedule(
            session,
            kind=SEND_CLAIM,
            key=f"send:{submission.id}:{submission.attempts}",
            due_at=now + retry,
            payload={"submission_id": str(submission.id)},
            station_id=claim.station_id,
        )
        return submission
    submission.attempts += 1
    submission.state = SubmissionState.SENT
    submission.reference = receipt.reference
    submission.sent_at = now
    submission.last_error = None
    session.add(submission)
    for seq, reply in enumerate(receipt.replies, start=1):
        answer = ManufacturerAnswer(
            claim_id=claim.id,
            submission_id=submission.id,
            seq=seq,
            kind=reply.kind,
            amount=reply.amount,
            reason_code=reply.reason_code,
            reason=reply.reason,
            question=reply.question,
            due_at=now + reply.after,
        )
        session.add(answer)
        await session.flush()
        await schedule(
            session,
            kind=APPLY_ANSWER,
            key=f"answer:{answer.id}",
            due_at=answer.due_at,
            payload={"answer_id": str(answer.id)},
            station_id=claim.station_id,
        )
    return submission


async def apply_answer(
    uow: UnitOfWork, answer_id: uuid.UUID, *, dead_letter: bool = True
) -> ManufacturerAnswer | None:
    """A due answer of the manufacturer changes the claim and is announced.

    An answer that does not fit (the claim's state does not allow it, it answers an older
    submission, a charge-back is more than was paid) is never applied twice or out of order:
    it becomes a dead letter in the same store and shape as the webhook's (``InboundAnswer``,
    source adapter, with the reason) for the administrator to re-drive or dismiss.
    ``dead_letter`` False: the caller keeps the letter itself (a re-drive).
    """
    session = uow.session
    answer = await session.get(
        ManufacturerAnswer, answer_id, with_for_update=True, populate_existing=True
    )
    if answer is None or answer.state != AnswerState.DUE:
        return answer
    claim = (
        await session.exec(
            select(WarrantyClaim).where(WarrantyClaim.id == answer.claim_id).with_for_update()
        )
    ).first()
    if claim is None:  # unknown claim: kept as a dead letter, never dropped
        answer.state = AnswerState.DEAD_LETTERED
        session.add(answer)
        _dead_letter_adapter_answer(
            session, None, answer, None, f"unknown claim {answer.claim_id}", utcnow()
        )
        return answer
    latest = (
        await session.exec(
            select(func.max(ClaimSubmission.number)).where(ClaimSubmission.claim_id == claim.id)
        )
    ).one()
    submission = await session.get(ClaimSubmission, answer.submission_id)
    new_status = domain.status_after_answer(claim.status, answer.kind)
    misfit = domain.answer_misfit(claim.status, answer.kind)
    if answer.kind == AnswerKind.CHARGED_BACK and misfit is None:
        misfit = domain.charge_back_problem(
            claim.paid_amount, answer.amount if answer.amount is not None else Decimal("0.01")
        )  # more than was paid: kept, not applied
    if submission is None or submission.number != latest:
        number = submission.number if submission is not None else "?"
        misfit = f"answers submission {number}; the claim was sent again as submission {latest}"
    now = utcnow()
    if misfit is not None or new_status is None:
        answer.state = AnswerState.DEAD_LETTERED if dead_letter else AnswerState.IGNORED
        session.add(answer)
        if dead_letter:
            _dead_letter_adapter_answer(
                session, claim, answer, submission, misfit or "does not fit", now
            )
        return answer
    answer.state = AnswerState.APPLIED
    answer.applied_at = now
    session.add(answer)
    claim.status = new_status
    claim.answered_at = now
    claim.version += 1

    def announce(payload: events.Payload) -> None:
        uow.emit(payload, station_id=claim.station_id, correlation_id=claim.order_id)

    if answer.kind in (AnswerKind.APPROVED, AnswerKind.PARTLY_APPROVED):
        claim.approved_amount = answer.amount if answer.amount is not None else claim.amount
        announce(
            events.ClaimApproved(
                claim_id=claim.id,
                order_id=claim.order_id,
                approved_amount=claim.approved_amount,
                partly=answer.kind == AnswerKind.PARTLY_APPROVED,
            ),
        )
    elif answer.kind == AnswerKind.REJECTED:
        claim.reason_code = answer.reason_code
        claim.reason = answer.reason
        announce(
            events.ClaimRejected(
                claim_id=claim.id,
                order_id=claim.order_id,
                reason_code=answer.reason_code or "unknown",
                reason=answer.reason or "",
            ),
        )
    elif answer.kind == AnswerKind.INFO_REQUESTED:
        claim.question = answer.question
        announce(
            events.ClaimInfoRequested(
                claim_id=claim.id, order_id=claim.order_id, question=answer.question or ""
            ),
        )
    elif answer.kind == AnswerKind.PAID:
        claim.paid_amount = answer.amount if answer.amount is not None else claim.approved_amount
        claim.paid_at = now
        announce(
            events.ClaimPaid(
                claim_id=claim.id,
                order_id=claim.order_id,
                paid_amount=claim.paid_amount or Decimal("0.00"),
                paid_on=now.date(),
            ),
        )
    else:  # charged back (索赔扣款): money paid is taken back
        claim.charged_back_amount = (
            answer.amount if answer.amount is not None else claim.paid_amount
        ) or Decimal("0.00")
        claim.charged_back_at = now
        claim.reason_code = answer.reason_code
        claim.reason = answer.reason
        announce(
            events.ClaimChargedBack(
                claim_id=claim.id,
                order_id=claim.order_id,
                amount=claim.charged_back_amount,
                reason_code=answer.reason_code or "unknown",
                reason=answer.reason or "",
            ),
        )
    session.add(claim)
    return answer


async def _answer_now(
    uow: UnitOfWork,
    claim: WarrantyClaim,
    kind: AnswerKind,
    *,
    amount: Decimal | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
    question: str | None = None,
) -> ManufacturerAnswer | None:
    """Record an answer that reached the dealer outside a submission's receipt (pushed by
    the manufacturer, or a notice the administrator records) against the claim's latest
    submission, and apply it now. None when the claim was never sent."""
    session = uow.session
    submission = (
        await session.exec(
            select(ClaimSubmission)
            .where(ClaimSubmission.claim_id == claim.id)
            .order_by(col(ClaimSubmission.number).desc())
        )
    ).first()
    if submission is None:
        return None
    seq = (
        await session.exec(
            select(func.max(ManufacturerAnswer.seq)).where(
                ManufacturerAnswer.submission_id == submission.id
            )
        )
    ).one()
    answer = ManufacturerAnswer(
        claim_id=claim.id,
        submission_id=submission.id,
        seq=(seq or 0) + 1,
        kind=kind,
        amount=amount,
        reason_code=reason_code,
        reason=reason,
        question=question,
        due_at=utcnow(),
    )
    session.add(answer)
    await session.flush()
    return await apply_answer(uow, answer.id, dead_letter=False)


async def record_charge_back(
    uow: UnitOfWork, user: Principal, claim_id: uuid.UUID, data: ChargeBackRecord
) -> WarrantyClaimPublic:
    """The manufacturer's notice that it takes back (part of) what it paid for a claim
    (索赔扣款), recorded by the administrator: the claim is charged back and
    ``claim.charged_back`` announced."""
    session = uow.session
    claim = await _claim_for_change(session, user, claim_id, data.version)
    misfit = domain.answer_misfit(claim.status, AnswerKind.CHARGED_BACK)
    if misfit is not None:
        raise Conflict(f"{misfit}: only a paid claim can be charged back", code="state")
    problem = domain.charge_back_problem(claim.paid_amount, data.amount)
    if problem is not None:
        raise DomainError(problem, field="amount")
    answer = await _answer_now(
        uow,
        claim,
        AnswerKind.CHARGED_BACK,
        amount=data.amount,
        reason_code=data.reason_code.value,
        reason=data.reason,
    )
    if answer is None or answer.state != AnswerState.APPLIED:  # pragma: no cover - checked
        raise Conflict("the charge-back does not fit the claim", code="state")
    await session.flush()
    await session.refresh(claim)
    return await _claim_public(session, claim, await _lines_of(session, claim.id))


async def poll_claim(uow: UnitOfWork, user: Principal, claim_id: uuid.UUID) -> WarrantyClaimPublic:
    """Do now what is due for this claim: send a pending submission, apply due answers."""
    session = uow.session
    claim = await get_visible(session, WarrantyClaim, claim_id, user, "warranty claim")
    pending = (
        await session.exec(
            select(ClaimSubmission).where(
                ClaimSubmission.claim_id == claim.id,
                ClaimSubmission.state == SubmissionState.PENDING,
            )
        )
    ).all()
    for submission in pending:
        await send_submission(uow, submission.id)
    await session.flush()
    now = utcnow()
    due = (
        await session.exec(
            select(ManufacturerAnswer)
            .where(
                ManufacturerAnswer.claim_id == claim.id,
                ManufacturerAnswer.state == AnswerState.DUE,
                col(ManufacturerAnswer.due_at) <= now,
            )
            .order_by(col(ManufacturerAnswer.due_at), col(ManufacturerAnswer.seq))
        )
    ).all()
    for answer in due:
        await apply_answer(uow, answer.id)
        await session.flush()
    await session.refresh(claim)
    return await _claim_public(session, claim, await _lines_of(session, claim.id))


async def claim_history(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID
) -> ClaimHistoryPublic:
    claim = await _visible_claim(session, user, claim_id)
    submissions = (
        await session.exec(
            select(ClaimSubmission)
            .where(ClaimSubmission.claim_id == claim.id)
            .order_by(col(ClaimSubmission.number))
        )
    ).all()
    answers = (
        await session.exec(
            select(ManufacturerAnswer)
            .where(ManufacturerAnswer.claim_id == claim.id)
            .order_by(col(ManufacturerAnswer.due_at), col(ManufacturerAnswer.seq))
        )
    ).all()
    return ClaimHistoryPublic(
        submissions=[SubmissionPublic.model_validate(s.model_dump()) for s in submissions],
        answers=[AnswerPublic.model_validate(a.model_dump()) for a in answers],
    )


# --- reading claims ---------------------------------------------------------------------


async def _visible_claim(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID
) -> WarrantyClaim:
    return await get_visible(session, WarrantyClaim, claim_id, user, "warranty claim")


async def get_claim(
    session: AsyncSession, user: Principal, claim_id: uuid.UUID
) -> WarrantyClaimPublic:
    """One claim; an editable one shows its problems as of today (deadlines move)."""
    claim = await _visible_claim(session, user, claim_id)
    lines = await _lines_of(session, claim.id)
    public = await _claim_public(session, claim, lines)
    if claim.status in domain.EDITABLE:
        public.problems = await _problems(session, claim, lines, today=utcnow().date())
    return public


async def list_claims(
    session: AsyncSession,
    user: Principal,
    *,
    status: ClaimStatus | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> WarrantyClaimsPublic:
    query = select(WarrantyClaim)
    query = at_visible_stations(query, WarrantyClaim.station_id, user)
    if status is not None:
        query = query.where(WarrantyClaim.status == status)
    if order_id is not None:
        query = query.where(WarrantyClaim.order_id == order_id)
    count = await count_rows(session, query)
    claims = (
        await session.exec(
            query.order_by(col(WarrantyClaim.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return WarrantyClaimsPublic(data=[to_public(c, []) for c in claims], count=count)


async def _claim_public(
    session: AsyncSession, claim: WarrantyClaim, lines: Sequence[ClaimLine]
) -> WarrantyClaimPublic:
    """The claim with its lines and each line's 三包 fault class (kept on the order line)."""
    public = to_public(claim, lines)
    if lines:
        classes = {
            line.line_id: line.fault_class
            for line in (
                await session.exec(
                    select(WarrantyOrderLine).where(
                        col(WarrantyOrderLine.line_id).in_([c.line_id for c in lines])
                    )
                )
            ).all()
        }
        for line in public.lines:
            found = classes.get(line.line_id)
            line.fault_class = domain.FaultClass(found) if found else None
    return public


def to_public(claim: WarrantyClaim, lines: Sequence[ClaimLine]) -> WarrantyClaimPublic:
    return WarrantyClaimPublic.model_validate(
        {
            **claim.model_dump(),
            "lines": [ClaimLinePublic.model_validate(line.model_dump()) for line in lines],
        }
    )


# --- returned warranty parts ------------------------------------------------------------


def part_public(part: ReturnedPart, today: date) -> ReturnedPartPublic:
    overdue = (
        domain.return_overdue(part.ship_by, part.status == ReturnedPartStatus.SHIPPED, today)
        and part.status == ReturnedPartStatus.RETURN_REQUESTED
    )
    return ReturnedPartPublic.model_validate({**part.model_dump(), "overdue": overdue})


async def list_returned_parts(
    session: AsyncSession,
    user: Principal,
    *,
    status: ReturnedPartStatus | None = None,
    overdue: bool = False,
    claim_id: uuid.UUID | None = None,
) -> ReturnedPartsPublic:
    today = utcnow().date()
    query = at_visible_stations(select(ReturnedPart), ReturnedPart.station_id, user)
    if status is not None:
        query = query.where(ReturnedPart.status == status)
    if claim_id is not None:
        query = query.where(ReturnedPart.claim_id == claim_id)
    if overdue:
        query = query.where(
            ReturnedPart.status == ReturnedPartStatus.RETURN_REQUESTED,
            col(ReturnedPart.ship_by) < today,
        )
    parts = (await session.exec(query.order_by(col(ReturnedPart.stored_at)))).all()
    return ReturnedPartsPublic(data=[part_public(p, today) for p in parts], count=len(parts))


async def _part_for_change(
    session: AsyncSession, user: Principal, part_id: uuid.UUID, version: int
) -> ReturnedPart:
    part = (
        await session.exec(select(ReturnedPart).where(ReturnedPart.id == part_id).with_for_update())
    ).first()
    if part is None or not user.can_see(part.station_id):
        raise NotFound("returned part")
    if part.version != version:
        raise Conflict(
            f"the part changed since you read it (now version {part.version}): reload it",
            field="version",
        )
    return part


async def request_part_return(
    session: AsyncSession, user: Principal, part_id: uuid.UUID, data: ReturnRequest
) -> ReturnedPartPublic:
    """The manufacturer recalls the part: the return deadline starts."""
    part = await _part_for_change(session, user, part_id, data.version)
    if part.status != ReturnedPartStatus.IN_STORE:
        raise Conflict(f"a part {part.status.value} cannot be asked back", code="state")
    today = utcnow().date()
    if data.ship_by is not None and data.ship_by < today:
        raise DomainError("the deadline is in the past", field="ship_by")
    part.status = ReturnedPartStatus.RETURN_REQUESTED
    part.ship_by = data.ship_by or domain.return_deadline(today, part.return_days)
    part.version += 1
    session.add(part)
    return part_public(part, today)


async def ship_part(
    session: AsyncSession, user: Principal, part_id: uuid.UUID, data: Shipment
) -> ReturnedPartPublic:
    part = await _part_for_change(session, user, part_id, data.version)
    if part.status != ReturnedPartStatus.RETURN_REQUESTED:
        raise Conflict("ship a part only after the manufacturer asks for it", code="state")
    now = utcnow()
    part.status = ReturnedPartStatus.SHIPPED
    part.shipped_at = now
    part.waybill = data.waybill
    part.version += 1
    session.add(part)
    return part_public(part, now.date())


async def scrap_part(
    session: AsyncSession, user: Principal, part_id: uuid.UUID, data: ScrapRelease
) -> ReturnedPartPublic:
    """The manufacturer released the part: it leaves the store for scrap."""
    part = await _part_for_change(session, user, part_id, data.version)
    if part.status != ReturnedPartStatus.IN_STORE:
        raise Conflict(f"a part {part.status.value} cannot be scrapped", code="state")
    now = utcnow()
    part.status = ReturnedPartStatus.SCRAPPED
    part.released_at = now
    part.version += 1
    session.add(part)
    return part_public(part, now.date())


# --- 三包 -------------------------------------------------------------------------------


async def sanbao_record(session: AsyncSession, user: Principal, vin: str) -> SanbaoRecordPublic:
    """A vehicle's 三包 record. The thresholds (cumulative days, repairs per fault) and the
    warnings count its repairs at every station of the group — the customer's rights do not
    depend on where the car was repaired; the repairs listed are those of the stations the
    user sees."""
    query = select(SanbaoRepair).where(SanbaoRepair.vin == vin)
    repairs = (await session.exec(query.order_by(col(SanbaoRepair.started_at)))).all()
    now = utcnow()
    history = [
        SanbaoRepairPublic.model_validate(
            {
                **r.model_dump(),
                "days": r.days
                if r.completed_at is not None
                else domain.repair_days(r.started_at, now),
            }
        )
        for r in repairs
    ]
    shown = [r for r in history if user.can_see(r.station_id)]
    orders = {
        o.order_id: o
        for o in (
            await session.exec(
                select(WarrantyOrder).where(
                    col(WarrantyOrder.order_id).in_([r.order_id for r in repairs])
                )
            )
        ).all()
    }
    replaced = await _quality_replacements(session, repairs)
    early = []
    for repair in repairs:
        order = orders.get(repair.order_id)
        if order is not None:
            right = domain.early_sanbao_rights(
                repair.fault,
                order.warranty_start,
                order.mileage_km,
                station_day(order.station_id, order.signed_at),
            )
            if right is not None and right not in early:
                early.append(right)
    signals = domain.sanbao_signals(await _sanbao_facts(session, repairs, now))
    # what only the fault classes tell (the system-based warnings above say the rest)
    classified = [
        s.message
        for s in signals
        if s.reached
        and (
            s.rule == events.SanbaoRule.SIXTY_DAY_SERIOUS_FAULT
            or (s.rule == events.SanbaoRule.SEVEN_DAY_MAJOR_PART)
            or (
                s.rule == events.SanbaoRule.SERIOUS_SAFETY_FAULT_TWICE
                and s.fault not in domain.SAFETY_SYSTEMS
            )
        )
    ]
    return SanbaoRecordPublic(
        vin=vin,
        repair_days=sum(r.days for r in history),
        repairs_by_fault=dict(Counter(r.fault for r in history)),
        warnings=[
            *domain.sanbao_warnings(history),
            *domain.replaced_twice_warnings(replaced),
            *early,
            *classified,
        ],
        repairs=shown,
        repairs_at_other_stations=len(history) - len(shown),
        signals=[SanbaoSignalPublic.model_validate(s.__dict__) for s in signals],
    )


async def _quality_replacements(
    session: AsyncSession, repairs: Sequence[SanbaoRepair]
) -> list[domain.QualityReplacement]:
    """The parts replaced under warranty in a vehicle's 三包 repairs (every station): a part
    line of the order the warranty pays for — not a wear part, a customer-supplied part or
    anything else judged not covered. Its system is the line's own, else the repair's."""
    fault = {repair.order_id: repair.fault for repair in repairs}
    if not fault:
        return []
    lines = (
        await session.exec(
            select(WarrantyOrderLine).where(
                col(WarrantyOrderLine.order_id).in_(list(fault)),
                WarrantyOrderLine.kind == LineKind.PART,
            )
        )
    ).all()
    return [
        domain.QualityReplacement(
            repair=str(line.order_id),
            description=line.description,
            system=line.major_system or fault[line.order_id],
        )
        for line in lines
        if not line.customer_supplied and line.coverage != CoverageVerdict.NOT_COVERED
    ]


# --- quality reports and KPIs -----------------------------------------------------------


async def quality_report(
    session: AsyncSession, user: Principal, *, window_days: int, min_vehicles: int
) -> QualityReportPublic:
    """Causal parts failing on several vehicles of one model within the window."""
    query = (
        select(WarrantyClaim, ClaimLine)
        .join(ClaimLine, col(ClaimLine.claim_id) == col(WarrantyClaim.id))
        .where(col(ClaimLine.causal).is_(True))
    )
    stations = user.visible_stations()
    if stations is not None:
        query = query.where(col(WarrantyClaim.station_id).in_(stations))
    rows = (await session.exec(query)).all()
    failures = [
        domain.PartFailure(claim.make, claim.model, line.code, claim.vin, claim.repair_date)
        for claim, line in rows
    ]
    problems = domain.batch_problems(failures, window_days=window_days, min_vehicles=min_vehicles)
    return QualityReportPublic(
        window_days=window_days,
        min_vehicles=min_vehicles,
        data=[
            BatchProblemPublic.model_validate({**p.__dict__, "vins": list(p.vins)})
            for p in problems
        ],
        serious=await _serious_problems(session, user, window_days=window_days),
    )


async def _serious_problems(
    session: AsyncSession, user: Principal, *, window_days: int
) -> list[SeriousProblemPublic]:
    """Claims for repairs of a serious safety fault within the window, newest first."""
    since = utcnow().date() - timedelta(days=window_days)
    query = at_visible_stations(
        select(WarrantyClaim).where(col(WarrantyClaim.repair_date) >= since),
        WarrantyClaim.station_id,
        user,
    )
    claims = (await session.exec(query.order_by(col(WarrantyClaim.repair_date).desc()))).all()
    if not claims:
        return []
    order_ids = [c.order_id for c in claims]
    systems: dict[uuid.UUID, list[str | None]] = {}
    classified: dict[uuid.UUID, str] = {}
    for line in (
        await session.exec(
            select(WarrantyOrderLine).where(col(WarrantyOrderLine.order_id).in_(order_ids))
        )
    ).all():
        systems.setdefault(line.order_id, []).append(line.major_system)
        if line.fault_class in domain.SERIOUS_SAFETY_FAULTS:
            classified.setdefault(line.order_id, line.fault_class)
    causal: dict[uuid.UUID, str] = {}
    for claim_line in (
        await session.exec(
            select(ClaimLine).where(
                col(ClaimLine.claim_id).in_([c.id for c in claims]),
                col(ClaimLine.causal).is_(True),
            )
        )
    ).all():
        causal[claim_line.claim_id] = claim_line.code
    found = []
    for claim in claims:
        system = classified.get(claim.order_id) or domain.serious_fault(
            systems.get(claim.order_id, [])
        )
        if system is not None:
            found.append(
                SeriousProblemPublic.model_validate(
                    {
                        **claim.model_dump(),
                        "claim_id": claim.id,
                        "system": system,
                        "causal_part": causal.get(claim.id),
                    }
                )
            )
    return found


async def claim_kpis(
    session: AsyncSession, user: Principal, *, since: date | None, until: date | None
) -> KpiReportPublic:
    """Submitted, approved, rejected (by reason), amounts, days to payment, rejection rate —
    per station, and for the group when the user sees the group. Claims count by the day
    they were first submitted."""
    query = at_visible_stations(
        select(WarrantyClaim).where(col(WarrantyClaim.first_submitted_at).is_not(None)),
        WarrantyClaim.station_id,
        user,
    )
    claims = [
        c
        for c in (await session.exec(query)).all()
        if c.first_submitted_at is not None
        and (since is None or c.first_submitted_at.date() >= since)
        and (until is None or c.first_submitted_at.date() <= until)
    ]
    stations = sorted({c.station_id for c in claims} | set(user.visible_stations() or ()))
    station_of = {c.id: c.station_id for c in claims}
    answers = (
        await session.exec(
            select(ManufacturerAnswer).where(
                ManufacturerAnswer.state == AnswerState.APPLIED,
                col(ManufacturerAnswer.kind).in_(
                    [AnswerKind.APPROVED, AnswerKind.PARTLY_APPROVED, AnswerKind.REJECTED]
                ),
                col(ManufacturerAnswer.claim_id).in_(list(station_of)),
            )
        )
    ).all()

    def figures(scope: str, subset: list[WarrantyClaim]) -> KpisPublic:
        ids = {c.id for c in subset}
        decisions = [domain.Decision(a.kind, a.reason_code) for a in answers if a.claim_id in ids]
        kpis = domain.claim_kpis(subset, decisions)
        return KpisPublic.model_validate({"scope": scope, **kpis.__dict__})

    return KpiReportPublic(
        stations=[figures(s, [c for c in claims if c.station_id == s]) for s in stations],
        group=figures("group", claims) if user.all_stations else None,
    )


# --- manufacturer answers pushed to the dealer (webhook) --------------------------------


def _dead_letter_adapter_answer(
    session: AsyncSession,
    claim: WarrantyClaim | None,
    answer: ManufacturerAnswer,
    submission: ClaimSubmission | None,
    reason: str,
    now: datetime,
) -> InboundAnswer:
    """An adapter's answer that does not fit, kept like a webhook's dead letter: the same
    store (``manufacturer_inbound_answer``), the same reason shape, listed, re-driven and
    dismissed the same way. One letter per answer (its id is the message id)."""
    content = {
        "kind": answer.kind.value,
        "amount": None if answer.amount is None else str(answer.amount),
        "reason_code": answer.reason_code,
        "reason": answer.reason,
        "question": answer.question,
    }
    letter = InboundAnswer(
        message_id=f"adapter:{answer.id}",
        fingerprint=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
        claim_no=claim.claim_no if claim is not None else f"unknown claim {answer.claim_id}",
        reference=submission.reference if submission is not None else None,
        kind=answer.kind,
        amount=answer.amount,
        reason_code=answer.reason_code,
        reason=answer.reason,
        question=answer.question,
        received_at=now,
        state=InboundState.DEAD_LETTERED,
        dead_reason=reason[:500],
        station_id=claim.station_id if claim is not None else None,
        claim_id=claim.id if claim is not None else None,
        source=InboundSource.ADAPTER,
        adapter_answer_id=answer.id,
    )
    session.add(letter)
    return letter


def _fingerprint(data: ManufacturerAnswerIn) -> str:
    content = data.model_dump(mode="json", exclude={"message_id"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def inbound_public(row: InboundAnswer) -> InboundAnswerPublic:
    return InboundAnswerPublic.model_validate(row.model_dump())


async def receive_answer(uow: UnitOfWork, data: ManufacturerAnswerIn) -> InboundAnswerPublic:
    """An answer the manufacturer's claim system pushed: applied to its claim at once, or —
    for an unknown claim or a state it does not fit — kept as a dead letter with the reason,
    for the administrator. A message id already received changes nothing (idempotent)."""
    session = uow.session
    problem = domain.answer_content_problem(data.kind, data.amount, data.reason_code, data.question)
    if problem is not None:
        field, message = problem
        raise DomainError(message, field=field)
    fingerprint = _fingerprint(data)
    existing = (
        await session.exec(select(InboundAnswer).where(InboundAnswer.message_id == data.message_id))
    ).first()
    if existing is not None:
        return redelivered(existing, fingerprint)
    row = InboundAnswer(
        message_id=data.message_id,
        fingerprint=fingerprint,
        claim_no=data.claim_no.strip().upper(),
        reference=data.reference,
        kind=data.kind,
        amount=data.amount,
        reason_code=data.reason_code,
        reason=data.reason,
        question=data.question,
        sent_at=data.sent_at,
        received_at=utcnow(),
        state=InboundState.DEAD_LETTERED,
    )
    await _apply_inbound(uow, row, None)
    session.add(row)
    await session.flush()
    return inbound_public(row)


def redelivered(existing: InboundAnswer, fingerprint: str) -> InboundAnswerPublic:
    """The same message again: what it did the first time; another message under a used id
    is refused rather than taken for a redelivery."""
    if existing.fingerprint != fingerprint:
        raise Conflict(
            f"message id {existing.message_id} was received before with other content",
            field="message_id",
        )
    return inbound_public(existing)


async def received_answer(session: AsyncSession, data: ManufacturerAnswerIn) -> InboundAnswerPublic:
    """After losing a race with a concurrent delivery of the same message: the winner's."""
    existing = (
        await session.exec(select(InboundAnswer).where(InboundAnswer.message_id == data.message_id))
    ).one()
    return redelivered(existing, _fingerprint(data))


async def _apply_inbound(uow: UnitOfWork, row: InboundAnswer, user: Principal | None) -> None:
    """Apply an inbound answer to its claim, or dead-letter it with the reason. ``user``: an
    administrator re-driving it may only reach claims of the stations they see."""
    session = uow.session
    now = utcnow()

    def dead(reason: str) -> None:
        row.state = InboundState.DEAD_LETTERED
        row.dead_reason = reason[:500]

    claim = (
        await session.exec(
            select(WarrantyClaim).where(WarrantyClaim.claim_no == row.claim_no).with_for_update()
        )
    ).first()
    if claim is None or (user is not None and not user.can_see(claim.station_id)):
        row.station_id = row.station_id or domain.station_of_claim_number(row.claim_no)
        return dead(f"unknown claim {row.claim_no}")
    row.claim_id, row.station_id = claim.id, claim.station_id
    misfit = domain.answer_misfit(claim.status, row.kind)
    if misfit is None and row.kind == AnswerKind.CHARGED_BACK:
        misfit = domain.charge_back_problem(claim.paid_amount, row.amount or Decimal("0"))
    if misfit is not None:
        return dead(misfit)
    answer = await _answer_now(
        uow,
        claim,
        row.kind,
        amount=row.amount,
        reason_code=row.reason_code,
        reason=row.reason,
        question=row.question,
    )
    if answer is None or answer.state != AnswerState.APPLIED:
        return dead("the claim was never sent to the manufacturer")
    row.state = InboundState.APPLIED
    row.dead_reason = None
    row.answer_id = answer.id
    row.applied_at = now


async def list_inbound_answers(
    session: AsyncSession,
    user: Principal,
    *,
    state: InboundState | None = None,
    offset: int = 0,
    limit: int = 50,
) -> InboundAnswersPublic:
    """Answers pushed by the manufacturer; ``state=dead_lettered``: those still to resolve.
    A dead letter naming no station the service knows is shown to every station."""
    query = select(InboundAnswer)
    stations = user.visible_stations()
    if stations is not None:
        query = query.where(
            or_(
                col(InboundAnswer.station_id).in_(stations),
                col(InboundAnswer.station_id).is_(None),
            )
        )
    if state is not None:
        query = query.where(InboundAnswer.state == state)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(InboundAnswer.received_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return InboundAnswersPublic(data=[inbound_public(r) for r in rows], count=count)


async def dismiss_inbound_answer(
    uow: UnitOfWork, user: Principal, answer_id: uuid.UUID, data: AnswerDismissal
) -> InboundAnswerPublic:
    """Close a dead letter without applying it: kept, with who closed it, when and why."""
    session = uow.session
    row = await session.get(InboundAnswer, answer_id, with_for_update=True)
    if row is None or (row.station_id is not None and not user.can_see(row.station_id)):
        raise NotFound("manufacturer answer")
    if row.state != InboundState.DEAD_LETTERED:
        raise Conflict(f"the answer is {row.state.value}: only a dead letter", code="state")
    row.state = InboundState.DISMISSED
    row.dismissed_by = user.user_id
    row.dismissed_at = utcnow()
    row.dismiss_note = data.reason
    if row.station_id is None and user.stations and not user.all_stations:
        row.station_id = user.stations[0]  # a letter for no known station: the closer's
    session.add(row)
    await session.flush()
    return inbound_public(row)


async def redrive_inbound_answer(
    uow: UnitOfWork, user: Principal, answer_id: uuid.UUID, data: AnswerRedrive
) -> InboundAnswerPublic:
    """Apply a dead-lettered answer again: after the claim reached the state it answers, or
    to the claim number the administrator corrected. Still misfitting: dead again, with the
    new reason."""
    session = uow.session
    row = await session.get(InboundAnswer, answer_id, with_for_update=True)
    if row is None or (row.station_id is not None and not user.can_see(row.station_id)):
        raise NotFound("manufacturer answer")
    if row.state != InboundState.DEAD_LETTERED:
        raise Conflict("the answer was applied already", code="state")
    if data.claim_no is not None:
        row.claim_no = data.claim_no.strip().upper()
        row.station_id = None
    row.attempts += 1
    await _apply_inbound(uow, row, user)
    session.add(row)
    await session.flush()
    return inbound_public(row)


# --- the daily shortage log (缺货记录表) ----------------------------------------------------


def station_day(station_id: str, moment: datetime) -> date:
    """The day at the station (its own time zone) a moment falls on."""
    return calendar_for(station_id).local_day(moment)


async def _log_shortage(
    session: AsyncSession,
    *,
    key: str,
    station_id: str,
    day: date,
    at: datetime,
    kind: ShortageKind,
    outcome: ShortageOutcome,
    order: WarrantyOrder | None,
    order_id: uuid.UUID | None,
    code: str,
    description: str | None = None,
    quantity: Decimal | None = None,
    expected_on: date | None = None,
    note: str | None = None,
) -> ShortageEntry:
    """One line of the day's shortage log; the same thing logged again that day updates it."""
    row = (await session.exec(select(ShortageEntry).where(ShortageEntry.key == key))).first()
    if row is None:
        row = ShortageEntry(
            key=key,
            station_id=station_id,
            day=day,
            kind=kind,
            outcome=outcome,
            code=code,
            recorded_at=at,
        )
    row.outcome = outcome
    row.order_id = order_id
    row.order_no = order.order_no if order is not None else None
    row.vin = order.vin if order is not None else None
    row.warranty = order is not None
    row.code = code
    row.description = description
    row.quantity = quantity
    row.expected_on = expected_on
    row.note = note[:300] if note else None
    row.recorded_at = at
    session.add(row)
    return row


async def _log_pre_authorisation(
    session: AsyncSession,
    order: WarrantyOrder,
    line: WarrantyOrderLine,
    outcome: ShortageOutcome,
    at: datetime,
    note: str | None = None,
) -> None:
    stage = "requested" if outcome == ShortageOutcome.REQUESTED else "answer"
    await _log_shortage(
        session,
        key=f"preauth:{line.line_id}:{stage}",
        station_id=order.station_id,
        day=station_day(order.station_id, at),
        at=at,
        kind=ShortageKind.PRE_AUTHORISATION,
        outcome=outcome,
        order=order,
        order_id=order.order_id,
        code=line.code,
        description=line.description,
        quantity=line.hours if line.kind == LineKind.LABOUR else line.quantity,
        note=note,
    )


async def record_backorder(uow: UnitOfWork, event: events.ItemBackordered) -> None:
    """A part short for a repair order's job goes on the station's shortage log of the day
    (to be ordered); an updated backorder the same day updates its line."""
    if event.quantity_short <= 0:
        return
    causing = uow.event
    order = await uow.session.get(WarrantyOrder, event.order_id)
    description = None
    if order is not None:
        description = (
            await uow.session.exec(
                select(WarrantyOrderLine.description).where(
                    WarrantyOrderLine.order_id == order.order_id,
                    WarrantyOrderLine.code == event.part_no,
                )
            )
        ).first()
    day = station_day(causing.station_id, causing.occurred_at)
    elsewhere = ", ".join(f"{s.station_id}: {s.available}" for s in event.other_stations)
    await _log_shortage(
        uow.session,
        key=f"backorder:{event.request_id}:{day.isoformat()}",
        station_id=causing.station_id,
        day=day,
        at=causing.occurred_at,
        kind=ShortageKind.PARTS_ORDER,
        outcome=ShortageOutcome.BACKORDERED,
        order=order,
        order_id=event.order_id,
        code=event.part_no,
        description=description,
        quantity=event.quantity_short,
        expected_on=event.expected_on,
        note=f"available at {elsewhere}" if elsewhere else None,
    )


async def shortage_logs(
    session: AsyncSession, user: Principal, *, day: date | None, station_id: str | None
) -> ShortageLogsPublic:
    """The day's shortage log of each station the user sees (or of one): pre-authorisations
    asked and answered, parts short to be ordered, and their tallies."""
    if station_id is not None and not user.can_see(station_id):
        raise NotFound("station")
    home = station_id or (user.stations[0] if user.stations else None)
    on = day or (station_day(home, utcnow()) if home else utcnow().date())
    query = select(ShortageEntry).where(ShortageEntry.day == on)
    if station_id is not None:
        query = query.where(ShortageEntry.station_id == station_id)
    else:
        query = at_visible_stations(query, ShortageEntry.station_id, user)
    entries = (
        await session.exec(
            query.order_by(
                col(ShortageEntry.station_id),
                col(ShortageEntry.kind),
                col(ShortageEntry.recorded_at),
            )
        )
    ).all()
    if station_id is not None:
        stations = [station_id]
    else:
        stations = sorted(set(user.stations) | {e.station_id for e in entries})
    return ShortageLogsPublic(
        day=on,
        stations=[
            _shortage_log(s, on, [e for e in entries if e.station_id == s]) for s in stations
        ],
    )


def _shortage_log(
    station_id: str, day: date, entries: Sequence[ShortageEntry]
) -> ShortageLogPublic:
    outcomes = Counter(e.outcome for e in entries)
    short: dict[str, Decimal] = {}
    for entry in entries:
        if entry.kind == ShortageKind.PARTS_ORDER:
            short[entry.code] = short.get(entry.code, Decimal("0")) + (entry.quantity or 0)
    return ShortageLogPublic(
        station_id=station_id,
        day=day,
        tally=ShortageTally(
            pre_authorisations_requested=outcomes[ShortageOutcome.REQUESTED],
            pre_authorisations_authorised=outcomes[ShortageOutcome.AUTHORISED],
            pre_authorisations_refused=outcomes[ShortageOutcome.REFUSED],
            parts_orders=outcomes[ShortageOutcome.BACKORDERED],
            parts_short=short,
        ),
        entries=[ShortageEntryPublic.model_validate(e.model_dump()) for e in entries],
    )


SHORTAGE_CSV_COLUMNS = (
    "station",
    "day",
    "kind",
    "outcome",
    "order_no",
    "vin",
    "warranty",
    "code",
    "description",
    "quantity",
    "expected_on",
    "note",
    "recorded_at",
)


def shortage_csv(logs: ShortageLogsPublic) -> str:
    """The log as CSV for printing or a spreadsheet (UTF-8 with BOM, so Excel reads the
    Chinese), one row per entry, times in the station's zone."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SHORTAGE_CSV_COLUMNS)
    for log in logs.stations:
        calendar = calendar_for(log.station_id)
        for e in log.entries:
            writer.writerow(
                [
                    log.station_id,
                    log.day.isoformat(),
                    e.kind.value,
                    e.outcome.value,
                    e.order_no or "",
                    e.vin or "",
                    "yes" if e.warranty else "no",
                    e.code,
                    e.description or "",
                    "" if e.quantity is None else format(e.quantity.normalize(), "f"),
                    e.expected_on.isoformat() if e.expected_on else "",
                    e.note or "",
                    calendar.local(e.recorded_at).strftime("%Y-%m-%d %H:%M"),
                ]
            )
    return buffer.getvalue()


# --- 三包 fault classification ------------------------------------------------------------


async def classify_fault(
    uow: UnitOfWork,
    user: Principal,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    data: FaultClassification,
) -> WarrantyOrderPublic:
    """The warranty administrator sets (or corrects the pre-check's) 三包 fault class of a
    warranty repair line, with who and when; the vehicle's 三包 thresholds are judged again
    and any newly reached or approached one is announced."""
    session = uow.session
    order = await get_visible(session, WarrantyOrder, order_id, user, "warranty order")
    line = await session.get(WarrantyOrderLine, line_id, with_for_update=True)
    if line is None or line.order_id != order.order_id:
        raise NotFound("warranty order line")
    line.fault_class = data.fault_class.value
    line.fault_class_source = domain.ClassSource.ADMINISTRATOR.value
    line.fault_classified_by = user.user_id
    line.fault_classified_at = utcnow()
    line.fault_class_note = data.note
    session.add(line)
    await session.flush()
    await raise_sanbao_signals(uow, order.vin, station_id=order.station_id)
    return await get_order(session, user, order.order_id)


# --- 三包 signals (sanbao.threshold_approached) ------------------------------------------


async def _sanbao_facts(
    session: AsyncSession, repairs: Sequence[SanbaoRepair], now: datetime
) -> list[domain.SanbaoFacts]:
    """What the 三包 thresholds count on, per repair: days (so far, when open), the fault
    classes of its lines, the assemblies and main parts it replaced for quality, and how
    soon after delivery (the warranty start) it came."""
    if not repairs:
        return []
    order_ids = [r.order_id for r in repairs]
    orders = {
        o.order_id: o
        for o in (
            await session.exec(
                select(WarrantyOrder).where(col(WarrantyOrder.order_id).in_(order_ids))
            )
        ).all()
    }
    lines = (
        await session.exec(
            select(WarrantyOrderLine).where(col(WarrantyOrderLine.order_id).in_(order_ids))
        )
    ).all()
    classes: dict[uuid.UUID, set[str]] = {}
    for line in lines:
        if line.fault_class:
            classes.setdefault(line.order_id, set()).add(line.fault_class)
    assemblies: dict[str, set[str]] = {}
    parts: dict[str, set[domain.MainPart]] = {}
    for item in await _quality_replacements(session, repairs):
        assembly = domain.replaced_assembly(item.description)
        if assembly is not None:
            assemblies.setdefault(item.repair, set()).add(assembly)
            continue
        found = domain.main_part(item.description, item.system)
        if found is not None:
            parts.setdefault(item.repair, set()).add(found)
    facts = []
    for repair in repairs:
        order = orders.get(repair.order_id)
        key = str(repair.order_id)
        facts.append(
            domain.SanbaoFacts(
                order_id=key,
                order_no=repair.order_no,
                fault=repair.fault,
                days=repair.days
                if repair.completed_at is not None
                else domain.repair_days(repair.started_at, now),
                open=repair.completed_at is None,
                started_on=station_day(repair.station_id, repair.started_at),
                delivered_on=order.warranty_start if order is not None else None,
                mileage_km=order.mileage_km if order is not None else None,
                classes=frozenset(classes.get(repair.order_id, ())),
                assemblies=frozenset(assemblies.get(key, ())),
                main_parts=frozenset(parts.get(key, ())),
                courtesy_car_due=repair.courtesy_car_due,
            )
        )
    return facts


async def raise_sanbao_signals(
    uow: UnitOfWork, vin: str, *, station_id: str | None = None
) -> list[SanbaoWarning]:
    """Judge the vehicle's 三包 thresholds on its repairs at every station, and announce
    (``sanbao.threshold_approached``, through the outbox in this transaction) each one
    reached or approached that was not announced before: once per (VIN, rule, fault,
    reached), so a redelivered or replayed event announces nothing twice."""
    session = uow.session
    # locked: two transactions judging the same vehicle at once (two replicas, two
    # administrators) take turns, so the second sees what the first announced
    repairs = (
        await session.exec(
            select(SanbaoRepair)
            .where(SanbaoRepair.vin == vin)
            .order_by(col(SanbaoRepair.started_at))
            .with_for_update()
        )
    ).all()
    signals = domain.sanbao_signals(await _sanbao_facts(session, repairs, utcnow()))
    if not signals:
        return []
    sent = {
        (w.rule, w.fault_key, w.reached)
        for w in (await session.exec(select(SanbaoWarning).where(SanbaoWarning.vin == vin))).all()
    }
    station_of = {str(r.order_id): r.station_id for r in repairs}
    raised = []
    now = utcnow()
    for signal in signals:
        if (signal.rule, signal.key, signal.reached) in sent:
            continue
        sent.add((signal.rule, signal.key, signal.reached))
        order_id = uuid.UUID(signal.order_id) if signal.order_id else None
        station = station_of.get(signal.order_id or "") or station_id or repairs[-1].station_id
        warning = SanbaoWarning(
            station_id=station,
            vin=vin,
            rule=signal.rule,
            fault_key=signal.key,
            reached=signal.reached,
            count=signal.count,
            threshold=signal.threshold,
            fault=signal.fault,
            remedy=signal.remedy,
            message=signal.message[:500],
            order_id=order_id,
            raised_at=now,
        )
        session.add(warning)
        raised.append(warning)
        uow.emit(
            events.SanbaoThresholdApproached(
                vin=vin,
                rule=signal.rule,
                reached=signal.reached,
                count=signal.count,
                threshold=signal.threshold,
                fault=signal.fault,
                remedy=signal.remedy,
                order_id=order_id,
                message=signal.message,
            ),
            station_id=station,
            correlation_id=order_id,
        )
    await session.flush()
    return raised


async def list_sanbao_warnings(
    session: AsyncSession,
    user: Principal,
    *,
    vin: str | None = None,
    reached: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SanbaoWarningsPublic:
    """The 三包 warnings announced for the stations the user sees, newest first."""
    query = at_visible_stations(select(SanbaoWarning), SanbaoWarning.station_id, user)
    if vin is not None:
        query = query.where(SanbaoWarning.vin == vin)
    if reached is not None:
        query = query.where(SanbaoWarning.reached == reached)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(SanbaoWarning.raised_at).desc(), col(SanbaoWarning.rule))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return SanbaoWarningsPublic(
        data=[SanbaoWarningPublic.model_validate(r.model_dump()) for r in rows], count=count
    )


# --- maintenance history (missed-maintenance exclusion) ---------------------------------


async def record_maintenance_order(uow: UnitOfWork, event: events.OrderCreated) -> None:
    """A maintenance order of a station of the group: it enters the vehicle's history, and
    counts once the workshop completed it (or the car was delivered)."""
    session = uow.session
    exists = (
        await session.exec(
            select(MaintenanceRecord).where(MaintenanceRecord.order_id == event.order_id)
        )
    ).first()
    if exists is not None:
        return
    session.add(
        MaintenanceRecord(
            station_id=uow.event.station_id,
            vin=event.vehicle.vin,
            source=MaintenanceSource.SERVICE_ORDER,
            order_id=event.order_id,
            order_no=event.order_no,
            mileage_km=event.vehicle.mileage_km,
            recorded_by=event.advisor_id,
            recorded_at=utcnow(),
        )
    )
    await session.flush()


async def maintenance_completed(
    session: AsyncSession, order_id: uuid.UUID, at: datetime, mileage_km: int | None = None
) -> None:
    """A maintenance order was completed (``vehicle.completed``) or delivered
    (``vehicle.delivered``): it counts from that day; the first of the two decides."""
    visit = (
        await session.exec(
            select(MaintenanceRecord)
            .where(MaintenanceRecord.order_id == order_id)
            .with_for_update()
        )
    ).first()
    if visit is None:
        return
    if visit.done_on is None:
        visit.done_on = station_day(visit.station_id, at)
    if visit.mileage_km is None and mileage_km is not None:
        visit.mileage_km = mileage_km
    session.add(visit)


async def maintenance_done(session: AsyncSession, vin: str) -> list[domain.MaintenanceDone]:
    """The vehicle's maintenance done, at every station of the group and elsewhere."""
    rows = (
        await session.exec(
            select(MaintenanceRecord).where(
                MaintenanceRecord.vin == vin, col(MaintenanceRecord.done_on).is_not(None)
            )
        )
    ).all()
    return [domain.MaintenanceDone(r.done_on, r.mileage_km) for r in rows if r.done_on]


async def record_booklet_maintenance(
    session: AsyncSession, user: Principal, vin: str, data: MaintenanceRecordIn
) -> MaintenanceRecordPublic:
    """Maintenance done outside the group, recorded from the stamped booklet with the
    evidence seen; the claim check counts it like the group's own."""
    station = user.acting_station(data.station_id)
    if data.done_on > utcnow().date():
        raise DomainError("maintenance cannot be done in the future", field="done_on")
    row = MaintenanceRecord(
        station_id=station,
        vin=vin,
        source=MaintenanceSource.BOOKLET,
        done_on=data.done_on,
        mileage_km=data.mileage_km,
        workshop=data.workshop,
        evidence_note=data.evidence_note,
        recorded_by=user.user_id,
        recorded_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return MaintenanceRecordPublic.model_validate(row.model_dump())


async def maintenance_history(
    session: AsyncSession, user: Principal, vin: str
) -> MaintenanceHistoryPublic:
    rows = (
        await session.exec(
            select(MaintenanceRecord)
            .where(MaintenanceRecord.vin == vin)
            .order_by(col(MaintenanceRecord.done_on), col(MaintenanceRecord.recorded_at))
        )
    ).all()
    shown = [r for r in rows if user.can_see(r.station_id)]
    return MaintenanceHistoryPublic(
        vin=vin,
        data=[MaintenanceRecordPublic.model_validate(r.model_dump()) for r in shown],
        at_other_stations=len(rows) - len(shown),
    )
