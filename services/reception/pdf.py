"""Printable PDF documents (process: "Documents the system prints"), Chinese + English labels.

Chinese text uses the CID font STSong-Light that every PDF reader carries, so no font file
ships with the service. Each function takes the public view of its record and returns the
PDF bytes; the routes in ``api.py`` load the record station-scoped first.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.reception import domain
from services.reception.models import (
    AppointmentPublic,
    ArchiveEntryPublic,
    CheckInPublic,
    DiagnosisPublic,
    EstimatePublic,
    FindingPublic,
    FiscalDocumentPublic,
    PricedLinePublic,
    RepairOrderPublic,
    SettlementPublic,
)
from shared.calendar import calendar_for

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=20, spaceAfter=4 * mm)
_HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=11, leading=14, spaceBefore=3 * mm)
_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=12)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10)


def _p(value: object, style: ParagraphStyle = _TEXT) -> Paragraph:
    return Paragraph(escape("" if value is None else str(value)), style)


def _when(station_id: str, moment: datetime | None) -> str:
    """A time as the station's clock shows it."""
    if moment is None:
        return ""
    return calendar_for(station_id).local(moment).strftime("%Y-%m-%d %H:%M")


def _money(amount: Decimal | str | None) -> str:
    return "" if amount is None else f"¥{Decimal(amount):,.2f}"


@dataclass
class _Document:
    """One printed page set: title, facts, tables, notes and signature lines."""

    zh: str
    en: str
    station_id: str
    number: str
    story: list[Flowable] = field(default_factory=list)

    def facts(self, rows: Sequence[tuple[str, object]]) -> None:
        table = Table(
            [[_p(label, _SMALL), _p(value)] for label, value in rows],
            colWidths=[45 * mm, 130 * mm],
        )
        table.setStyle(_GRID)
        self.story.append(table)

    def heading(self, text: str) -> None:
        self.story.append(_p(text, _HEADING))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        data = [[_p(h, _SMALL) for h in header]] + [[_p(v) for v in row] for row in rows]
        table = Table(data, repeatRows=1)
        table.setStyle(_GRID)
        self.story.append(table)

    def text(self, text: str) -> None:
        self.story.append(Spacer(1, 2 * mm))
        self.story.append(_p(text))

    def signatures(self, *who: str) -> None:
        self.story.append(Spacer(1, 10 * mm))
        table = Table([[_p(f"{w}: ____________________", _TEXT) for w in who]])
        self.story.append(table)

    def render(self) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=f"{self.zh} {self.en} {self.number}",
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
        )
        head = [
            _p(f"{self.zh} {self.en}", _TITLE),
            _p(f"站点 Station: {self.station_id}    编号 No.: {self.number}", _SMALL),
            Spacer(1, 3 * mm),
        ]
        doc.build([*head, *self.story])
        return buffer.getvalue()


_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ]
)


_WAITING = {True: "休息室等候 waits in the lounge", False: "离店 leaves", None: ""}


def _vehicle(o: RepairOrderPublic) -> str:
    return " ".join(filter(None, [o.vin, o.plate]))


def _order_facts(doc: _Document, o: RepairOrderPublic) -> None:
    doc.facts(
        [
            ("客户 Customer", f"{o.customer_name} {o.customer_phone or ''}"),
            ("车辆 Vehicle (VIN / 车牌 plate)", _vehicle(o)),
            (
                "里程 / 燃油 Mileage / fuel",
                f"{o.mileage_km} km / {o.fuel_level.value if o.fuel_level else ''}",
            ),
            ("维修类别 Category", o.category.value),
        ]
    )


def _line_rows(o: RepairOrderPublic) -> list[list[object]]:
    rows: list[list[object]] = []
    for line in o.lines:
        qty = line.hours if line.kind.value == "labour" else line.quantity
        amount = Decimal("0") if line.free else (qty or Decimal("0")) * line.unit_price
        rows.append(
            [
                line.code,
                line.description + (" (追加 additional)" if line.finding_id else ""),
                qty,
                _money(line.unit_price),
                "免费 free" if line.free else _money(amount),
                line.pay_type.value,
            ]
        )
    return rows


_LINE_HEADER = (
    "代码 Code",
    "项目 Item",
    "数量/工时 Qty/h",
    "单价 Price",
    "金额 Amount",
    "付费 Pay",
)


# --- the documents ----------------------------------------------------------------------


