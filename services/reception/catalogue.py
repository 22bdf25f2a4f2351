"""The labour-time price list (工时价目手册), station labour rates and service packages.

Seed data kept in code (versioned with the service) until a price-list maintenance screen is
needed: operation codes with their flat-rate hours, the labour rate per station, and canned
jobs that expand into labour and part lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LabourOperation:
    code: str
    description: str
    hours: Decimal
    skill: str = "mechanical"
    major_system: str | None = None


@dataclass(frozen=True)
class PackagePart:
    part_no: str
    description: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class ServicePackage:
    code: str
    name: str
    operations: tuple[str, ...]
    parts: tuple[PackagePart, ...] = ()


LABOUR_OPERATIONS: dict[str, LabourOperation] = {
    op.code: op
    for op in (
        LabourOperation("MNT-OIL", "更换机油及机滤 oil and filter change", Decimal("0.5")),
        LabourOperation("MNT-INSP", "定期保养检查 maintenance inspection", Decimal("0.8")),
        LabourOperation("MNT-AIR", "更换空气滤清器 air filter", Decimal("0.2")),
        LabourOperation("MNT-CABIN", "更换空调滤芯 cabin filter", Decimal("0.3")),
        LabourOperation(
            "BRK-010", "更换前刹车片 front brake pads", Decimal("1.2"), major_system="brakes"
        ),
        LabourOperation(
            "BRK-020", "更换前刹车盘 front brake discs", Decimal("1.6"), major_system="brakes"
        ),
        LabourOperation(
            "BRK-FLUID", "更换制动液 brake fluid", Decimal("0.6"), major_system="brakes"
        ),
        LabourOperation(
            "ENG-DIAG",
            "发动机故障诊断 engine diagnosis",
            Decimal("1.0"),
            skill="electrical",
            major_system="engine",
        ),
        LabourOperation(
            "ENG-PLUG", "更换火花塞 spark plugs", Decimal("0.9"), major_system="engine"
        ),
        LabourOperation(
            "GBX-OIL", "更换变速箱油 gearbox oil", Decimal("1.0"), major_system="gearbox"
        ),
        LabourOperation(
            "STR-ALIGN", "四轮定位 wheel alignment", Decimal("0.8"), major_system="steering"
        ),
        LabourOperation(
            "BODY-PANEL", "钣金修复 panel repair (per panel)", Decimal("3.0"), skill="body"
        ),
        LabourOperation("PAINT-PANEL", "喷漆 paint (per panel)", Decimal("2.5"), skill="paint"),
        LabourOperation("WASH", "免费洗车 car wash", Decimal("0.3"), skill="wash"),
    )
}

#: labour rate per station, yuan per flat-rate hour (tax included)
STATION_LABOUR_RATES: dict[str, Decimal] = {"bj01": Decimal("300"), "sh01": Decimal("320")}
DEFAULT_LABOUR_RATE = Decimal("300")

SERVICE_PACKAGES: dict[str, ServicePackage] = {
    pkg.code: pkg
    for pkg in (
        ServicePackage(
            "PKG-MINOR",
            "小保养 minor service",
            ("MNT-OIL", "MNT-INSP"),
            (
                PackagePart("06L115562", "机油滤清器 oil filter", Decimal("1"), Decimal("68")),
                PackagePart("G052195M4", "机油 5W-40 (L)", Decimal("4.5"), Decimal("78")),
            ),
        ),
        ServicePackage(
            "PKG-MAJOR",
            "大保养 major service",
            ("MNT-OIL", "MNT-INSP", "MNT-AIR", "MNT-CABIN", "ENG-PLUG"),
            (
                PackagePart("06L115562", "机油滤清器 oil filter", Decimal("1"), Decimal("68")),
                PackagePart("G052195M4", "机油 5W-40 (L)", Decimal("4.5"), Decimal("78")),
                PackagePart("5Q0129620B", "空气滤清器 air filter", Decimal("1"), Decimal("120")),
                PackagePart("5Q0819653", "空调滤芯 cabin filter", Decimal("1"), Decimal("98")),
                PackagePart("04E905612", "火花塞 spark plug", Decimal("4"), Decimal("85")),
            ),
        ),
        ServicePackage(
            "PKG-BRAKE-FRONT",
            "前刹车保养 front brake service",
            ("BRK-010",),
            (PackagePart("1K0698151A", "前刹车片 front pads", Decimal("1"), Decimal("480")),),
        ),
    )
}


def labour_rate(station_id: str) -> Decimal:
    return STATION_LABOUR_RATES.get(station_id, DEFAULT_LABOUR_RATE)
