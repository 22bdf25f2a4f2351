"""The archive of signed documents, by month, with their custody (process: "Signed documents
are archived by month and their custody recorded").

Every signed document gets its entry when it comes into being, in the same unit of work:
check-in sheet, repair order, recommended-work sheet (the customer's first declined finding),
settlement and exit pass (when the exit pass is issued), invoice / receipt, delivery
acceptance. The first custodian is whoever produced it; each hand-over is recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.models import (
    ArchiveCustody,
    ArchiveEntry,
    ArchiveEntryPublic,
    ArchivePublic,
    CustodyHandOver,
    CustodyPublic,
)
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, DomainError
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

#: how far back a hand-over may be recorded
RECORDING_WINDOW = timedelta(days=31)

#: the archive month is the station's month (both demo stations are on Beijing time)
STATION_TZ = timezone(timedelta(hours=8))


class ArchivedKind(StrEnum):
    CHECK_IN_SHEET = "check-in-sheet"
    REPAIR_ORDER = "repair-order"
    RECOMMENDED_WORK = "recommended-work"
    SETTLEMENT = "settlement"
    EXIT_PASS = "exit-pass"
    INVOICE = "invoice"
    RECEIPT = "receipt"
    DELIVERY_ACCEPTANCE = "delivery-acceptance"


TITLES = {
    ArchivedKind.CHECK_IN_SHEET: "接车单 Check-in sheet",
    ArchivedKind.REPAIR_ORDER: "任务委托书 Repair order",
    ArchivedKind.RECOMMENDED_WORK: "建议项目表 Recommended work",
    ArchivedKind.SETTLEMENT: "结算单 Settlement",
    ArchivedKind.EXIT_PASS: "出厂通知单 Exit pass",
    ArchivedKind.INVOICE: "发票 Invoice",
    ArchivedKind.RECEIPT: "收据 Receipt",
    ArchivedKind.DELIVERY_ACCEPTANCE: "交车确认单 Delivery acceptance",
}


def archive_month(signed_at: datetime) -> str:
    """YYYY-MM of the station-local day the document was signed."""
    return signed_at.astimezone(STATION_TZ).strftime("%Y-%m")


async def file_document(
    session: AsyncSession,
    *,
    station_id: str,
    kind: ArchivedKind,
    document_no: str,
    signed_at: datetime,
    custodian: str,
    signed_by: str | None = None,
    order_id: uuid.UUID | None = None,
    check_in_id: uuid.UUID | None = None,
    fiscal_document_id: uuid.UUID | None = None,
) -> ArchiveEntry | None:
    """Register a signed document in its month's archive (once: a second call for the same
    document adds nothing) with its first custodian."""
    existing = (
        await session.exec(
            select(ArchiveEntry).where(
                ArchiveEntry.station_id == station_id,
                ArchiveEntry.document_kind == kind.value,
                ArchiveEntry.document_no == document_no,
            )
        )
    ).first()
    if existing is not None:
        return None
    now = utcnow()
    entry = ArchiveEntry(
        station_id=station_id,
        document_kind=kind.value,
        document_no=document_no[:60],
        order_id=order_id,
        check_in_id=check_in_id,
        fiscal_document_id=fiscal_document_id,
        signed_by=signed_by[:120] if signed_by else None,
        signed_at=signed_at,
        archive_month=archive_month(signed_at),
        custodian=custodian[:60],
        created_at=now,
    )
    session.add(entry)
    await session.flush()  # the entry before its first custody row (no ORM relationship)
    session.add(
        ArchiveCustody(
            entry_id=entry.id,
            from_custodian=None,
            to_custodian=entry.custodian,
            handed_at=signed_at,
            recorded_by=custodian[:60],
            note="signed",
        )
    )
    return entry


def current_month() -> str:
    return archive_month(utcnow())


async def _custody(session: AsyncSession, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    history: dict[uuid.UUID, list[CustodyPublic]] = {entry_id: [] for entry_id in entry_ids}
    if not entry_ids:
        return history
    rows = (
        await session.exec(
            select(ArchiveCustody)
            .where(col(ArchiveCustody.entry_id).in_(entry_ids))
            .order_by(col(ArchiveCustody.handed_at))
        )
    ).all()
    for row in rows:
        history[row.entry_id].append(CustodyPublic.model_validate(row.model_dump()))
    return history


def _public(entry: ArchiveEntry, custody: list[CustodyPublic]) -> ArchiveEntryPublic:
    return ArchiveEntryPublic.model_validate(
        {
            **entry.model_dump(),
            "title": TITLES.get(ArchivedKind(entry.document_kind), entry.document_kind),
            "custody": custody,
        }
    )


async def list_month(
    session: AsyncSession,
    user: Principal,
    month: str,
    *,
    station_id: str | None = None,
    kind: ArchivedKind | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 200,
) -> ArchivePublic:
    """The month's archive of the stations the user sees (or one), oldest signature first."""
    query = at_visible_stations(select(ArchiveEntry), ArchiveEntry.station_id, user).where(
        ArchiveEntry.archive_month == month
    )
    if station_id is not None:
        query = query.where(ArchiveEntry.station_id == user.acting_station(station_id))
    if kind is not None:
        query = query.where(ArchiveEntry.document_kind == kind.value)
    if order_id is not None:
        query = query.where(ArchiveEntry.order_id == order_id)
    count = await count_rows(session, query)
    entries = (
        await session.exec(
            query.order_by(
                col(ArchiveEntry.station_id),
                col(ArchiveEntry.signed_at),
                col(ArchiveEntry.document_kind),
            )
            .offset(offset)
            .limit(limit)
        )
    ).all()
    history = await _custody(session, [e.id for e in entries])
    return ArchivePublic(
        month=month, data=[_public(e, history[e.id]) for e in entries], count=count
    )