def appointment_slip(a: AppointmentPublic) -> bytes:
    """预约单: the time agreed, the requested work, parts ordered and the deposit."""
    doc = _Document("预约单", "Appointment slip", a.station_id, str(a.id)[:8].upper())
    doc.facts(
        [
            ("客户 Customer", f"{a.customer_name} {a.customer_phone or ''}"),
            ("车辆 Vehicle (VIN / 车牌 plate)", " ".join(filter(None, [a.vin, a.plate]))),
            ("预约时间 Appointment time", _when(a.station_id, a.starts_at)),
            ("预约项目 Requested work", a.requested_work),
            ("预计工时 Estimated hours", a.estimated_hours),
            ("预约方式 Channel", a.channel),
            ("状态 Status", a.status.value),
            (
                "定金 Deposit paid / required",
                f"{_money(a.deposit_paid)} / {_money(a.deposit_required)}",
            ),
        ]
    )
    if a.parts_to_order:
        doc.heading("预订配件 Parts ordered for the appointment")
        doc.table(
            ("零件号 Part no.", "名称 Description", "数量 Qty", "单价 Price"),
            [
                [
                    p.get("part_no"),
                    p.get("description"),
                    p.get("quantity"),
                    _money(p.get("unit_price")),
                ]
                for p in a.parts_to_order
            ],
        )
    doc.text(
        "预约客户到店优先接待 Appointment customers are received first; please arrive on time."
    )
    return doc.render()


def appointment_register(station_id: str, day: date, rows: Sequence[AppointmentPublic]) -> bytes:
    """预约登记表: the day's appointments at a station with their outcome."""
    doc = _Document("预约登记表", "Appointment register", station_id, day.isoformat())
    doc.table(
        (
            "时间 Time",
            "客户 Customer",
            "车辆 Vehicle",
            "预约项目 Work",
            "方式 Channel",
            "状态 Status",
        ),
        [
            [
                _when(a.station_id, a.starts_at),
                f"{a.customer_name} {a.customer_phone or ''}",
                " ".join(filter(None, [a.plate, a.vin])),
                a.requested_work,
                a.channel,
                a.status.value + (f": {a.cancel_reason}" if a.cancel_reason else ""),
            ]
            for a in rows
        ]
        or [["", "无 none", "", "", "", ""]],
    )
    return doc.render()


