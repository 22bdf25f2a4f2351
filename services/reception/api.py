"""Reception's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import AwareDatetime

from services.reception import archive, diagnosis, documents, fiscal, pdf, service
from services.reception.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentMove,
    AppointmentPublic,
    AppointmentsPublic,
    AppointmentStatus,
    ApprovalLinkPublic,
    ArchiveEntryPublic,
    ArchivePublic,
    BoardPublic,
    CapacityPublic,
    CapacitySet,
    CheckInCreate,
    CheckInPublic,
    CustodyHandOver,
    CustomerFindingView,
    DamageMarkPublic,
    DeliveryCreate,
    DiagnosesPublic,
    DiagnosisCreate,
    DiagnosisFeeCharge,
    DiagnosisPaymentCreate,
    DiagnosisPublic,
    DiscountDecision,
    DiscountRequest,
    EstimateIn,
    EstimatePublic,
    FindingDecision,
    FindingPricing,
    FindingPublic,
    FindingsPublic,
    FindingStatus,
    FiscalDocumentPublic,
    FiscalDocumentRequest,
    FiscalDocumentsPublic,
    FiscalKind,
    LinkDecision,
    ManagerSignOff,
    OrderCancel,
    OrderChange,
    OrderDocumentsPublic,
    OrderHistoryPublic,
    OrderStatus,
    PaymentCreate,
    PriceListPublic,
    RepairOrderCreate,
    RepairOrderPublic,
    RepairOrdersPublic,
    SettlementPublic,
    StockLevelPublic,
    VehicleNoticesPublic,
    WaitTimesPublic,
)
from shared.app import Runtime, RuntimeDep
from shared.auth import MANAGERS, CurrentUser, Principal, Role, require_role
from shared.scoping import Limit, Offset

router = APIRouter(prefix="/repair-orders", tags=["repair orders"])
estimates = APIRouter(prefix="/estimates", tags=["estimates"])
check_ins = APIRouter(prefix="/check-ins", tags=["check-in"])
appointments = APIRouter(prefix="/appointments", tags=["appointments"])
capacity = APIRouter(prefix="/capacity", tags=["appointments"])
findings = APIRouter(prefix="/additional-work", tags=["additional work"])
approvals = APIRouter(prefix="/approvals", tags=["customer approval link (no account)"])
board = APIRouter(prefix="/board", tags=["advisor lists"])
vehicles = APIRouter(prefix="/vehicles", tags=["check-in"])
diagnoses = APIRouter(prefix="/diagnoses", tags=["diagnosis"])
invoices = APIRouter(prefix="/invoices", tags=["invoices and receipts"])
archives = APIRouter(prefix="/archive", tags=["archive of signed documents"])

advisor = require_role(Role.SERVICE_ADVISOR, *MANAGERS)
cashier = require_role(Role.CASHIER, *MANAGERS)
manager = require_role(*MANAGERS)
planner = require_role(Role.FOREMAN, *MANAGERS)
reader = require_role(Role.SERVICE_ADVISOR, Role.CASHIER, Role.FOREMAN, *MANAGERS)
archivist = require_role(Role.SERVICE_ADVISOR, Role.CASHIER, *MANAGERS)

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the printable document (PDF)"}
}


def photo_dir(runtime: Runtime) -> Path:
    return Path(runtime.settings.data_dir) / "reception-photos"


# --- estimates and repair orders --------------------------------------------------------


@estimates.get("/price-list", response_model=PriceListPublic)
async def price_list(
    user: Principal = Depends(reader), station_id: str | None = None
) -> PriceListPublic:
    """The labour-time price list (工时价目手册) at the station's labour rate, and the
    service packages (canned jobs) an estimate can name."""
    return service.price_list(user, station_id)


@estimates.get("/stock/{part_no}", response_model=StockLevelPublic)
async def part_availability(
    runtime: RuntimeDep,
    part_no: Annotated[str, PathParam(min_length=1, max_length=40)],
    user: Principal = Depends(reader),
    station_id: str | None = None,
) -> StockLevelPublic:
    """Live availability of a part at the station (available, on order, expected date, list
    price), as the parts service last reported it. 404 when it never reported the part."""
    async with runtime.db.read() as session:
        return await service.get_stock_level(session, user, part_no, station_id)


@estimates.post("", response_model=EstimatePublic, responses=PDF_RESPONSE)
async def price_estimate(
    runtime: RuntimeDep,
    data: EstimateIn,
    user: Principal = Depends(advisor),
    format: Literal["json", "pdf"] = "json",
) -> Any:
    """Price an estimate: labour from the labour-time price list at the station's rate,
    service packages, parts with live availability and the customer's choice, the estimate
    method's risk margin, taxes, totals per pay type and the promised completion time.
    Nothing is stored: the signed repair order carries the agreed estimate.
    ``?format=pdf`` answers the quotation (报价单) for the customer as PDF."""
    async with runtime.db.read() as session:
        priced = await service.estimate(session, user, data)
    if format == "json":
        return priced
    station = user.acting_station(data.station_id)
    now = service.utcnow()
    return Response(
        pdf.estimate_quotation(station, priced, now),
        media_type="application/pdf",
        headers=pdf.content_disposition("quotation", f"{now:%Y%m%d%H%M}"),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RepairOrderPublic)
async def create_repair_order(
    runtime: RuntimeDep, data: RepairOrderCreate, user: Principal = Depends(advisor)
) -> RepairOrderPublic:
    """Open the repair order the customer signed (category first, then the agreed estimate);
    announces ``order.created``. It cannot be changed afterwards except through additional
    work the customer approves."""
    async with runtime.unit_of_work() as uow:
        order = await service.create_order(uow, user, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order.id)


@router.get("", response_model=RepairOrdersPublic)
async def list_repair_orders(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: OrderStatus | None = None,
    vin: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> RepairOrdersPublic:
    async with runtime.db.read() as session:
        return await service.list_orders(
            session, user, status=status, vin=vin, offset=offset, limit=min(limit, 200)
        )


@router.get("/awaiting-sign-off", response_model=RepairOrdersPublic)
async def orders_awaiting_sign_off(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{2,20}$")] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> RepairOrdersPublic:
    """Flagged orders (over ¥10,000 or a VIP customer, process §4) the service manager has
    not signed off yet, per station: they get no exit pass and are not delivered until then."""
    async with runtime.db.read() as session:
        return await service.awaiting_sign_off_list(
            session, user, station_id, offset=offset, limit=min(limit, 200)
        )


@router.get("/{order_id}", response_model=RepairOrderPublic)
async def get_repair_order(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> RepairOrderPublic:
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@router.patch("/{order_id}", response_model=RepairOrderPublic)
async def change_repair_order(
    runtime: RuntimeDep, order_id: uuid.UUID, data: OrderChange, user: Principal = Depends(advisor)
) -> RepairOrderPublic:
    """Record a delay (later promised time + the reason the customer was told), the
    workshop's progress confirmation or the ready notice. Send the ``version`` you read: a
    stale one answers 409. Lines cannot be changed here."""
    async with runtime.unit_of_work() as uow:
        await service.change_order(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@router.post("/{order_id}/manager-sign-off", response_model=RepairOrderPublic)
async def manager_sign_off(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: ManagerSignOff,
    user: Principal = Depends(manager),
) -> RepairOrderPublic:
    """The service manager signs off a flagged order (over ¥10,000 or a VIP customer): who,
    when and a note. Until then the order gets no exit pass and delivery answers 409; an order
    already settled in full gets its exit pass now. Not flagged / already signed off /
    cancelled or delivered: 409. Send the ``version`` you read."""
    async with runtime.unit_of_work() as uow:
        await service.sign_off(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@router.post("/{order_id}/cancellation", response_model=RepairOrderPublic)
async def cancel_repair_order(
    runtime: RuntimeDep, order_id: uuid.UUID, data: OrderCancel, user: Principal = Depends(advisor)
) -> RepairOrderPublic:
    """Cancel an order whose car the workshop has not completed, with the reason; announces
    ``order.cancelled`` (the workshop stops its jobs, parts release reservations). Once the car
    is completed, settled or delivered: 409. Send the ``version`` you read."""
    async with runtime.unit_of_work() as uow:
        await service.cancel_order(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@router.get("/{order_id}/history", response_model=OrderHistoryPublic)
async def repair_order_history(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> OrderHistoryPublic:
    """What happened to the order, oldest first: signed, additional work found / approved /
    declined, progress confirmed, ready notice, completed, payments, exit pass, delivered or
    cancelled (with reason)."""
    async with runtime.db.read() as session:
        return await service.order_history(session, user, order_id)


@router.get("/{order_id}/document", response_class=HTMLResponse)
async def repair_order_document(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> HTMLResponse:
    """The printable repair order (任务委托书), HTML."""
    async with runtime.db.read() as session:
        return HTMLResponse(
            documents.repair_order(await service.get_order(session, user, order_id))
        )


@router.get("/{order_id}/documents/{kind}.pdf", response_class=Response, responses=PDF_RESPONSE)
async def order_document_pdf(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    kind: Literal[
        "quotation",
        "repair-order",
        "recommended-work",
        "settlement",
        "exit-pass",
        "quality-guarantee",
        "delivery-acceptance",
    ],
    user: Principal = Depends(reader),
) -> Response:
    """The order's printed documents (PDF, Chinese + English labels): quotation (报价单),
    repair order (任务委托书), recommended work the customer declined (建议项目表),
    settlement (结算单, once the workshop completed the car), exit pass (出厂通知单, once
    settled), quality guarantee (质量保证书, once completed) and delivery acceptance
    (交车确认单, once delivered). 409 when not yet due."""
    async with runtime.db.read() as session:
        content, number = await service.order_pdf(session, user, order_id, kind)
    return Response(
        content, media_type="application/pdf", headers=pdf.content_disposition(kind, number)
    )


@router.get("/{order_id}/documents", response_model=OrderDocumentsPublic)
async def list_order_documents(
    runtime: RuntimeDep, order_id: uuid.UUID, user: Principal = Depends(reader)
) -> OrderDocumentsPublic:
    """The order's documents: each printable one (or why not yet) with its PDF link, and the
    invoices and receipts issued for it."""
    async with runtime.db.read() as session:
        return await service.order_documents(session, user, order_id)


@router.post(
    "/{order_id}/invoices",
    response_model=FiscalDocumentPublic,
    status_code=status.HTTP_201_CREATED,
)
async def issue_order_invoice(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: FiscalDocumentRequest,
    user: Principal = Depends(cashier),
) -> FiscalDocumentPublic:
    """The cashier issues the invoice (发票) or receipt (收据) for the order's payments not
    yet on one (numbered per station, kind and year without gaps; VAT split). A company
    invoice needs the buyer's tax id. ``on_account`` invoices the amounts booked on account
    to the fleet / insurer (a company invoice). Nothing left to document: 409."""
    async with runtime.unit_of_work() as uow:
        document_id = await service.issue_document_for_order(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await fiscal.get_document(session, user, document_id)


@router.get("/{order_id}/settlement", response_model=SettlementPublic)
async def get_settlement(
    runtime: RuntimeDep, order_id: uuid.UUID, user: Principal = Depends(reader)
) -> SettlementPublic:
    """The settlement drawn up when the workshop completed the car: lines actually done,
    free items at zero, differences to the estimate explained, discount, payments."""
    async with runtime.db.read() as session:
        return await service.get_settlement(session, user, order_id)


@router.get("/{order_id}/settlement/document", response_class=HTMLResponse)
async def settlement_document(
    runtime: RuntimeDep, order_id: uuid.UUID, user: Principal = Depends(reader)
) -> HTMLResponse:
    """The printable settlement (结算单) with the exit pass number once settled, HTML."""
    async with runtime.db.read() as session:
        return HTMLResponse(
            documents.settlement(await service.get_settlement(session, user, order_id))
        )


@router.post("/{order_id}/settlement/discount", response_model=SettlementPublic)
async def request_discount(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: DiscountRequest,
    user: Principal = Depends(advisor),
) -> SettlementPublic:
    """A discount up to the advisor's allowance (5 % of the customer's share) is granted;
    above it it waits for the service supervisor (``discount_status: pending_manager``)."""
    async with runtime.unit_of_work() as uow:
        await service.request_discount(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_settlement(session, user, order_id)


@router.post("/{order_id}/settlement/discount/decision", response_model=SettlementPublic)
async def decide_discount(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: DiscountDecision,
    user: Principal = Depends(manager),
) -> SettlementPublic:
    """The service supervisor approves or refuses a discount above the advisor's allowance."""
    async with runtime.unit_of_work() as uow:
        await service.decide_discount(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_settlement(session, user, order_id)


@router.post(
    "/{order_id}/payments", response_model=SettlementPublic, status_code=status.HTTP_201_CREATED
)
async def take_payment(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: PaymentCreate,
    user: Principal = Depends(cashier),
) -> SettlementPublic:
    """The cashier records a payment (partial payments allowed) or books it on account
    (fleet, insurance); at a zero balance the exit pass is issued (for a flagged order once
    the service manager signed it off). With ``document`` the invoice or receipt for the
    payments not yet documented is issued at once (see ``POST .../invoices``)."""
    async with runtime.unit_of_work() as uow:
        await service.take_payment(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_settlement(session, user, order_id)


@router.post("/{order_id}/delivery", response_model=RepairOrderPublic)
async def deliver_vehicle(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: DeliveryCreate,
    user: Principal = Depends(advisor),
) -> RepairOrderPublic:
    """Hand the car to the customer once settled (exit pass issued), signed off by the
    service manager if flagged (else 409 naming ``manager_sign_off``) and accepted: the
    customer checked belongings and bodywork against the check-in sheet and signed
    (``signature``); the advisor's checklist (covers removed, work explained, documents and
    keys handed back, next service told, next booking suggested or ``next_appointment_id``,
    follow-up call announced) is recorded. ``false`` for a check or for documents / keys
    handed back: 422 naming it. Announces ``vehicle.delivered`` with the next service date and
    mileage (CRM follows up)."""
    async with runtime.unit_of_work() as uow:
        await service.deliver(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


# --- check-in ---------------------------------------------------------------------------


@check_ins.post("", status_code=status.HTTP_201_CREATED, response_model=CheckInPublic)
async def create_check_in(
    runtime: RuntimeDep, data: CheckInCreate, user: Principal = Depends(advisor)
) -> CheckInPublic:
    """The signed check-in sheet (接车单): mileage (never below the last known without a
    correction note), fuel, VIN (checked), damage marks, belongings, documents, key tag."""
    async with runtime.unit_of_work() as uow:
        check_in = await service.create_check_in(uow, user, data)
    async with runtime.db.read() as session:
        return await service.get_check_in(session, user, check_in.id)


@check_ins.get("/wait-times", response_model=WaitTimesPublic)
async def wait_times(
    runtime: RuntimeDep, user: Principal = Depends(reader), day: date | None = None
) -> WaitTimesPublic:
    """Reception wait per station (arrival to check-in start) on a station-local day, and
    how many customers were not greeted within a minute."""
    async with runtime.db.read() as session:
        return await service.wait_times(
            session, user, day or service.utcnow().astimezone(service.STATION_TZ).date()
        )


@check_ins.get("/{check_in_id}", response_model=CheckInPublic)
async def get_check_in(
    runtime: RuntimeDep, check_in_id: uuid.UUID, user: Principal = Depends(reader)
) -> CheckInPublic:
    async with runtime.db.read() as session:
        return await service.get_check_in(session, user, check_in_id)


@check_ins.get("/{check_in_id}/document", response_class=HTMLResponse)
async def check_in_document(
    runtime: RuntimeDep, check_in_id: uuid.UUID, user: Principal = Depends(reader)
) -> HTMLResponse:
    """The printable check-in sheet, HTML (one copy is the customer's)."""
    async with runtime.db.read() as session:
        return HTMLResponse(
            documents.check_in_sheet(await service.get_check_in(session, user, check_in_id))
        )


@check_ins.get(
    "/{check_in_id}/documents/check-in-sheet.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
)
async def check_in_sheet_pdf(
    runtime: RuntimeDep, check_in_id: uuid.UUID, user: Principal = Depends(reader)
) -> Response:
    """The check-in sheet (接车单) as PDF: belongings, damage marks, recalls and due
    maintenance recommended, the customer's signature."""
    async with runtime.db.read() as session:
        sheet = await service.get_check_in(session, user, check_in_id)
    return Response(
        pdf.check_in_sheet(sheet),
        media_type="application/pdf",
        headers=pdf.content_disposition("check-in-sheet", str(sheet.id)[:8]),
    )


@check_ins.post(
    "/{check_in_id}/damage-marks/{mark_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=DamageMarkPublic,
)
async def add_damage_photo(
    runtime: RuntimeDep,
    check_in_id: uuid.UUID,
    mark_id: uuid.UUID,
    file: UploadFile,
    user: Principal = Depends(advisor),
) -> DamageMarkPublic:
    """Attach a photo (JPEG/PNG/WebP, ≤ 10 MB) to a damage mark; stored under DATA_DIR."""
    content = await file.read()
    async with runtime.unit_of_work() as uow:
        mark = await service.add_damage_photo(
            uow,
            user,
            check_in_id,
            mark_id,
            content_type=file.content_type or "",
            content=content,
            photo_dir=photo_dir(runtime),
        )
        public = DamageMarkPublic.model_validate(mark.model_dump())
    return public


@check_ins.get("/{check_in_id}/photos/{name}", response_class=FileResponse)
async def get_damage_photo(
    runtime: RuntimeDep, check_in_id: uuid.UUID, name: str, user: Principal = Depends(reader)
) -> FileResponse:
    async with runtime.db.read() as session:
        path = await service.photo_path(session, user, check_in_id, name, photo_dir(runtime))
    return FileResponse(path)


@vehicles.get("/{vin}/notices", response_model=VehicleNoticesPublic)
async def vehicle_notices(
    runtime: RuntimeDep,
    vin: Annotated[str, PathParam(min_length=17, max_length=17)],
    user: Principal = Depends(reader),
) -> VehicleNoticesPublic:
    """What to recommend at check-in: open recalls / service campaigns for the VIN (closed by
    an order line with the campaign's code) and the due maintenance CRM reported."""
    async with runtime.db.read() as session:
        return await service.vehicle_notices(session, user, vin)


# --- appointments -----------------------------------------------------------------------


@appointments.post("", status_code=status.HTTP_201_CREATED, response_model=AppointmentPublic)
async def book_appointment(
    runtime: RuntimeDep, data: AppointmentCreate, user: Principal = Depends(advisor)
) -> AppointmentPublic:
    """Book an appointment. A full slot answers 409 naming the next free slots; expensive
    parts ordered need a deposit of at least half their price; announces
    ``appointment.booked`` and ``appointment.reminder_due`` (now if the reminder window is
    open, else when it opens)."""
    async with runtime.unit_of_work() as uow:
        appointment = await service.book_appointment(uow, user, data)
    async with runtime.db.read() as session:
        return await service.get_appointment(session, user, appointment.id)


@appointments.get("", response_model=AppointmentsPublic)
async def list_appointments(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    day: date | None = None,
    status: AppointmentStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> AppointmentsPublic:
    """The appointment register (预约登记表), by station-local day."""
    async with runtime.db.read() as session:
        return await service.list_appointments(
            session, user, day=day, status=status, offset=offset, limit=min(limit, 200)
        )


@appointments.get("/register.pdf", response_class=Response, responses=PDF_RESPONSE)
async def appointment_register_pdf(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    day: date | None = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{2,20}$")] = None,
) -> Response:
    """The appointment register (预约登记表) of a station-local day (today by default) as PDF."""
    station = user.acting_station(station_id)
    when = day or service.utcnow().astimezone(service.STATION_TZ).date()
    async with runtime.db.read() as session:
        rows = await service.appointment_register(session, user, station, when)
    return Response(
        pdf.appointment_register(station, when, rows),
        media_type="application/pdf",
        headers=pdf.content_disposition("appointment-register", when.isoformat()),
    )


@appointments.get("/{appointment_id}", response_model=AppointmentPublic)
async def get_appointment(
    runtime: RuntimeDep, appointment_id: uuid.UUID, user: Principal = Depends(reader)
) -> AppointmentPublic:
    async with runtime.db.read() as session:
        return await service.get_appointment(session, user, appointment_id)


@appointments.get(
    "/{appointment_id}/documents/appointment-slip.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
)
async def appointment_slip_pdf(
    runtime: RuntimeDep, appointment_id: uuid.UUID, user: Principal = Depends(reader)
) -> Response:
    """The appointment slip (预约单) as PDF: time, requested work, parts ordered, deposit."""
    async with runtime.db.read() as session:
        appointment = await service.get_appointment(session, user, appointment_id)
    return Response(
        pdf.appointment_slip(appointment),
        media_type="application/pdf",
        headers=pdf.content_disposition("appointment-slip", str(appointment.id)[:8]),
    )


@appointments.post("/{appointment_id}/move", response_model=AppointmentPublic)
async def move_appointment(
    runtime: RuntimeDep,
    appointment_id: uuid.UUID,
    data: AppointmentMove,
    user: Principal = Depends(advisor),
) -> AppointmentPublic:
    """Move to another time (same capacity rule; send the ``version`` you read)."""
    async with runtime.unit_of_work() as uow:
        await service.move_appointment(uow, user, appointment_id, data)
    async with runtime.db.read() as session:
        return await service.get_appointment(session, user, appointment_id)


@appointments.post("/{appointment_id}/cancellation", response_model=AppointmentPublic)
async def cancel_appointment(
    runtime: RuntimeDep,
    appointment_id: uuid.UUID,
    data: AppointmentCancel,
    user: Principal = Depends(advisor),
) -> AppointmentPublic:
    """Cancel; recorded and announced (``appointment.cancelled``)."""
    async with runtime.unit_of_work() as uow:
        await service.end_appointment(uow, user, appointment_id, data, no_show=False)
    async with runtime.db.read() as session:
        return await service.get_appointment(session, user, appointment_id)


@appointments.post("/{appointment_id}/no-show", response_model=AppointmentPublic)
async def record_no_show(
    runtime: RuntimeDep,
    appointment_id: uuid.UUID,
    data: AppointmentCancel,
    user: Principal = Depends(advisor),
) -> AppointmentPublic:
    """The customer did not come: recorded after the appointment time (``no_show: true``)."""
    async with runtime.unit_of_work() as uow:
        await service.end_appointment(uow, user, appointment_id, data, no_show=True)
    async with runtime.db.read() as session:
        return await service.get_appointment(session, user, appointment_id)


@capacity.put("/{station_id}/{slot_start}", response_model=CapacityPublic)
async def set_capacity(
    runtime: RuntimeDep,
    station_id: Annotated[str, PathParam(pattern=r"^[a-z0-9]{2,20}$")],
    slot_start: AwareDatetime,
    data: CapacitySet,
    user: Principal = Depends(planner),
) -> CapacityPublic:
    """Set the technician hours (and bays) a station sells in one whole-hour slot (UTC)."""
    async with runtime.unit_of_work() as uow:
        return await service.set_capacity(uow, user, station_id, slot_start, data)


# --- additional work --------------------------------------------------------------------


@findings.get("", response_model=FindingsPublic)
async def list_findings(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    order_id: uuid.UUID | None = None,
    status: FindingStatus | None = None,
) -> FindingsPublic:
    """Additional findings from the workshop (``work.additional_found``)."""
    async with runtime.db.read() as session:
        return await service.list_findings(session, user, order_id=order_id, status=status)


@findings.get("/{finding_id}", response_model=FindingPublic)
async def get_finding(
    runtime: RuntimeDep, finding_id: uuid.UUID, user: Principal = Depends(reader)
) -> FindingPublic:
    async with runtime.db.read() as session:
        return await service.get_finding(session, user, finding_id)


@findings.post("/{finding_id}/pricing", response_model=FindingPublic)
async def price_finding(
    runtime: RuntimeDep,
    finding_id: uuid.UUID,
    data: FindingPricing,
    user: Principal = Depends(advisor),
) -> FindingPublic:
    """Price the finding (price list, station rate) before telling the customer."""
    async with runtime.unit_of_work() as uow:
        await service.price_finding(uow, user, finding_id, data)
    async with runtime.db.read() as session:
        return await service.get_finding(session, user, finding_id)


@findings.post("/{finding_id}/decision", response_model=FindingPublic)
async def record_decision(
    runtime: RuntimeDep,
    finding_id: uuid.UUID,
    data: FindingDecision,
    user: Principal = Depends(advisor),
) -> FindingPublic:
    """The customer's answer on the phone: approve adds the lines to the order
    (``work.additional_approved``); decline is recorded with who told whom and when
    (``work.additional_declined``, kept as declined work for CRM)."""
    async with runtime.unit_of_work() as uow:
        await service.record_decision(uow, user, finding_id, data)
    async with runtime.db.read() as session:
        return await service.get_finding(session, user, finding_id)


@findings.post(
    "/{finding_id}/approval-link",
    response_model=ApprovalLinkPublic,
    status_code=status.HTTP_201_CREATED,
)
async def create_approval_link(
    runtime: RuntimeDep, finding_id: uuid.UUID, user: Principal = Depends(advisor)
) -> ApprovalLinkPublic:
    """A link the customer opens without an account; it expires (4 h) and works once."""
    async with runtime.unit_of_work() as uow:
        return await service.approval_link(uow, user, finding_id)


@approvals.get("/{token}", response_model=CustomerFindingView)
async def open_approval(runtime: RuntimeDep, token: str) -> CustomerFindingView:
    """What the customer sees: the finding, its price and the delay. 410 when expired or used."""
    async with runtime.db.read() as session:
        return await service.customer_view(session, token)


@approvals.post("/{token}", response_model=CustomerFindingView)
async def answer_approval(
    runtime: RuntimeDep, token: str, data: LinkDecision
) -> CustomerFindingView:
    """The customer approves or declines through the link (no account needed)."""
    async with runtime.unit_of_work() as uow:
        finding = await service.decide_by_link(uow, token, data.approved)
        order = await uow.session.get(service.RepairOrder, finding.order_id)
        assert order is not None and finding.link_expires_at is not None
        view = CustomerFindingView(
            order_no=order.order_no,
            vehicle=order.plate or order.vin,
            description=finding.description,
            safety_relevant=finding.safety_relevant,
            lines=[],
            price=finding.price or 0,
            delay_minutes=finding.estimated_delay_minutes,
            status=finding.status,
            expires_at=finding.link_expires_at,
        )
    return view


# --- the advisor's lists ----------------------------------------------------------------


@board.get("/{which}", response_model=BoardPublic)
async def advisor_list(
    runtime: RuntimeDep,
    which: Literal[
        "arrivals", "in-workshop", "progress-checks", "ready-notices", "ready-for-pickup"
    ],
    user: Principal = Depends(reader),
) -> BoardPublic:
    """Today's arrivals; cars in the workshop with promised time and late risk; progress
    checks due (70–80 % of the estimated duration passed); ready notices due (1 h before
    pickup, 4 h for jobs of two days or more); cars ready for pickup."""
    async with runtime.db.read() as session:
        return await service.board(session, user, which)


# --- diagnosis report and fee (process §3) ----------------------------------------------


@diagnoses.post("", status_code=status.HTTP_201_CREATED, response_model=DiagnosisPublic)
async def record_diagnosis(
    runtime: RuntimeDep, data: DiagnosisCreate, user: Principal = Depends(advisor)
) -> DiagnosisPublic:
    """The diagnosis report (诊断书 / 检测诊断单) of a visit: the technician's findings,
    fault codes, road test and the work recommended, for the check-in sheet, the order, or a
    customer and vehicle at the desk."""
    async with runtime.unit_of_work() as uow:
        row = await diagnosis.create(uow, user, data)
    async with runtime.db.read() as session:
        return await diagnosis.get(session, user, row.id)


@diagnoses.get("", response_model=DiagnosesPublic)
async def list_diagnoses(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    vin: Annotated[str | None, Query(min_length=17, max_length=17)] = None,
    check_in_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> DiagnosesPublic:
    async with runtime.db.read() as session:
        return await diagnosis.list_(
            session,
            user,
            vin=vin,
            check_in_id=check_in_id,
            order_id=order_id,
            offset=offset,
            limit=min(limit, 200),
        )


@diagnoses.get("/{diagnosis_id}", response_model=DiagnosisPublic)
async def get_diagnosis(
    runtime: RuntimeDep, diagnosis_id: uuid.UUID, user: Principal = Depends(reader)
) -> DiagnosisPublic:
    async with runtime.db.read() as session:
        return await diagnosis.get(session, user, diagnosis_id)


@diagnoses.get("/{diagnosis_id}/document", response_class=HTMLResponse)
async def diagnosis_document(
    runtime: RuntimeDep, diagnosis_id: uuid.UUID, user: Principal = Depends(reader)
) -> HTMLResponse:
    """The printable diagnosis report (检测诊断单), HTML."""
    async with runtime.db.read() as session:
        return HTMLResponse(
            documents.diagnosis_report(await diagnosis.get(session, user, diagnosis_id))
        )


@diagnoses.get(
    "/{diagnosis_id}/documents/diagnosis-report.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
)
async def diagnosis_report_pdf(
    runtime: RuntimeDep, diagnosis_id: uuid.UUID, user: Principal = Depends(reader)
) -> Response:
    """The diagnosis report (诊断书 / 检测诊断单) as PDF, for the customer."""
    async with runtime.db.read() as session:
        report = await diagnosis.get(session, user, diagnosis_id)
    return Response(
        pdf.diagnosis_report(report),
        media_type="application/pdf",
        headers=pdf.content_disposition("diagnosis-report", report.diagnosis_no),
    )


@diagnoses.post("/{diagnosis_id}/fee", response_model=DiagnosisPublic)
async def charge_diagnosis_fee(
    runtime: RuntimeDep,
    diagnosis_id: uuid.UUID,
    data: DiagnosisFeeCharge,
    user: Principal = Depends(advisor),
) -> DiagnosisPublic:
    """The customer leaves without a repair order: a diagnosis or estimate fee is charged.
    409 while an order of the visit stands (the diagnosis is part of it) or once payment of
    the fee has started."""
    async with runtime.unit_of_work() as uow:
        await diagnosis.charge_fee(uow, user, diagnosis_id, data)
    async with runtime.db.read() as session:
        return await diagnosis.get(session, user, diagnosis_id)


@diagnoses.post(
    "/{diagnosis_id}/fee/payments",
    response_model=DiagnosisPublic,
    status_code=status.HTTP_201_CREATED,
)
async def pay_diagnosis_fee(
    runtime: RuntimeDep,
    diagnosis_id: uuid.UUID,
    data: DiagnosisPaymentCreate,
    user: Principal = Depends(cashier),
) -> DiagnosisPublic:
    """The cashier takes the fee (partial payments, on account), as for an order; with
    ``document`` the invoice or receipt is issued at once. No fee charged: 409."""
    async with runtime.unit_of_work() as uow:
        await diagnosis.take_payment(uow, user, diagnosis_id, data)
    async with runtime.db.read() as session:
        return await diagnosis.get(session, user, diagnosis_id)


@diagnoses.post(
    "/{diagnosis_id}/invoices",
    response_model=FiscalDocumentPublic,
    status_code=status.HTTP_201_CREATED,
)
async def issue_diagnosis_invoice(
    runtime: RuntimeDep,
    diagnosis_id: uuid.UUID,
    data: FiscalDocumentRequest,
    user: Principal = Depends(cashier),
) -> FiscalDocumentPublic:
    """The invoice or receipt for the fee payments not yet documented."""
    async with runtime.unit_of_work() as uow:
        document_id = await diagnosis.issue_document(uow, user, diagnosis_id, data)
    async with runtime.db.read() as session:
        return await fiscal.get_document(session, user, document_id)


# --- invoices and receipts (process §7) -------------------------------------------------


@invoices.get("", response_model=FiscalDocumentsPublic)
async def list_invoices(
    runtime: RuntimeDep,
    user: Principal = Depends(reader),
    order_id: uuid.UUID | None = None,
    diagnosis_id: uuid.UUID | None = None,
    kind: FiscalKind | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2999)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> FiscalDocumentsPublic:
    """The invoice and receipt books per station, in number order."""
    async with runtime.db.read() as session:
        return await fiscal.list_documents(
            session,
            user,
            order_id=order_id,
            diagnosis_id=diagnosis_id,
            kind=kind,
            year=year,
            offset=offset,
            limit=min(limit, 200),
        )


@invoices.get("/{invoice_id}", response_model=FiscalDocumentPublic)
async def get_invoice(
    runtime: RuntimeDep, invoice_id: uuid.UUID, user: Principal = Depends(reader)
) -> FiscalDocumentPublic:
    async with runtime.db.read() as session:
        return await fiscal.get_document(session, user, invoice_id)


@invoices.get("/{invoice_id}/document", response_class=HTMLResponse)
async def invoice_document(
    runtime: RuntimeDep, invoice_id: uuid.UUID, user: Principal = Depends(reader)
) -> HTMLResponse:
    """The printable invoice (发票) or receipt (收据), HTML."""
    async with runtime.db.read() as session:
        return HTMLResponse(
            documents.fiscal_document(await fiscal.get_document(session, user, invoice_id))
        )


@invoices.get("/{invoice_id}/document.pdf", response_class=Response, responses=PDF_RESPONSE)
async def invoice_pdf(
    runtime: RuntimeDep, invoice_id: uuid.UUID, user: Principal = Depends(reader)
) -> Response:
    """The invoice (发票) or receipt (收据) as PDF: buyer, items, payments, net, VAT, total."""
    async with runtime.db.read() as session:
        document = await fiscal.get_document(session, user, invoice_id)
    return Response(
        pdf.fiscal_document(document),
        media_type="application/pdf",
        headers=pdf.content_disposition(document.kind.value, document.document_no),
    )


# --- archive of signed documents --------------------------------------------------------


@archives.get("", response_model=ArchivePublic)
async def archive_month(
    runtime: RuntimeDep,
    user: Principal = Depends(archivist),
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, examples=["2026-12"])] = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{2,20}$")] = None,
    kind: archive.ArchivedKind | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 200,
) -> ArchivePublic:
    """A month's archive of signed documents (this month by default), per station: check-in
    sheets, repair orders, recommended-work sheets, settlements, exit passes, invoices and
    receipts, delivery acceptances, each with where it is kept, its custodian and hand-overs."""
    async with runtime.db.read() as session:
        return await archive.list_month(
            session,
            user,
            month or archive.current_month(),
            station_id=station_id,
            kind=kind,
            order_id=order_id,
            offset=offset,
            limit=min(limit, 200),
        )


@archives.get("/register", response_class=HTMLResponse)
async def archive_register(
    runtime: RuntimeDep,
    user: Principal = Depends(archivist),
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{2,20}$")] = None,
) -> HTMLResponse:
    """The month's archive register of one station (签字单据归档登记表), HTML."""
    station = user.acting_station(station_id)
    when = month or archive.current_month()
    async with runtime.db.read() as session:
        rows = await archive.list_month(session, user, when, station_id=station)
    return HTMLResponse(documents.archive_register(station, when, rows.data))


@archives.get("/register.pdf", response_class=Response, responses=PDF_RESPONSE)
async def archive_register_pdf(
    runtime: RuntimeDep,
    user: Principal = Depends(archivist),
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    station_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{2,20}$")] = None,
) -> Response:
    """The month's archive register of one station as PDF."""
    station = user.acting_station(station_id)
    when = month or archive.current_month()
    async with runtime.db.read() as session:
        rows = await archive.list_month(session, user, when, station_id=station)
    return Response(
        pdf.archive_register(station, when, rows.data),
        media_type="application/pdf",
        headers=pdf.content_disposition("archive-register", f"{station}-{when}"),
    )


@archives.get("/{entry_id}", response_model=ArchiveEntryPublic)
async def get_archive_entry(
    runtime: RuntimeDep, entry_id: uuid.UUID, user: Principal = Depends(archivist)
) -> ArchiveEntryPublic:
    async with runtime.db.read() as session:
        return await archive.get_entry(session, user, entry_id)


@archives.post("/{entry_id}/custody", response_model=ArchiveEntryPublic)
async def hand_over_custody(
    runtime: RuntimeDep,
    entry_id: uuid.UUID,
    data: CustodyHandOver,
    user: Principal = Depends(archivist),
) -> ArchiveEntryPublic:
    """Record that a signed document changed hands or place (custodian, box / shelf, time).
    Not before its signature or its last hand-over, not in the future; a stale ``version``
    is a 409."""
    async with runtime.unit_of_work() as uow:
        await archive.hand_over(uow, user, entry_id, data)
    async with runtime.db.read() as session:
        return await archive.get_entry(session, user, entry_id)


routers = [
    router,
    diagnoses,
    invoices,
    archives,
    estimates,
    check_ins,
    vehicles,
    appointments,
    capacity,
    findings,
    approvals,
    board,
]