async def get_entry(
    session: AsyncSession, user: Principal, entry_id: uuid.UUID
) -> ArchiveEntryPublic:
    entry = await get_visible(session, ArchiveEntry, entry_id, user, "archive entry")
    return _public(entry, (await _custody(session, [entry.id]))[entry.id])


async def hand_over(
    uow: UnitOfWork, user: Principal, entry_id: uuid.UUID, data: CustodyHandOver
) -> ArchiveEntry:
    """Record that an archived document changed hands (or was filed elsewhere), with the time.
    Hand-overs are recorded in order: not before the last one, not in the future."""
    session = uow.session
    entry: ArchiveEntry = await get_visible_for_update(
        session, ArchiveEntry, entry_id, user, "archive entry"
    )
    if data.version is not None and data.version != entry.version:
        raise Conflict(
            f"the archive entry was changed by someone else (version {entry.version}, you read "
            f"{data.version}): reload it and try again",
            field="version",
        )
    now = utcnow()
    handed_at = data.handed_at or now
    if handed_at > now or handed_at < now - RECORDING_WINDOW:
        raise DomainError(
            "the hand-over time cannot be in the future or more than 31 days ago",
            field="handed_at",
        )
    last = (
        await session.exec(
            select(ArchiveCustody)
            .where(ArchiveCustody.entry_id == entry.id)
            .order_by(col(ArchiveCustody.handed_at).desc())
        )
    ).first()
    if handed_at < entry.signed_at or (last is not None and handed_at < last.handed_at):
        raise DomainError(
            "the hand-over cannot be before the document was signed or its last hand-over",
            field="handed_at",
        )
    location = data.location if data.location is not None else entry.location
    if data.custodian == entry.custodian and location == entry.location:
        raise DomainError(
            f"{entry.custodian} already keeps it there: name the new custodian or location",
            field="custodian",
        )
    session.add(
        ArchiveCustody(
            entry_id=entry.id,
            from_custodian=entry.custodian,
            to_custodian=data.custodian,
            location=location,
            handed_at=handed_at,
            recorded_by=user.user_id,
            note=data.note,
        )
    )
    entry.custodian, entry.location = data.custodian, location
    entry.version += 1
    session.add(entry)
    return entry