def check_in_sheet(c: CheckInPublic) -> bytes:
    """接车单: the walk-around with the customer, belongings and damage marks, signed."""
    doc = _Document("接车单", "Check-in sheet", c.station_id, str(c.id)[:8].upper())
    doc.facts(
        [
            ("客户 Customer", f"{c.customer_name} {c.customer_phone or ''}"),
            ("VIN", c.vin),
            ("车牌 Plate", c.plate or ""),
            ("到店时间 Arrived", _when(c.station_id, c.arrived_at)),
            (
                "公里数 Mileage",
                f"{c.mileage_km} km"
                + (
                    f" (更正 correction: {c.mileage_correction_note})"
                    if c.mileage_correction_note
                    else ""
                ),
            ),
            ("燃油量 Fuel level", c.fuel_level.value),
            ("车钥匙编号 Key tag", c.key_tag),
            ("随车证件 Documents received", ", ".join(c.documents)),
            ("预约客户 Appointment (priority)", "是 yes" if c.priority else "否 no"),
            ("三件套 Protective covers fitted", "是 yes" if c.covers_fitted else "否 no"),
            ("提醒带走贵重物品 Valuables reminder", "是 yes" if c.valuables_reminded else "否 no"),
        ]
    )
    doc.heading("随车物品清单 Belongings")
    doc.table(
        ("#", "物品 Item"),
        [[i + 1, item] for i, item in enumerate(c.belongings)] or [["", "无 none"]],
    )
    doc.heading("外观损伤 Damage marks")
    doc.table(
        ("位置 Position", "类型 Kind", "说明 Note", "照片 Photos"),
        [[m.position, m.kind, m.note or "", len(m.photos)] for m in c.damage_marks]
        or [["", "无 none", "", ""]],
    )
    if c.open_campaigns or c.recommendations:
        doc.heading("建议 Recommended: recalls, campaigns, due maintenance")
        for campaign in c.open_campaigns:
            doc.text(f"召回/服务活动 {campaign.kind} {campaign.code}: {campaign.title}")
        for recommendation in c.recommendations:
            if not any(k.code in recommendation for k in c.open_campaigns):
                doc.text(recommendation)
    if c.sanbao_warnings:
        doc.heading("三包提醒 三包 warnings (汽车三包)")
        for w in c.sanbao_warnings:
            doc.text(
                f"{'已达 reached' if w.reached else '接近 near'} {w.rule} {w.fault or ''} "
                f"({w.count}/{w.threshold}): {w.message} — {w.remedy}"
            )
    doc.text("请带走车内贵重物品 Please take your valuables with you.")
    doc.text(
        f"客户签字 Signed by {c.signature_name} {_when(c.station_id, c.signed_at)}"
        + (f" “{c.signature_typed}”" if c.signature_typed else "")
    )
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def quotation(o: RepairOrderPublic) -> bytes:
    """报价单: the agreed estimate, labour and parts per line with pay type, and the total."""
    doc = _Document("报价单", "Quotation", o.station_id, o.order_no)
    _order_facts(doc, o)
    doc.facts(
        [
            ("估价方式 Estimate method", o.estimate_method.value),
            ("预估完工 Promised completion", _when(o.station_id, o.promised_at)),
        ]
    )
    doc.heading("报价项目 Quoted work")
    doc.table(_LINE_HEADER, _line_rows(o))
    doc.facts(
        [
            ("估价合计 Estimated total", _money(o.estimated_total)),
            ("含税 VAT included", _money(domain.tax_included(o.estimated_total))),
        ]
    )
    if o.estimate_note:
        doc.text(o.estimate_note)
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def estimate_quotation(station_id: str, e: EstimatePublic, issued_at: datetime) -> bytes:
    """报价单 before signing: the priced estimate with live parts availability and the
    customer's choices, the promised time, and the lines the customer dropped."""
    doc = _Document("报价单", "Quotation", station_id, _when(station_id, issued_at))
    doc.facts(
        [
            ("维修类别 Category", e.category.value),
            ("估价方式 Estimate method", e.estimate_method.value),
            ("工时单价 Labour rate", _money(e.labour_rate)),
            ("预估完工 Promised completion", _when(station_id, e.promised_at)),
        ]
    )
    doc.heading("报价项目 Quoted work")
    doc.table(
        (*_LINE_HEADER, "库存 Stock"),
        [
            [
                line.code,
                line.description,
                line.hours if line.kind.value == "labour" else line.quantity,
                _money(line.unit_price),
                "免费 free" if line.free else _money(line.amount),
                line.pay_type.value,
                _stock_note(line),
            ]
            for line in e.lines
        ],
    )
    doc.facts(
        [
            ("工时费 Labour", _money(e.labour_total)),
            ("配件费 Parts", _money(e.parts_total)),
            ("合计 Total", f"{_money(e.total)} (含税 VAT incl. {_money(e.tax_included)})"),
        ]
    )
    if e.dropped_lines:
        doc.heading("客户取消的项目 Dropped by the customer (part not in stock)")
        doc.table(
            ("代码 Code", "项目 Item"), [[line.code, line.description] for line in e.dropped_lines]
        )
    for note in e.notes:
        doc.text(note)
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def _stock_note(line: PricedLinePublic) -> str:
    if line.kind.value != "part":
        return ""
    if line.customer_supplied:
        return "客户自带 customer-supplied"
    if line.in_stock:
        return "有货 in stock"
    expected = f" {line.expected_on.isoformat()}" if line.expected_on else ""
    choice = line.customer_choice.value if line.customer_choice else ""
    return f"缺货 short{expected} → {choice}"


