"""Invoices (发票) and receipts (收据) the cashier issues for payments taken (process §7).

Numbers run per station, kind and year without gaps: the counter row is locked while a
number is taken and commits (or rolls back) with the document, so a refused or failed issue
gives its number back. ``FP-BJ01-2026-000001`` is an invoice, ``SJ-BJ01-2026-000001`` a
receipt. A document covers the payments of the order (or diagnosis fee) not yet documented:
the ones paid, or, with ``on_account``, the ones booked on account (invoiced to the fleet or
insurer as a company invoice).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception import domain
from services.reception.archive import STATION_TZ, ArchivedKind, file_document
from services.reception.models import (
    BuyerType,
    DiagnosisPayment,
    DocumentCounter,
    FiscalDocument,
    FiscalDocumentPublic,
    FiscalDocumentRequest,
    FiscalDocumentsPublic,
    FiscalKind,
    Payment,
    PaymentMethod,
)
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, DomainError
from shared.scoping import at_visible_stations, count_rows, get_visible

PREFIX = {FiscalKind.INVOICE: "FP", FiscalKind.RECEIPT: "SJ"}


def document_number(station_id: str, kind: FiscalKind, year: int, serial: int) -> str:
    return f"{PREFIX[kind]}-{station_id.upper()}-{year}-{serial:06d}"


async def next_serial(session: AsyncSession, station_id: str, kind: str, year: int) -> int:
    """The next number of the station's book for the kind and year, the counter row locked
    until the transaction ends (two cashiers never get the same number, none is skipped)."""
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(DocumentCounter.__table__)  # type: ignore[attr-defined]
        .values(station_id=station_id, kind=kind, year=year, last=0)
        .on_conflict_do_nothing()
    )
    counter = (
        await session.exec(
            select(DocumentCounter)
            .where(
                DocumentCounter.station_id == station_id,
                DocumentCounter.kind == kind,
                DocumentCounter.year == year,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    counter.last += 1
    session.add(counter)
    return counter.last


def check_request(request: FiscalDocumentRequest, field_prefix: str = "") -> None:
    """A company invoice needs the buyer's tax id; amounts on account are invoiced to the
    account holder (the fleet or the insurer): a company invoice."""
    buyer = request.buyer
    if buyer is not None and buyer.type == BuyerType.COMPANY and not buyer.tax_id:
        raise DomainError(
            "a company invoice needs the buyer's tax id (纳税人识别号)",
            field=f"{field_prefix}buyer.tax_id",
        )
    if request.on_account and (
        request.kind != FiscalKind.INVOICE or buyer is None or buyer.type != BuyerType.COMPANY
    ):
        raise DomainError(
            "amounts on account are invoiced to the account holder: a company invoice "
            "(kind invoice, buyer type company with its tax id)",
            field=f"{field_prefix}on_account",
        )


def public(document: FiscalDocument) -> FiscalDocumentPublic:
    return FiscalDocumentPublic.model_validate(document.model_dump())


async def issue(
    session: AsyncSession,
    *,
    station_id: str,
    request: FiscalDocumentRequest,
    payments: Sequence[Payment | DiagnosisPayment],
    reference_no: str,
    customer_name: str,
    lines: list[dict[str, Any]],
    issued_by: str,
    order_id: uuid.UUID | None = None,
    diagnosis_id: uuid.UUID | None = None,
) -> FiscalDocument:
    """Issue the invoice or receipt for the payments not yet documented (paid ones, or those
    on account with ``request.on_account``); 409 when there is nothing left to document."""
    check_request(request)
    covered = [
        p
        for p in payments
        if p.document_id is None and (p.method == PaymentMethod.ON_ACCOUNT) == request.on_account
    ]
    if not covered:
        what = "booked on account" if request.on_account else "paid"
        raise Conflict(
            f"nothing {what} is left without an invoice or receipt for {reference_no}",
            field="on_account" if request.on_account else "kind",
        )
    now = utcnow()
    year = now.astimezone(STATION_TZ).year
    serial = await next_serial(session, station_id, request.kind.value, year)
    amount = sum((p.amount for p in covered), Decimal("0"))
    tax = domain.tax_included(amount)
    buyer = request.buyer
    document = FiscalDocument(
        document_no=document_number(station_id, request.kind, year, serial),
        station_id=station_id,
        kind=request.kind,
        year=year,
        serial=serial,
        order_id=order_id,
        diagnosis_id=diagnosis_id,
        reference_no=reference_no,
        buyer_type=buyer.type if buyer else BuyerType.PERSON,
        buyer_name=buyer.name if buyer else customer_name,
        buyer_tax_id=buyer.tax_id if buyer else None,
        on_account=request.on_account,
        lines=lines,
        payments=[
            {
                "payment_id": str(p.id),
                "method": p.method.value,
                "amount": str(p.amount),
                "reference": p.reference,
                "received_at": p.received_at.isoformat(),
                "received_by": p.received_by,
            }
            for p in sorted(covered, key=lambda p: p.received_at)
        ],
        amount=amount,
        net=amount - tax,
        tax=tax,
        tax_rate=domain.VAT_RATE,
        issued_by=issued_by,
        issued_at=now,
    )
    session.add(document)
    for payment in covered:
        payment.document_id = document.id
        session.add(payment)
    await file_document(
        session,
        station_id=station_id,
        kind=ArchivedKind(request.kind.value),
        document_no=document.document_no,
        signed_at=now,
        custodian=issued_by,
        signed_by=document.buyer_name,
        order_id=order_id,
        fiscal_document_id=document.id,
    )
    return document


async def documents_of(
    session: AsyncSession,
    *,
    order_id: uuid.UUID | None = None,
    diagnosis_id: uuid.UUID | None = None,
) -> list[FiscalDocumentPublic]:
    query = select(FiscalDocument)
    if order_id is not None:
        query = query.where(FiscalDocument.order_id == order_id)
    if diagnosis_id is not None:
        query = query.where(FiscalDocument.diagnosis_id == diagnosis_id)
    rows = (await session.exec(query.order_by(col(FiscalDocument.issued_at)))).all()
    return [public(row) for row in rows]


def undocumented(payments: Sequence[Payment | DiagnosisPayment]) -> tuple[Decimal, Decimal]:
    """(paid, on account) not yet on an invoice or receipt."""
    paid = sum(
        (
            p.amount
            for p in payments
            if p.document_id is None and p.method != PaymentMethod.ON_ACCOUNT
        ),
        Decimal("0"),
    )
    on_account = sum(
        (
            p.amount
            for p in payments
            if p.document_id is None and p.method == PaymentMethod.ON_ACCOUNT
        ),
        Decimal("0"),
    )
    return paid, on_account


def issued_at_local(moment: datetime) -> str:
    return moment.astimezone(STATION_TZ).strftime("%Y-%m-%d %H:%M")


async def get_document(
    session: AsyncSession, user: Principal, document_id: uuid.UUID
) -> FiscalDocumentPublic:
    return public(
        await get_visible(session, FiscalDocument, document_id, user, "invoice or receipt")
    )


async def list_documents(
    session: AsyncSession,
    user: Principal,
    *,
    order_id: uuid.UUID | None = None,
    diagnosis_id: uuid.UUID | None = None,
    kind: FiscalKind | None = None,
    year: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> FiscalDocumentsPublic:
    """The station's invoice and receipt books, in number order."""
    query = at_visible_stations(select(FiscalDocument), FiscalDocument.station_id, user)
    if order_id is not None:
        query = query.where(FiscalDocument.order_id == order_id)
    if diagnosis_id is not None:
        query = query.where(FiscalDocument.diagnosis_id == diagnosis_id)
    if kind is not None:
        query = query.where(FiscalDocument.kind == kind)
    if year is not None:
        query = query.where(FiscalDocument.year == year)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(
                col(FiscalDocument.station_id),
                col(FiscalDocument.kind),
                col(FiscalDocument.year),
                col(FiscalDocument.serial),
            )
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return FiscalDocumentsPublic(data=[public(row) for row in rows], count=count)
