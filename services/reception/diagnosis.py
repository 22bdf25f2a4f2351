"""The diagnosis report (诊断书 / 检测诊断单) and the diagnosis or estimate fee (process §3:
"diagnose with a technician when needed; a diagnosis report may be printed for the customer.
A diagnosis or estimate fee may be charged if the customer leaves")."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception import fiscal
from services.reception.models import (
    CheckIn,
    DiagnosesPublic,
    Diagnosis,
    DiagnosisCreate,
    DiagnosisFeeCharge,
    DiagnosisPayment,
    DiagnosisPublic,
    FeeKind,
    FiscalDocumentRequest,
    OrderStatus,
    PaymentCreate,
    PaymentMethod,
    PaymentPublic,
    RepairOrder,
)
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, DomainError
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

FEE_TITLES = {FeeKind.DIAGNOSIS: "诊断费 diagnosis fee", FeeKind.ESTIMATE: "估价费 estimate fee"}


def diagnosis_number(station_id: str, diagnosis: Diagnosis) -> str:
    return f"DG-{station_id.upper()}-{diagnosis.diagnosed_at:%Y%m%d}-{diagnosis.id.hex[:6].upper()}"


async def create(uow: UnitOfWork, user: Principal, data: DiagnosisCreate) -> Diagnosis:
    """Record the diagnosis of a visit (its check-in sheet or order, or a customer and vehicle
    at the desk): the technician's findings, fault codes and the work recommended."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    order: RepairOrder | None = None
    check_in: CheckIn | None = None
    if data.order_id is not None:
        order = await get_visible(session, RepairOrder, data.order_id, user, "repair order")
        if order.station_id != station_id:
            raise DomainError("the order is at another station", field="order_id")
    if data.check_in_id is not None:
        check_in = await get_visible(session, CheckIn, data.check_in_id, user, "check-in sheet")
        if check_in.station_id != station_id:
            raise DomainError("the check-in sheet is at another station", field="check_in_id")
        if order is not None and order.vin != check_in.vin:
            raise DomainError("the check-in sheet is for another VIN", field="check_in_id")
    source = order or check_in
    if source is None and (data.customer is None or data.vehicle is None):
        raise DomainError(
            "give the check-in sheet, the repair order, or the customer and the vehicle",
            field="check_in_id",
        )
    if source is not None and data.vehicle is not None and data.vehicle.vin != source.vin:
        raise DomainError("the vehicle is not the one of the visit", field="vehicle.vin")
    complaint = data.complaint or (order.complaint if order is not None else None)
    if not complaint:
        raise DomainError("the complaint in the customer's words", field="complaint")
    now = utcnow()
    diagnosis = Diagnosis(
        diagnosis_no="",
        station_id=station_id,
        check_in_id=data.check_in_id or (order.check_in_id if order is not None else None),
        order_id=data.order_id,
        customer_name=source.customer_name if source is not None else data.customer.name,  # type: ignore[union-attr]
        customer_phone=(
            source.customer_phone if source is not None else data.customer.phone  # type: ignore[union-attr]
        ),
        vin=source.vin if source is not None else data.vehicle.vin,  # type: ignore[union-attr]
        plate=source.plate if source is not None else data.vehicle.plate,  # type: ignore[union-attr]
        mileage_km=data.mileage_km
        if data.mileage_km is not None
        else (source.mileage_km if source is not None else None),
        complaint=complaint,
        findings=data.findings,
        fault_codes=[
            {"code": code.code.upper(), "description": code.description}
            for code in data.fault_codes
        ],
        technician_id=data.technician_id,
        technician_name=data.technician_name,
        road_test=data.road_test,
        recommended_work=[
            {
                "description": work.description,
                "code": work.code,
                "estimated_price": None
                if work.estimated_price is None
                else str(work.estimated_price),
                "safety_relevant": work.safety_relevant,
            }
            for work in data.recommended_work
        ],
        estimated_total=sum(
            (w.estimated_price or Decimal("0") for w in data.recommended_work), Decimal("0")
        ),
        advisor_id=user.user_id,
        diagnosed_at=now,
        fee=Decimal("0"),
        fee_paid=Decimal("0"),
        fee_on_account=Decimal("0"),
    )
    diagnosis.diagnosis_no = diagnosis_number(station_id, diagnosis)
    session.add(diagnosis)
    return diagnosis


async def _payments(session: AsyncSession, diagnosis_id: uuid.UUID) -> list[DiagnosisPayment]:
    return list(
        (
            await session.exec(
                select(DiagnosisPayment)
                .where(DiagnosisPayment.diagnosis_id == diagnosis_id)
                .order_by(col(DiagnosisPayment.received_at))
            )
        ).all()
    )


def _balance(diagnosis: Diagnosis) -> Decimal:
    return diagnosis.fee - diagnosis.fee_paid - diagnosis.fee_on_account


async def to_public(session: AsyncSession, diagnosis: Diagnosis) -> DiagnosisPublic:
    payments = await _payments(session, diagnosis.id)
    return DiagnosisPublic.model_validate(
        {
            **diagnosis.model_dump(),
            "fee_balance": _balance(diagnosis),
            "payments": [PaymentPublic.model_validate(p.model_dump()) for p in payments],
            "documents": await fiscal.documents_of(session, diagnosis_id=diagnosis.id),
        }
    )