def repair_order(o: RepairOrderPublic) -> bytes:
    """任务委托书: everything the customer signed for."""
    doc = _Document("任务委托书", "Repair order", o.station_id, o.order_no)
    _order_facts(doc, o)
    doc.facts(
        [
            ("客户描述 Complaint (customer's words)", o.complaint),
            ("预估完工 Promised completion", _when(o.station_id, o.promised_at)),
            ("付款方式 Payment method", o.payment_method.value),
            ("旧件处理 Old parts", o.old_parts.value),
            ("免费洗车 Car wash", "是 yes" if o.car_wash else "否 no"),
            ("客户 Customer waits", _WAITING[o.customer_waiting]),
            (
                "服务经理参与 Service manager involved",
                (
                    f"是 yes: 已签核 signed off {o.manager_signed_off_by} "
                    f"{_when(o.station_id, o.manager_signed_off_at)} {o.manager_sign_off_note}"
                    if o.manager_signed_off_at
                    else "是 yes: 待签核 awaiting sign-off"
                )
                if o.flagged_for_manager
                else "否 no",
            ),
            ("状态 Status", o.status.value),
        ]
    )
    doc.heading("维修项目 Agreed work")
    doc.table(_LINE_HEADER, _line_rows(o))
    doc.facts([("合计 Total", _money(o.total))])
    for note in (o.estimate_note, o.no_guarantee_note):
        if note:
            doc.text(note)
    if o.cancel_reason:
        doc.text(f"已取消 Cancelled {_when(o.station_id, o.cancelled_at)}: {o.cancel_reason}")
    doc.text(
        "未经客户同意，不做委托书以外的任何项目 Nothing not on this order is done without "
        "the customer's consent."
    )
    doc.text(f"客户签字 Signed by {o.signed_by} {_when(o.station_id, o.signed_at)}")
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def recommended_work(o: RepairOrderPublic, declined: Sequence[FindingPublic]) -> bytes:
    """建议项目表: additional work the customer declined, safety items stressed, signed."""
    doc = _Document("建议项目表", "Recommended work (declined)", o.station_id, o.order_no)
    _order_facts(doc, o)
    doc.heading("客户拒绝的建议项目 Work recommended and declined")
    rows: list[list[object]] = [
        [
            f.description,
            "是 YES — 涉及安全 safety relevant" if f.safety_relevant else "否 no",
            _money(f.price),
            f"{_when(o.station_id, f.customer_told_at)} {f.customer_told_by or ''}",
            f.workshop_told or "",
        ]
        for f in declined
    ]
    doc.table(
        (
            "项目 Finding",
            "安全 Safety",
            "报价 Price",
            "告知 Told (when / by)",
            "车间 Workshop told",
        ),
        rows or [["无 none", "", "", "", ""]],
    )
    if any(f.safety_relevant for f in declined):
        doc.text(
            "注意：以上涉及安全的项目未维修，建议尽快处理 Safety-relevant work was declined: "
            "have it done soon."
        )
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def settlement(s: SettlementPublic, o: RepairOrderPublic) -> bytes:
    """结算单: lines actually done, free items, differences to the estimate, payments."""
    doc = _Document("结算单", "Settlement", s.station_id, s.order_no)
    _order_facts(doc, o)
    doc.heading("结算项目 Lines")
    doc.table(
        ("项目 Item", "数量/工时 Qty/h", "金额 Amount", "付费 Pay", "说明 Note"),
        [
            [
                line["description"],
                line["hours"] if line["kind"] == "labour" else line["quantity"],
                "免费 free" if line.get("free") else _money(line["amount"]),
                line["pay_type"],
                line.get("difference_note") or "",
            ]
            for line in s.lines
        ],
    )
    doc.facts(
        [
            ("合计 Gross", _money(s.gross)),
            ("估价 Estimated", _money(s.estimated)),
            ("客户承担 Customer's share", _money(s.customer_gross)),
            ("优惠 Discount", f"{_money(s.discount)} {s.discount_reason or ''}"),
            ("应付 Due", f"{_money(s.customer_due)} (含税 VAT incl. {_money(s.tax_included)})"),
            ("已付 / 挂账 Paid / on account", f"{_money(s.paid)} / {_money(s.on_account)}"),
            ("余额 Balance", _money(s.balance)),
        ]
    )
    if s.differences:
        doc.heading("与估价的差异 Differences to the estimate")
        for difference in s.differences:
            doc.text(difference)
    if s.payments:
        doc.heading("付款 Payments")
        doc.table(
            ("时间 When", "方式 Method", "金额 Amount", "收银员 Cashier"),
            [
                [
                    _when(s.station_id, p.received_at),
                    p.method.value,
                    _money(p.amount),
                    p.received_by,
                ]
                for p in s.payments
            ],
        )
    doc.signatures("收银员 Cashier", "客户 Customer")
    return doc.render()


def exit_pass(s: SettlementPublic, o: RepairOrderPublic) -> bytes:
    """出厂通知单: the car may leave: settled in full (paid or on account)."""
    assert s.exit_pass_no is not None
    doc = _Document("出厂通知单", "Exit pass", s.station_id, s.exit_pass_no)
    doc.facts(
        [
            ("委托书 Repair order", o.order_no),
            ("车辆 Vehicle (VIN / 车牌 plate)", _vehicle(o)),
            ("客户 Customer", o.customer_name),
            ("结清 Settled", _when(s.station_id, s.exit_pass_at)),
            (
                "应付 / 已付 / 挂账 Due / paid / on account",
                f"{_money(s.customer_due)} / {_money(s.paid)} / {_money(s.on_account)}",
            ),
        ]
    )
    doc.text(
        "随车交付：委托书、结算单、质量保证书、证件和钥匙 Handed over with the order, the "
        "settlement, the quality guarantee, the documents and the keys."
    )
    doc.signatures("收银员 Cashier", "门卫 Gate")
    return doc.render()


