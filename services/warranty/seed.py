"""Demo data: the warranty policies of the demo makes (FAW-VW at bj01, Buick at sh01).

Idempotent: a make that has any policy version is left alone, so a restart never adds a
version the warranty administrators did not publish.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlmodel import select

from services.warranty import service
from services.warranty.domain import CoverageKind
from services.warranty.models import PolicyCreate, TermIn, WarrantyPolicy

if TYPE_CHECKING:
    from shared.app import Runtime

D = Decimal

POLICIES = (
    PolicyCreate(
        make="FAW-VW",
        valid_from=date(2020, 1, 1),
        terms={
            CoverageKind.BASIC: TermIn(months=36, km=100_000),
            CoverageKind.POWERTRAIN: TermIn(months=60, km=150_000),
            CoverageKind.CORROSION: TermIn(months=144),
            CoverageKind.EMISSIONS: TermIn(months=96, km=160_000),
            CoverageKind.EV_BATTERY: TermIn(months=96, km=160_000),
        },
        categories={
            "ENG-": "powertrain",
            "GBX-": "powertrain",
            "06H": "powertrain",
            "0AM": "powertrain",
            "EMS-": "emissions",
            "BAT-HV": "ev_battery",
            "BDY-RST": "corrosion",
            "1K0698": "wear",  # brake pads
            "3C1998": "wear",  # wiper blades
            "06J115": "wear",  # oil filters
            "MNT-": "wear",  # maintenance operations
        },
        labour_times={
            "ENG-120": D("2.4"),
            "GBX-210": D("4.0"),
            "BRK-010": D("1.2"),
            "BRK-020": D("1.5"),
        },
        goodwill_months=6,
        goodwill_km=10_000,
        submission_days=30,
        duplicate_days=30,
        part_return_days=15,
    ),
    PolicyCreate(
        make="Buick",
        valid_from=date(2020, 1, 1),
        terms={
            CoverageKind.BASIC: TermIn(months=36, km=100_000),
            CoverageKind.POWERTRAIN: TermIn(months=60, km=100_000),
            CoverageKind.CORROSION: TermIn(months=72),
            CoverageKind.EMISSIONS: TermIn(months=96, km=160_000),
            CoverageKind.EV_BATTERY: TermIn(months=96, km=160_000),
        },
        categories={
            "ENG-": "powertrain",
            "TRN-": "powertrain",
            "EMS-": "emissions",
            "BAT-HV": "ev_battery",
            "BRK-PAD": "wear",
            "MNT-": "wear",
        },
        labour_times={"ENG-120": D("2.8"), "TRN-300": D("5.0")},
        goodwill_months=3,
        goodwill_km=5_000,
        submission_days=21,
        duplicate_days=30,
        part_return_days=10,
    ),
)


async def seed(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        for policy in POLICIES:
            exists = (
                await session.exec(select(WarrantyPolicy).where(WarrantyPolicy.make == policy.make))
            ).first()
            if exists is None:
                await service.create_policy(session, policy)
