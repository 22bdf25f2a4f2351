"""Demo data for the embedded default: suppliers, a small catalogue with its price build-up,
the shelves of both demo stations (each opening balance a ledger row) and one open purchase
order (brake discs for the first station, which has none).

Idempotent: rows that exist are left alone (stock counts included), so a restart with
``SEED_DEMO_DATA=true`` never undoes what the demo users booked.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import select

from services.parts import domain
from services.parts.models import (
    MovementKind,
    Part,
    PartCategory,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockItem,
    Supplier,
)
from services.parts.service import lock_stock, post
from shared.db import utcnow
from shared.demo import STATIONS

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from shared.app import Runtime

D = Decimal

#: registered suppliers (the manufacturers' parts centres) and one that is not registered
SUPPLIERS: tuple[tuple[uuid.UUID, str, str, bool, int], ...] = (
    (uuid.UUID("5b0f3a52-0c55-4f43-9d0e-6f1d6c0a0001"), "FAWVW-PC", "一汽-大众 配件中心", True, 3),
    (uuid.UUID("5b0f3a52-0c55-4f43-9d0e-6f1d6c0a0002"), "SGM-PC", "上汽通用 配件中心", True, 4),
    (uuid.UUID("5b0f3a52-0c55-4f43-9d0e-6f1d6c0a0003"), "GREY", "路边配件商", False, 1),
)  # fmt: skip
MAIN_SUPPLIER = SUPPLIERS[0][0]
#: the demo's open purchase order: four brake discs for bj01, sent to the parts centre
OPEN_ORDER_ID = uuid.UUID("5b0f3a52-0c55-4f43-9d0e-6f1d6c0a0100")
#: list price = cost x (1 + margin) in the demo catalogue
DEMO_MARGIN = Decimal("0.5")

#: part_no, description, category, unit, list price, warranty price (¥), supersedes
CATALOGUE: tuple[tuple[str, str, PartCategory, str, Decimal, Decimal | None, str | None], ...] = (
    ("1K0698151A", "前刹车片 Front brake pad set", PartCategory.BRAKE, "set",
     D("480.00"), D("408.00"), "1K0698151"),
    ("1K0615301AA", "前制动盘 Front brake disc 288 mm", PartCategory.BRAKE, "pc",
     D("560.00"), D("476.00"), None),
    ("06J115403Q", "机油滤清器 Oil filter", PartCategory.FILTER, "pc",
     D("68.00"), D("58.00"), None),
    ("G052167M4", "发动机机油 Engine oil 5W-30, 4 L", PartCategory.FLUID, "bottle",
     D("398.00"), D("338.00"), None),
    ("1K0129620D", "空气滤清器 Air filter", PartCategory.FILTER, "pc",
     D("95.00"), D("81.00"), None),
    ("1K1819653B", "空调滤清器 Cabin (pollen) filter", PartCategory.FILTER, "pc",
     D("120.00"), D("102.00"), None),
    ("06H905601A", "火花塞 Spark plug", PartCategory.ENGINE, "pc",
     D("75.00"), D("64.00"), None),
    ("3C1998002", "雨刮片 Wiper blade set", PartCategory.WEAR, "set",
     D("220.00"), None, None),
    ("000915105DE", "蓄电池 Battery 12 V 72 Ah", PartCategory.ELECTRICAL, "pc",
     D("980.00"), D("833.00"), None),
    ("04E198119A", "正时皮带套件 Timing belt kit", PartCategory.ENGINE, "kit",
     D("1280.00"), D("1088.00"), None),
)  # fmt: skip

#: part_no: (min level, reorder point, reorder quantity, bin) — the same policy everywhere
POLICY: dict[str, tuple[Decimal, Decimal, Decimal, str]] = {
    "1K0698151A": (D(2), D(3), D(6), "A-01-01"),
    "1K0615301AA": (D(1), D(2), D(4), "A-01-02"),
    "06J115403Q": (D(10), D(15), D(30), "B-02-01"),
    "G052167M4": (D(12), D(20), D(48), "C-01-01"),
    "1K0129620D": (D(3), D(5), D(10), "B-02-02"),
    "1K1819653B": (D(3), D(5), D(10), "B-02-03"),
    "06H905601A": (D(8), D(12), D(24), "B-03-01"),
    "3C1998002": (D(2), D(3), D(6), "D-01-01"),
    "000915105DE": (D(1), D(2), D(3), "E-01-01"),
    "04E198119A": (D(1), D(1), D(2), "A-02-01"),
}

#: on hand per station: the brake disc is out at the first station and on the shelf at the
#: second, the wiper blades the other way round, so that a backorder can suggest a transfer
ON_HAND: dict[str, tuple[Decimal, Decimal]] = {
    "1K0698151A": (D(6), D(8)),
    "1K0615301AA": (D(0), D(6)),
    "06J115403Q": (D(40), D(25)),
    "G052167M4": (D(60), D(36)),
    "1K0129620D": (D(12), D(8)),
    "1K1819653B": (D(15), D(10)),
    "06H905601A": (D(24), D(16)),
    "3C1998002": (D(8), D(0)),
    "000915105DE": (D(3), D(4)),
    "04E198119A": (D(2), D(1)),
}


async def seed_demo(runtime: Runtime) -> None:
    """Load the demo catalogue and stock; skips every row that is already there."""
    stations = [station.station_id for station in STATIONS[:2]]
    async with runtime.db.transaction() as session:
        for supplier_id, code, name, registered, lead_time_days in SUPPLIERS:
            if await session.get(Supplier, supplier_id) is None:
                session.add(
                    Supplier(
                        id=supplier_id,
                        code=code,
                        name=name,
                        registered=registered,
                        lead_time_days=lead_time_days,
                    )
                )
        await session.flush()  # parts refer to their supplier
        for part_no, description, category, unit, list_price, warranty_price, old in CATALOGUE:
            if await session.get(Part, part_no) is None:
                cost = (list_price / (1 + DEMO_MARGIN)).quantize(domain.FEN)
                session.add(
                    Part(
                        part_no=part_no,
                        description=description,
                        category=category,
                        unit=unit,
                        list_price=list_price,
                        warranty_price=warranty_price,
                        supersedes=old,
                        supplier_id=MAIN_SUPPLIER,
                        cost=cost,
                        margin=DEMO_MARGIN,
                        warranty_margin=(
                            (warranty_price / cost - 1).quantize(Decimal("0.001"))
                            if warranty_price is not None
                            else None
                        ),
                    )
                )
        await session.flush()  # stock rows refer to the parts
        existing = {
            (item.station_id, item.part_no)
            for item in (await session.exec(select(StockItem))).all()
        }
        for part_no, counts in ON_HAND.items():
            min_level, reorder_point, reorder_quantity, bin_location = POLICY[part_no]
            for station_id, on_hand in zip(stations, counts, strict=True):
                if (station_id, part_no) in existing:
                    continue
                stock = StockItem(
                    station_id=station_id,
                    part_no=part_no,
                    min_level=min_level,
                    reorder_point=reorder_point,
                    reorder_quantity=reorder_quantity,
                    bin_location=bin_location,
                )
                session.add(stock)
                await session.flush()
                if on_hand > 0:
                    post(
                        session,
                        stock,
                        MovementKind.ADJUSTMENT,
                        actor="seed",
                        reason="opening balance (demo data)",
                        on_hand=on_hand,
                    )
        if await session.get(PurchaseOrder, OPEN_ORDER_ID) is None:
            await _open_purchase_order(session, stations[0])


async def _open_purchase_order(session: AsyncSession, station_id: str) -> None:
    part = await session.get(Part, "1K0615301AA")
    assert part is not None and part.cost is not None
    quantity = Decimal(4)
    now = utcnow()
    session.add(
        PurchaseOrder(
            id=OPEN_ORDER_ID,
            station_id=station_id,
            supplier_id=MAIN_SUPPLIER,
            status=PurchaseOrderStatus.SENT,
            total=(quantity * part.cost).quantize(domain.FEN),
            expected_on=domain.expected_on(now.date()),
            note="demo: brake discs, out of stock here",
            created_by="parts." + station_id,
            created_at=now,
            sent_by="parts." + station_id,
            sent_at=now,
        )
    )
    await session.flush()
    session.add(
        PurchaseOrderLine(
            purchase_order_id=OPEN_ORDER_ID,
            part_no=part.part_no,
            quantity_ordered=quantity,
            unit_cost=part.cost,
        )
    )
    stock = await lock_stock(session, station_id, part.part_no)
    assert stock is not None
    post(
        session,
        stock,
        MovementKind.ORDERED,
        actor="seed",
        reason="purchase order sent to FAWVW-PC",
        on_order=quantity,
        reference_id=OPEN_ORDER_ID,
        unit_cost=part.cost,
    )