def quality_guarantee(o: RepairOrderPublic, starts: datetime) -> bytes:
    """质量保证书: what the repair's guarantee covers and for how long, from delivery."""
    terms = domain.guarantee_terms(o.category.value, o.lines)
    doc = _Document("质量保证书", "Quality guarantee", o.station_id, o.order_no)
    _order_facts(doc, o)
    guaranteed = [
        line
        for line in o.lines
        if not line.customer_supplied
        and not (line.non_original and (line.major_system or "").lower() in domain.MAJOR_SYSTEMS)
    ]
    doc.facts(
        [
            ("保证范围 Scope", terms.scope),
            (
                "保证期 Period",
                f"{terms.days} 天 days 或 or {terms.km:,} km, 以先到者为准 whichever comes first",
            ),
            ("起始 From", f"{_when(o.station_id, starts)} ({o.mileage_km} km)"),
        ]
    )
    doc.heading("保证项目 Guaranteed work")
    doc.table(
        ("代码 Code", "项目 Item"),
        [[line.code, line.description] for line in guaranteed] or [["", "无 none"]],
    )
    if o.no_guarantee_note:
        doc.heading("不提供质量担保 Not guaranteed")
        doc.text(o.no_guarantee_note)
    doc.text(
        "保证期内因维修质量出现的同一故障免费返修 Within the period, the same fault caused by "
        "this repair is put right free of charge."
    )
    doc.signatures("服务经理 Service manager", "客户 Customer")
    return doc.render()


def _yes(value: bool | None) -> str:
    return {True: "是 yes", False: "否 no", None: "未记录 not recorded"}[value]


def delivery_acceptance(o: RepairOrderPublic) -> bytes:
    """交车确认单: the customer checked belongings and bodywork against the check-in sheet and
    accepted the car; what the advisor did and told at the hand-over."""
    assert o.delivery is not None
    d = o.delivery
    doc = _Document("交车确认单", "Delivery acceptance", o.station_id, o.order_no)
    _order_facts(doc, o)
    doc.facts(
        [
            ("交车时间 Delivered", _when(o.station_id, d.accepted_at)),
            ("随车物品已核对 Belongings checked (check-in sheet)", _yes(d.belongings_checked)),
            ("车身外观已核对 Bodywork checked (check-in sheet)", _yes(d.bodywork_checked)),
            ("三件套已取下 Covers removed", _yes(d.covers_removed)),
            ("维修内容已说明 Work explained", _yes(d.work_explained)),
            ("证件已交还 Documents handed back", _yes(d.documents_returned)),
            ("钥匙已交还 Keys handed back", _yes(d.keys_returned)),
            (
                "下次保养 Next service",
                f"{o.next_service_date or ''} / {o.next_service_km or ''} km "
                f"(已告知 told: {_yes(d.next_service_told)})",
            ),
            (
                "建议预约 Next booking suggested",
                _yes(d.next_booking_suggested)
                + (f" (预约 booked {d.next_appointment_id})" if d.next_appointment_id else ""),
            ),
            ("72 小时回访已告知 Follow-up call announced", _yes(d.follow_up_call_announced)),
            ("服务顾问 Advisor", d.delivered_by),
        ]
    )
    if d.note:
        doc.text(d.note)
    doc.text(
        f"客户验收签字 Accepted by {d.signature_name} {_when(o.station_id, d.accepted_at)}"
        + (f" “{d.signature_typed}”" if d.signature_typed else "")
        + (
            ""
            if d.signature_captured
            else " (顾问确认，未采集签名 advisor's tick, no signature captured)"
        )
    )
    doc.signatures("服务顾问 Advisor", "客户 Customer")
    return doc.render()


