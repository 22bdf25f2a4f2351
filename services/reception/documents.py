# ruff: noqa: E501  (HTML templates read better unwrapped)
"""Printable documents: the check-in sheet (接车单), repair order (任务委托书) and settlement
(结算单) as self-contained HTML (print from the browser; PDF rendering is not built)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

from services.reception.models import (
    ArchiveEntryPublic,
    CheckInPublic,
    DiagnosisPublic,
    FiscalDocumentPublic,
    RepairOrderPublic,
    SettlementPublic,
)

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))

_BASE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #999;padding:4px;text-align:left}.num{text-align:right}
.sig{margin-top:2em}@media print{button{display:none}}</style></head><body>
<h1>{{ title }}</h1>{% block body %}{% endblock %}
<button onclick="window.print()">Print</button></body></html>"""

_CHECK_IN = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>Station {{ c.station_id }} · arrived {{ c.arrived_at }} · advisor {{ c.advisor_id }}
{% if c.priority %}· <strong>appointment customer: priority</strong>{% endif %}</p>
<table><tr><th>Customer</th><td>{{ c.customer_name }} {{ c.customer_phone or '' }}</td></tr>
<tr><th>VIN</th><td>{{ c.vin }}</td></tr><tr><th>Plate</th><td>{{ c.plate or '' }}</td></tr>
<tr><th>Mileage (公里数)</th><td>{{ c.mileage_km }} km
{% if c.mileage_correction_note %}(correction: {{ c.mileage_correction_note }}){% endif %}</td></tr>
<tr><th>Fuel (燃油量)</th><td>{{ c.fuel_level.value }}</td></tr>
<tr><th>Key tag (车钥匙编号)</th><td>{{ c.key_tag }}</td></tr>
<tr><th>Documents received</th><td>{{ c.documents | join(', ') }}</td></tr>
<tr><th>Belongings (随车物品)</th><td>{{ c.belongings | join(', ') }}</td></tr></table>
<h2>Damage (外观损伤)</h2><table><tr><th>Position</th><th>Kind</th><th>Note</th><th>Photos</th></tr>
{% for m in c.damage_marks %}<tr><td>{{ m.position }}</td><td>{{ m.kind }}</td>
<td>{{ m.note or '' }}</td><td>{{ m.photos | length }}</td></tr>{% endfor %}</table>
{% if c.open_campaigns %}<h2>Open recalls / campaigns (召回 / 服务活动)</h2><ul>{% for k in c.open_campaigns %}
<li>{{ k.kind }} {{ k.code }}: {{ k.title }}</li>{% endfor %}</ul>{% endif %}
{% if c.sanbao_warnings %}<h2>三包 warnings (汽车三包)</h2><ul>{% for w in c.sanbao_warnings %}
<li>{{ '已达 reached' if w.reached else '接近 near' }} {{ w.rule }} {{ w.fault or '' }} ({{ w.count }}/{{ w.threshold }}): {{ w.message }} — {{ w.remedy }}</li>{% endfor %}</ul>{% endif %}
{% if c.recommendations %}<h2>Recommended (建议项目)</h2><ul>{% for r in c.recommendations %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
<p class="sig">Signed by {{ c.signature_name }} at {{ c.signed_at }}
{% if c.signature_typed %}: “{{ c.signature_typed }}”{% endif %}</p>""",
)

_ORDER = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>{{ o.order_no }} · category {{ o.category.value }} · station {{ o.station_id }}
{% if o.flagged_for_manager %}· <strong>service manager involved</strong>{% endif %}</p>
<table><tr><th>Customer</th><td>{{ o.customer_name }} {{ o.customer_phone or '' }}</td></tr>
<tr><th>Vehicle</th><td>{{ o.vin }} {{ o.plate or '' }}</td></tr>
<tr><th>Mileage / fuel</th><td>{{ o.mileage_km }} km / {{ o.fuel_level.value if o.fuel_level else '' }}</td></tr>
<tr><th>Complaint (customer's words)</th><td>{{ o.complaint }}</td></tr>
<tr><th>Estimate method</th><td>{{ o.estimate_method.value }}</td></tr>
<tr><th>Promised</th><td>{{ o.promised_at }}</td></tr>
<tr><th>Payment</th><td>{{ o.payment_method.value }}</td></tr>
<tr><th>Old parts (旧件)</th><td>{{ o.old_parts.value }}</td></tr>
<tr><th>Car wash</th><td>{{ 'yes (free)' if o.car_wash else 'no' }}</td></tr>
{% if o.flagged_for_manager %}<tr><th>Service manager sign-off</th><td>{% if o.manager_signed_off_at %}{{ o.manager_signed_off_by }} {{ o.manager_signed_off_at }}: {{ o.manager_sign_off_note }}{% else %}<strong>awaiting</strong>{% endif %}</td></tr>{% endif %}</table>
{% if o.sanbao_warnings %}<h2>三包 warnings</h2><ul>{% for w in o.sanbao_warnings %}<li>{{ '已达 reached' if w.reached else '接近 near' }} {{ w.rule }}: {{ w.message }}</li>{% endfor %}</ul>{% endif %}
<h2>Agreed work</h2><table><tr><th>Code</th><th>Description</th><th>Qty / h</th>
<th class="num">Price</th><th>Pay type</th></tr>
{% for l in o.lines %}<tr><td>{{ l.code }}</td><td>{{ l.description }}{% if l.finding_id %} (additional){% endif %}</td>
<td>{{ l.hours if l.kind.value == 'labour' else l.quantity }}</td><td class="num">{{ l.unit_price }}</td>
<td>{{ l.pay_type.value }}</td></tr>{% endfor %}
<tr><th colspan="3">Total</th><td class="num">{{ o.total }}</td><td></td></tr></table>
{% if o.estimate_note %}<p>{{ o.estimate_note }}</p>{% endif %}
{% if o.no_guarantee_note %}<p><strong>{{ o.no_guarantee_note }}</strong></p>{% endif %}
<p class="sig">Signed by {{ o.signed_by }} at {{ o.signed_at }}</p>""",
)

