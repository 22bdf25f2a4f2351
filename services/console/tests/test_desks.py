"""The new desks' pure parts, without a browser: KPI charts drawn to scale, the SSE framing,
damage marks from the form and back, and reception's history on the timeline."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from services.console.pages.check_in import mark_of_position, marks_of
from services.console.pages.dashboard import BAR_MAX_PX, kpi_charts
from services.console.pages.timeline import _sse, moments

WINDOW = ("2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00")


def charts_for(**answers: Any) -> dict[str, dict[str, Any]]:
    found = kpi_charts(
        ["bj01", "sh01"],
        workshop=answers.get("workshop", [None, None]),
        parts=answers.get("parts"),
        warranty=answers.get("warranty"),
        csi=answers.get("csi"),
        followups=answers.get("followups"),
        orders=answers.get("orders"),
        window=WINDOW,
    )
    return {chart["key"]: chart for chart in found}


def test_every_kpi_of_the_process_document_is_a_chart_with_a_bar_per_station() -> None:
    charts = charts_for()
    assert list(charts) == [
        "first_time_fix",
        "efficiency",
        "followup_72h",
        "csi",
        "fill_rate",
        "claim_rejection",
        "appointment_share",
        "on_time_delivery",
    ]
    for chart in charts.values():
        assert [bar["station"] for bar in chart["bars"]] == ["bj01", "sh01"]
        assert chart["has_data"] is False  # no answers: nothing made up


def test_rates_are_drawn_to_scale_and_a_missing_figure_is_a_dash() -> None:
    charts = charts_for(
        parts={"data": [{"station_id": "bj01", "fill_rate": "0.5"}]},
        csi={"data": [{"key": "bj01", "surveys": 1, "csi": "90.0"}]},
        workshop=[{"first_time_fix_rate": "1", "efficiency": "2.0", "on_time_rate": None}, None],
    )
    fill = charts["fill_rate"]["bars"]
    assert fill[0]["width"] == BAR_MAX_PX / 2 and fill[0]["text"] == "50.0%"
    assert fill[1]["value"] is None and fill[1]["text"] == "–"
    assert charts["csi"]["bars"][0]["text"] == "90.0"
    # efficiency is a ratio: the longest bar is the largest value, never past the axis
    assert charts["efficiency"]["bars"][0]["width"] == BAR_MAX_PX
    assert charts["on_time_delivery"]["bars"][0]["text"] == "–"


def test_the_appointment_share_counts_only_the_orders_opened_in_the_period() -> None:
    orders = {
        "data": [
            {"station_id": "bj01", "created_at": "2026-11-10T02:00:00Z", "appointment_id": "a"},
            {"station_id": "bj01", "created_at": "2026-11-11T02:00:00Z", "appointment_id": None},
            {"station_id": "bj01", "created_at": "2026-10-01T02:00:00Z", "appointment_id": "b"},
        ]
    }
    share = charts_for(orders=orders)["appointment_share"]["bars"]
    assert share[0]["value"] == 0.5
    assert share[1]["value"] is None


def test_a_server_sent_event_carries_multi_line_html_on_data_lines() -> None:
    framed = _sse("moment", "<li>\none</li>")
    assert framed == "event: moment\ndata: <li>\ndata: one</li>\n\n"


def test_damage_marks_come_from_the_form_in_order_and_their_position_comes_back() -> None:
    form = FormData(
        [
            ("marks.3.region", "bonnet"),
            ("marks.3.x", "70"),
            ("marks.3.y", "100"),
            ("marks.3.kind", "dent"),
            ("marks.0.region", "front-left-door"),
            ("marks.0.x", "130"),
            ("marks.0.y", "30"),
            ("marks.0.kind", "scratch"),
            ("marks.0.note", "10 cm"),
        ]
    )
    marks = marks_of(form)
    assert [m["region"] for m in marks] == ["front-left-door", "bonnet"]
    assert marks[0]["note"] == "10 cm" and marks[1]["note"] == ""
    assert mark_of_position("front-left-door@130,30") == {
        "region": "front-left-door",
        "x": "130",
        "y": "30",
    }
    assert mark_of_position("roof")["region"] == "roof"  # a mark recorded elsewhere


def test_the_timeline_adds_reception_history_without_repeating_the_order_fields() -> None:
    order = {"order_no": "RO-1", "created_at": "2026-11-30T01:00:00Z"}
    history = [
        {"at": "2026-11-30T01:00:00Z", "event": "created", "by": "advisor.bj01"},
        {"at": "2026-11-30T05:00:00Z", "event": "payment", "detail": "¥100 wechat"},
    ]
    found = moments(order, [], [], [], [], "en", "2026-12-01T00:00:00Z", history)
    texts = [m.text for m in found]
    assert len(texts) == 2
    assert texts[1] == "Payment: ¥100 wechat"
    assert len({m.key for m in found}) == 2


def test_a_cancelled_order_shows_its_cancellation_on_the_timeline_in_both_languages() -> None:
    order = {
        "order_no": "RO-2",
        "status": "cancelled",
        "created_at": "2026-11-30T01:00:00Z",
        "promised_at": "2026-12-02T09:00:00Z",
    }
    history = [
        {"at": "2026-11-30T01:00:00Z", "event": "created", "by": "advisor.bj01"},
        {
            "at": "2026-11-30T02:00:00Z",
            "event": "cancelled",
            "by": "advisor.bj01",
            "detail": "客户决定不修",
        },
    ]
    now = "2026-12-01T00:00:00Z"
    english = moments(order, [], [], [], [], "en", now, history)
    chinese = moments(order, [], [], [], [], "zh", now, history)
    assert "Order cancelled: 客户决定不修 (advisor.bj01)" in [m.text for m in english]
    assert "委托书取消: 客户决定不修 (advisor.bj01)" in [m.text for m in chinese]
    # the promised time of a cancelled order is no longer a plan
    assert not any(m.future for m in english)