async def get(session: AsyncSession, user: Principal, diagnosis_id: uuid.UUID) -> DiagnosisPublic:
    diagnosis = await get_visible(session, Diagnosis, diagnosis_id, user, "diagnosis")
    return await to_public(session, diagnosis)


async def list_(
    session: AsyncSession,
    user: Principal,
    *,
    vin: str | None = None,
    check_in_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> DiagnosesPublic:
    query = at_visible_stations(select(Diagnosis), Diagnosis.station_id, user)
    if vin is not None:
        query = query.where(Diagnosis.vin == vin.strip().upper())
    if check_in_id is not None:
        query = query.where(Diagnosis.check_in_id == check_in_id)
    if order_id is not None:
        query = query.where(Diagnosis.order_id == order_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Diagnosis.diagnosed_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return DiagnosesPublic(data=[await to_public(session, row) for row in rows], count=count)


async def charge_fee(
    uow: UnitOfWork, user: Principal, diagnosis_id: uuid.UUID, data: DiagnosisFeeCharge
) -> Diagnosis:
    """The customer leaves without a repair order: charge the diagnosis or estimate fee.
    Refused (409) while an order of the visit stands (the diagnosis is part of it) and once
    payment of the fee has started."""
    session = uow.session
    diagnosis: Diagnosis = await get_visible_for_update(
        session, Diagnosis, diagnosis_id, user, "diagnosis"
    )
    if data.version is not None and data.version != diagnosis.version:
        raise Conflict(
            f"the diagnosis was changed by someone else (version {diagnosis.version}, you read "
            f"{data.version}): reload it and try again",
            field="version",
        )
    if diagnosis.fee_paid > 0 or diagnosis.fee_on_account > 0:
        raise Conflict("payment of the fee has started: it can no longer be changed", field="fee")
    links: list[Any] = []
    if diagnosis.order_id is not None:
        links.append(col(RepairOrder.id) == diagnosis.order_id)
    if diagnosis.check_in_id is not None:
        links.append(col(RepairOrder.check_in_id) == diagnosis.check_in_id)
    if links:
        standing = (
            await session.exec(
                select(RepairOrder).where(or_(*links), RepairOrder.status != OrderStatus.CANCELLED)
            )
        ).first()
        if standing is not None:
            raise Conflict(
                f"repair order {standing.order_no} was opened for this visit: the diagnosis is "
                "part of it, no separate fee",
                field="order_id",
            )
    diagnosis.fee = data.amount
    diagnosis.fee_kind = data.kind
    diagnosis.fee_reason = data.reason
    diagnosis.fee_charged_by = user.user_id
    diagnosis.fee_charged_at = utcnow()
    diagnosis.version += 1
    session.add(diagnosis)
    return diagnosis


async def _issue(
    uow: UnitOfWork, user: Principal, diagnosis: Diagnosis, request: FiscalDocumentRequest
) -> uuid.UUID:
    assert diagnosis.fee_kind is not None
    document = await fiscal.issue(
        uow.session,
        station_id=diagnosis.station_id,
        request=request,
        payments=await _payments(uow.session, diagnosis.id),
        reference_no=diagnosis.diagnosis_no,
        customer_name=diagnosis.customer_name,
        lines=[
            {
                "description": FEE_TITLES[diagnosis.fee_kind],
                "kind": "fee",
                "amount": str(diagnosis.fee),
            }
        ],
        issued_by=user.user_id,
        diagnosis_id=diagnosis.id,
    )
    return document.id


async def take_payment(
    uow: UnitOfWork, user: Principal, diagnosis_id: uuid.UUID, data: PaymentCreate
) -> Diagnosis:
    """The cashier takes the fee (partial payments, or on account, like an order's payments);
    with ``document`` the invoice or receipt is issued at once."""
    session = uow.session
    diagnosis: Diagnosis = await get_visible_for_update(
        session, Diagnosis, diagnosis_id, user, "diagnosis"
    )
    if diagnosis.fee <= 0:
        raise Conflict("no diagnosis or estimate fee was charged", field="fee")
    balance = _balance(diagnosis)
    if data.amount > balance:
        raise DomainError(f"the amount exceeds the fee still due ¥{balance}", field="amount")
    if data.document is not None:
        fiscal.check_request(data.document, "document.")
        if data.document.on_account != (data.method == PaymentMethod.ON_ACCOUNT):
            raise DomainError(
                "the document's on_account must match the payment method",
                field="document.on_account",
            )
    if data.method == PaymentMethod.ON_ACCOUNT:
        diagnosis.fee_on_account += data.amount
    else:
        diagnosis.fee_paid += data.amount
    session.add(
        DiagnosisPayment(
            diagnosis_id=diagnosis.id,
            station_id=diagnosis.station_id,
            method=data.method,
            amount=data.amount,
            reference=data.reference,
            received_by=user.user_id,
            received_at=utcnow(),
        )
    )
    diagnosis.version += 1
    session.add(diagnosis)
    if data.document is not None:
        await session.flush()
        await _issue(uow, user, diagnosis, data.document)
    return diagnosis


async def issue_document(
    uow: UnitOfWork, user: Principal, diagnosis_id: uuid.UUID, request: FiscalDocumentRequest
) -> uuid.UUID:
    diagnosis: Diagnosis = await get_visible_for_update(
        uow.session, Diagnosis, diagnosis_id, user, "diagnosis"
    )
    if diagnosis.fee_kind is None:
        raise Conflict("no diagnosis or estimate fee was charged", field="fee")
    return await _issue(uow, user, diagnosis, request)