_SETTLEMENT = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>{{ s.order_no }} · station {{ s.station_id }}</p>
<table><tr><th>Description</th><th>Qty / h</th><th class="num">Amount</th><th>Pay type</th><th>Note</th></tr>
{% for l in s.lines %}<tr><td>{{ l.description }}</td><td>{{ l.hours if l.kind == 'labour' else l.quantity }}</td>
<td class="num">{{ 'free (免费)' if l.free else l.amount }}</td><td>{{ l.pay_type }}</td>
<td>{{ l.difference_note or '' }}</td></tr>{% endfor %}</table>
<table><tr><th>Gross</th><td class="num">{{ s.gross }}</td></tr>
<tr><th>Estimated</th><td class="num">{{ s.estimated }}</td></tr>
<tr><th>Customer's share</th><td class="num">{{ s.customer_gross }}</td></tr>
<tr><th>Discount</th><td class="num">{{ s.discount }} {{ s.discount_reason or '' }}</td></tr>
<tr><th>Due</th><td class="num">{{ s.customer_due }} (VAT incl. {{ s.tax_included }})</td></tr>
<tr><th>Paid / on account</th><td class="num">{{ s.paid }} / {{ s.on_account }}</td></tr>
<tr><th>Balance</th><td class="num">{{ s.balance }}</td></tr></table>
{% if s.differences %}<h2>Differences to the estimate</h2><ul>{% for d in s.differences %}<li>{{ d }}</li>{% endfor %}</ul>{% endif %}
{% if s.exit_pass_no %}<p><strong>Exit pass (出厂通知单) {{ s.exit_pass_no }}</strong> issued {{ s.exit_pass_at }}</p>{% endif %}""",
)


_DIAGNOSIS = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>{{ d.diagnosis_no }} · station {{ d.station_id }} · diagnosed {{ d.diagnosed_at }} · advisor {{ d.advisor_id }}</p>
<table><tr><th>Customer</th><td>{{ d.customer_name }} {{ d.customer_phone or '' }}</td></tr>
<tr><th>Vehicle</th><td>{{ d.vin }} {{ d.plate or '' }}{% if d.mileage_km is not none %} · {{ d.mileage_km }} km{% endif %}</td></tr>
<tr><th>Complaint (customer's words)</th><td>{{ d.complaint }}</td></tr>
<tr><th>Technician</th><td>{{ d.technician_name or '' }} {{ d.technician_id }}{% if d.road_test %} · road test{% endif %}</td></tr></table>
<h2>Findings (检测结果)</h2><p>{{ d.findings }}</p>
<h2>Fault codes (故障码)</h2><table><tr><th>Code</th><th>Description</th></tr>
{% for f in d.fault_codes %}<tr><td>{{ f.code }}</td><td>{{ f.description or '' }}</td></tr>{% endfor %}</table>
<h2>Recommended work (建议维修项目)</h2><table><tr><th>Work</th><th>Code</th><th class="num">Estimate</th><th>Safety</th></tr>
{% for w in d.recommended_work %}<tr><td>{{ w.description }}</td><td>{{ w.code or '' }}</td><td class="num">{{ w.estimated_price or '' }}</td><td>{{ 'YES' if w.safety_relevant else '' }}</td></tr>{% endfor %}
<tr><th colspan="2">Estimated total</th><td class="num">{{ d.estimated_total }}</td><td></td></tr></table>
{% if d.fee_kind %}<p>Fee ({{ d.fee_kind.value }}): {{ d.fee }} · paid {{ d.fee_paid }} · on account {{ d.fee_on_account }} · due {{ d.fee_balance }}</p>{% endif %}
<p class="sig">Technician ______ Advisor ______ Customer ______</p>""",
)

