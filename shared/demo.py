"""Demo stations and sign-ins for the embedded default (never enabled in production).

Every demo user's password is ``demo``. ``DEMO_LOGINS=false`` turns ``POST /auth/token`` off;
production tokens come from the group's identity provider, signed with ``AUTH_SECRET``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Role

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class Station:
    station_id: str
    name: str
    brand: str
    city: str


STATIONS = (
    Station("bj01", "北京朝阳服务站 Beijing Chaoyang", "FAW-VW", "Beijing"),
    Station("sh01", "上海浦东服务站 Shanghai Pudong", "Buick", "Shanghai"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: Role
    stations: tuple[str, ...]
    all_stations: bool = False


def _station_staff(station: str, surname: str) -> list[DemoUser]:
    return [
        DemoUser(f"advisor.{station}", f"{surname} 服务顾问", Role.SERVICE_ADVISOR, (station,)),
        DemoUser(f"cashier.{station}", f"{surname} 收银员", Role.CASHIER, (station,)),
        DemoUser(f"foreman.{station}", f"{surname} 车间主管", Role.FOREMAN, (station,)),
        DemoUser(f"tech.{station}", f"{surname} 技师", Role.TECHNICIAN, (station,)),
        DemoUser(f"inspector.{station}", f"{surname} 质检员", Role.INSPECTOR, (station,)),
        DemoUser(f"parts.{station}", f"{surname} 配件专员", Role.PARTS_CLERK, (station,)),
        DemoUser(f"warranty.{station}", f"{surname} 索赔专员", Role.WARRANTY_ADMIN, (station,)),
        DemoUser(f"crm.{station}", f"{surname} 回访专员", Role.CRM_AGENT, (station,)),
        DemoUser(f"manager.{station}", f"{surname} 站长", Role.SERVICE_MANAGER, (station,)),
    ]


USERS: dict[str, DemoUser] = {
    user.username: user
    for user in [
        *_station_staff("bj01", "王"),
        *_station_staff("sh01", "李"),
        DemoUser(
            "group.manager",
            "赵 集团经理",
            Role.GROUP_MANAGER,
            tuple(s.station_id for s in STATIONS),
            all_stations=True,
        ),
        DemoUser(
            "ops",
            "运维 Operator",
            Role.OPERATOR,
            tuple(s.station_id for s in STATIONS),
            all_stations=True,
        ),
    ]
}


@dataclass(frozen=True)
class DemoVehicle:
    station_id: str
    customer_name: str
    phone: str
    vin: str
    plate: str
    make: str
    model: str
    mileage_km: int


#: customers and vehicles known to the demo stations (VINs carry valid check digits)
VEHICLES = (
    DemoVehicle(
        "bj01", "张伟", "13800000001", "LFV2A21K7G3000001", "京A12345", "FAW-VW", "Sagitar", 42000
    ),
    DemoVehicle(
        "bj01", "刘洋", "13800000002", "LFV2A21K9G3000002", "京B67890", "FAW-VW", "Magotan", 87500
    ),
    DemoVehicle(
        "bj01",
        "北京顺达物流 (fleet)",
        "01065550001",
        "LFV3B28R7K1000007",
        "京C24680",
        "FAW-VW",
        "Tiguan L",
        15300,
    ),
    DemoVehicle(
        "sh01", "陈静", "13900000001", "LSGZJ5350HS100001", "沪A13579", "Buick", "LaCrosse", 61000
    ),
    DemoVehicle(
        "sh01", "杨帆", "13900000002", "LSGZJ5352HS100002", "沪B97531", "Buick", "GL8", 120400
    ),
)