def diagnosis_report(d: DiagnosisPublic) -> bytes:
    """诊断书 / 检测诊断单: what the technician found, fault codes, the work recommended."""
    doc = _Document("检测诊断单", "Diagnosis report", d.station_id, d.diagnosis_no)
    doc.facts(
        [
            ("客户 Customer", f"{d.customer_name} {d.customer_phone or ''}"),
            ("车辆 Vehicle (VIN / 车牌 plate)", " ".join(filter(None, [d.vin, d.plate]))),
            ("里程 Mileage", f"{d.mileage_km} km" if d.mileage_km is not None else ""),
            ("诊断时间 Diagnosed", _when(d.station_id, d.diagnosed_at)),
            ("客户描述 Complaint (customer's words)", d.complaint),
            ("技师 Technician", f"{d.technician_name or ''} {d.technician_id}".strip()),
            ("路试 Road test", "是 yes" if d.road_test else "否 no"),
        ]
    )
    doc.heading("检测结果 Findings")
    doc.text(d.findings)
    doc.heading("故障码 Fault codes")
    doc.table(
        ("代码 Code", "说明 Description"),
        [[f["code"], f.get("description") or ""] for f in d.fault_codes] or [["", "无 none"]],
    )
    doc.heading("建议维修项目 Recommended work")
    doc.table(
        ("项目 Work", "代码 Code", "估价 Estimate", "安全 Safety"),
        [
            [
                w["description"],
                w.get("code") or "",
                _money(w.get("estimated_price")),
                "是 YES" if w.get("safety_relevant") else "",
            ]
            for w in d.recommended_work
        ]
        or [["无 none", "", "", ""]],
    )
    doc.facts([("估价合计 Estimated total", _money(d.estimated_total))])
    if d.fee_kind is not None:
        doc.facts(
            [
                (
                    "诊断/估价费 Fee",
                    f"{d.fee_kind.value} {_money(d.fee)} (已付 paid {_money(d.fee_paid)}, "
                    f"挂账 on account {_money(d.fee_on_account)})",
                )
            ]
        )
    doc.signatures("技师 Technician", "服务顾问 Advisor", "客户 Customer")
    return doc.render()


def fiscal_document(f: FiscalDocumentPublic) -> bytes:
    """发票 / 收据: the amounts paid (or on account), net, VAT and the buyer."""
    zh, en = ("发票", "Invoice") if f.kind.value == "invoice" else ("收据", "Receipt")
    doc = _Document(zh, en, f.station_id, f.document_no)
    doc.facts(
        [
            ("开具时间 Issued", _when(f.station_id, f.issued_at)),
            ("单号 For", f.reference_no),
            (
                "购买方 Buyer",
                f"{f.buyer_name} "
                + ("(单位 company)" if f.buyer_type.value == "company" else "(个人 person)"),
            ),
            ("纳税人识别号 Tax id", f.buyer_tax_id or ""),
            ("挂账 On account", "是 yes" if f.on_account else "否 no"),
        ]
    )
    doc.heading("项目 Items")
    doc.table(
        ("项目 Item", "金额 Amount"),
        [[line["description"], _money(line["amount"])] for line in f.lines] or [["", ""]],
    )
    doc.heading("收款 Payments")
    doc.table(
        ("时间 When", "方式 Method", "金额 Amount"),
        [
            [
                _when(f.station_id, datetime.fromisoformat(p["received_at"])),
                p["method"],
                _money(p["amount"]),
            ]
            for p in f.payments
        ],
    )
    doc.facts(
        [
            ("金额（不含税）Net", _money(f.net)),
            (f"税额 VAT {f.tax_rate * 100:.0f}%", _money(f.tax)),
            ("价税合计 Total (VAT incl.)", _money(f.amount)),
        ]
    )
    doc.signatures("收款人 Cashier", "开票人 Issued by")
    return doc.render()


def archive_register(station_id: str, month: str, rows: Sequence[ArchiveEntryPublic]) -> bytes:
    """档案登记表: the month's signed documents, where they are kept and who keeps them."""
    doc = _Document("签字单据归档登记表", "Archive register", station_id, month)
    doc.table(
        (
            "单据 Document",
            "编号 No.",
            "签字 Signed",
            "位置 Location",
            "保管人 Custodian",
            "交接 Hand-overs",
        ),
        [
            [
                row.title,
                row.document_no,
                f"{_when(station_id, row.signed_at)} {row.signed_by or ''}",
                row.location or "",
                row.custodian,
                len(row.custody) - 1,
            ]
            for row in rows
        ]
        or [["无 none", "", "", "", "", ""]],
    )
    doc.facts([("份数 Documents", len(rows))])
    doc.signatures("档案管理 Archivist", "服务经理 Service manager")
    return doc.render()


def content_disposition(kind: str, number: str) -> dict[str, Any]:
    return {"Content-Disposition": f'inline; filename="{kind}-{number}.pdf"'}