_FISCAL = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>{{ f.document_no }} · station {{ f.station_id }} · issued {{ f.issued_at }} by {{ f.issued_by }} · for {{ f.reference_no }}</p>
<table><tr><th>Buyer</th><td>{{ f.buyer_name }} ({{ f.buyer_type.value }})</td></tr>
<tr><th>Tax id (纳税人识别号)</th><td>{{ f.buyer_tax_id or '' }}</td></tr>
<tr><th>On account (挂账)</th><td>{{ 'yes' if f.on_account else 'no' }}</td></tr></table>
<h2>Items</h2><table><tr><th>Item</th><th class="num">Amount</th></tr>
{% for l in f.lines %}<tr><td>{{ l.description }}</td><td class="num">{{ l.amount }}</td></tr>{% endfor %}</table>
<h2>Payments</h2><table><tr><th>When</th><th>Method</th><th class="num">Amount</th></tr>
{% for p in f.payments %}<tr><td>{{ p.received_at }}</td><td>{{ p.method }}</td><td class="num">{{ p.amount }}</td></tr>{% endfor %}</table>
<table><tr><th>Net (不含税)</th><td class="num">{{ f.net }}</td></tr>
<tr><th>VAT (税额) {{ (f.tax_rate * 100) | int }} %</th><td class="num">{{ f.tax }}</td></tr>
<tr><th>Total (价税合计)</th><td class="num">{{ f.amount }}</td></tr></table>""",
)

_REGISTER = _BASE.replace(
    "{% block body %}{% endblock %}",
    """<p>Station {{ station_id }} · month {{ month }} · {{ rows | length }} documents</p>
<table><tr><th>Document</th><th>No.</th><th>Signed</th><th>Location</th><th>Custodian</th><th>Hand-overs</th></tr>
{% for r in rows %}<tr><td>{{ r.title }}</td><td>{{ r.document_no }}</td><td>{{ r.signed_at }} {{ r.signed_by or '' }}</td>
<td>{{ r.location or '' }}</td><td>{{ r.custodian }}</td>
<td>{% for c in r.custody[1:] %}{{ c.handed_at }} {{ c.from_custodian }} → {{ c.to_custodian }}{% if c.location %} ({{ c.location }}){% endif %}<br>{% endfor %}</td></tr>{% endfor %}</table>""",
)


def _render(template: str, **context: Any) -> str:
    return _env.from_string(template).render(**context)


def check_in_sheet(c: CheckInPublic) -> str:
    return _render(_CHECK_IN, title="接车单 Check-in sheet", c=c)


def repair_order(o: RepairOrderPublic) -> str:
    return _render(_ORDER, title="任务委托书 Repair order", o=o)


def settlement(s: SettlementPublic) -> str:
    return _render(_SETTLEMENT, title="结算单 Settlement", s=s)


def diagnosis_report(d: DiagnosisPublic) -> str:
    return _render(_DIAGNOSIS, title="检测诊断单 Diagnosis report", d=d)


def fiscal_document(f: FiscalDocumentPublic) -> str:
    title = "发票 Invoice" if f.kind.value == "invoice" else "收据 Receipt"
    return _render(_FISCAL, title=title, f=f)


def archive_register(station_id: str, month: str, rows: list[ArchiveEntryPublic]) -> str:
    return _render(
        _REGISTER,
        title="签字单据归档登记表 Archive register",
        station_id=station_id,
        month=month,
        rows=rows,
    )
