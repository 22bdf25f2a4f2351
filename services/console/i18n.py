"""Chinese and English labels (Chinese first: the users are Chinese dealers).

Every label has both languages; ``tests/test_i18n.py`` checks that, and that every key a
template asks for exists. Status, role and category values are labelled as
``<group>.<value>`` (``order_status.open``), so a new value needs only a new line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEFAULT_LANGUAGE = "zh"

#: key -> (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    # --- frame -----------------------------------------------------------------------
    "app.title": ("售后服务工作台", "After-sales console"),
    "nav.skip": ("跳到正文", "Skip to content"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    "nav.sign_out": ("退出", "Sign out"),
    "nav.station": ("服务站", "Station"),
    "nav.all_stations": ("全部服务站", "All stations"),
    "nav.switch": ("切换", "Switch"),
    "nav.language": ("语言", "Language"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "common.refresh": ("刷新", "Refresh"),
    "common.search": ("查询", "Search"),
    "common.back": ("返回", "Back"),
    "common.none": ("无", "None"),
    "common.open": ("打开", "Open"),
    "common.details": ("详情", "Details"),
    "common.all": ("全部", "All"),
    "common.total": ("合计", "Total"),
    "common.station": ("服务站", "Station"),
    "common.status": ("状态", "Status"),
    "common.created_at": ("创建时间", "Created"),
    "common.save": ("保存", "Save"),
    "common.count": ("共 {count} 条", "{count} records"),
    "common.empty": ("暂无记录", "Nothing here yet"),
    "common.unavailable": (
        "{service} 暂时无法访问，请稍后刷新",
        "{service} is not answering; refresh in a moment",
    ),
    "common.not_for_role": ("您的角色无权查看此项", "Your role may not see this"),
    "common.required": ("必填", "required"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.hours": ("小时", "h"),
    "common.timeline": ("订单时间线", "Order timeline"),
    # --- sign-in -----------------------------------------------------------------------
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Unknown user or wrong password"),
    "login.demo_hint": (
        "演示账号：advisor.bj01、foreman.bj01、tech.bj01、parts.bj01、warranty.bj01、crm.bj01、"
        "group.manager 等，密码 demo",
        "Demo users: advisor.bj01, foreman.bj01, tech.bj01, parts.bj01, warranty.bj01, "
        "crm.bj01, group.manager …, password demo",
    ),
    "flash.signed_out": ("您已退出", "You are signed out"),
    "flash.session_expired": ("登录已过期，请重新登录", "Your session expired; sign in again"),
    "flash.delivered": ("车辆已交付客户", "The car was handed over"),
    "flash.paid": ("已收款", "Payment recorded"),
    "flash.inspected": ("质检结果已记录", "Inspection recorded"),
    "flash.call_recorded": ("回访结果已记录", "Call logged"),
    "flash.job_completed": ("作业已完工", "Job completed"),
    "flash.job_dispatched": ("已派工", "Job dispatched"),
    "flash.clocked_on": ("已开工", "Clocked on"),
    "flash.clocked_off": ("已暂停", "Paused"),
    "flash.station_switched": ("已切换服务站", "Station switched"),
    "error.title": ("出错了", "Something went wrong"),
    "error.csrf": (
        "表单已过期，请返回刷新页面后重试",
        "This form has expired; go back, reload the page and try again",
    ),
    "error.not_found": (
        "未找到该记录，或它属于您无权查看的服务站",
        "Not found, or it belongs to a station you may not see",
    ),
    "error.forbidden": ("您的角色不能使用此页面", "Your role may not use this page"),
    "error.fix_fields": ("请更正标出的字段", "Please correct the marked fields"),
    "error.home": ("回到首页", "Back to my desk"),
    # --- desks -------------------------------------------------------------------------
    "desk.advisor": ("服务顾问台", "Advisor desk"),
    "desk.workshop": ("车间看板", "Workshop board"),
    "desk.technician": ("技师终端", "Technician"),
    "desk.parts": ("配件柜台", "Parts counter"),
    "desk.warranty": ("索赔台", "Warranty desk"),
    "desk.crm": ("回访队列", "CRM queue"),
    "desk.customers": ("客户档案", "Customer files"),
    "home.title": ("我的工作台", "My desks"),
    "home.nothing": (
        "您的角色在控制台中还没有工作台",
        "Your role has no desk in the console yet",
    ),
    # --- roles -------------------------------------------------------------------------
    "role.service_advisor": ("服务顾问", "Service advisor"),
    "role.cashier": ("收银员", "Cashier"),
    "role.foreman": ("车间主管", "Foreman"),
    "role.technician": ("技师", "Technician"),
    "role.inspector": ("质检员", "Inspector"),
    "role.parts_clerk": ("配件专员", "Parts clerk"),
    "role.warranty_admin": ("索赔专员", "Warranty administrator"),
    "role.crm_agent": ("回访专员", "CRM agent"),
    "role.service_manager": ("站长", "Service manager"),
    "role.group_manager": ("集团经理", "Group manager"),
    "role.operator": ("运维", "Operator"),
    # --- repair orders -----------------------------------------------------------------
    "orders.title": ("维修委托书", "Repair orders"),
    "orders.new": ("新建委托书", "New repair order"),
    "orders.order_no": ("委托书号", "Order no."),
    "orders.customer": ("客户", "Customer"),
    "orders.vehicle": ("车辆", "Vehicle"),
    "orders.plate": ("车牌", "Plate"),
    "orders.vin": ("VIN 车架号", "VIN"),
    "orders.mileage": ("公里数", "Mileage (km)"),
    "orders.complaint": ("客户描述", "Complaint"),
    "orders.category": ("业务类型", "Category"),
    "orders.total": ("金额", "Total"),
    "orders.promised_at": ("预计完工", "Promised"),
    "orders.created_at": ("开单时间", "Opened"),
    "orders.completed_at": ("完工时间", "Completed"),
    "orders.delivered_at": ("交车时间", "Delivered"),
    "orders.advisor": ("服务顾问", "Advisor"),
    "orders.flagged": ("需站长参与", "Manager to take part"),
    "orders.inspection_required": ("需要终检", "Final inspection"),
    "orders.lines": ("维修项目", "Lines"),
    "orders.in_workshop": (
        "车辆在车间维修中，完工后可交车",
        "The car is in the workshop; it can be handed over once completed",
    ),
    "orders.delivered_note": ("车辆已交付", "The car has been handed over"),
    "form.section_customer": ("客户", "Customer"),
    "form.section_vehicle": ("车辆", "Vehicle"),
    "form.section_order": ("委托内容", "Order"),
    "form.section_signature": ("客户签字", "Customer's signature"),
    "form.signed_by": ("签字人（默认客户本人）", "Signed by (default: the customer)"),
    "form.customer_signed": (
        "客户已阅读并在委托书上签字",
        "The customer read and signed the repair order",
    ),
    "orders.payment_method": ("付款方式", "Payment method"),
    "orders.old_parts": ("旧件处理", "Old parts"),
    "orders.car_wash": ("免费洗车", "Free car wash"),
    "payment_method.cash": ("现金", "Cash"),
    "payment_method.card": ("银行卡", "Card"),
    "payment_method.wechat": ("微信支付", "WeChat Pay"),
    "payment_method.alipay": ("支付宝", "Alipay"),
    "payment_method.transfer": ("转账", "Bank transfer"),
    "payment_method.on_account": ("挂账", "On account"),
    "old_parts.dispose": ("留厂处理", "Leave for disposal"),
    "old_parts.take_away": ("客户带走", "Customer takes them"),
    "old_parts.warranty_return": ("索赔返还", "Warranty return"),
    "category.pre_delivery": ("新车 PDI", "Pre-delivery"),
    "settlement.title": ("结算单", "Settlement"),
    "settlement.gross": ("总额", "Gross"),
    "settlement.discount": ("折扣", "Discount"),
    "settlement.customer_due": ("客户应付", "Customer pays"),
    "settlement.paid": ("已付", "Paid"),
    "settlement.on_account": ("挂账", "On account"),
    "settlement.balance": ("余额", "Balance"),
    "settlement.payments": ("收款记录", "Payments"),
    "settlement.exit_pass": ("出门证", "Exit pass"),
    "settlement.not_settled": (
        "尚未结清，请到收银台付款后再交车",
        "Not settled yet: the cashier takes payment before the car is handed over",
    ),
    "settlement.differences": ("与估价的差异", "Differences from the estimate"),
    "settlement.unavailable": ("结算单暂不可用", "The settlement is not available"),
    "payment.title": ("收款", "Take payment"),
    "payment.method": ("付款方式", "Method"),
    "payment.amount": ("金额", "Amount"),
    "payment.reference": ("交易号（可选）", "Reference (optional)"),
    "payment.submit": ("确认收款", "Record payment"),
    "form.customer_name": ("客户姓名", "Customer name"),
    "form.customer_phone": ("电话", "Phone"),
    "form.customer_vip": ("VIP 客户", "VIP customer"),
    "form.make": ("品牌", "Make"),
    "form.model": ("车型", "Model"),
    "form.line_no": ("行", "Line"),
    "form.kind": ("类型", "Kind"),
    "form.code": ("工时代码/配件号", "Operation / part no."),
    "form.description": ("项目描述", "Description"),
    "form.hours": ("工时", "Hours"),
    "form.quantity": ("数量", "Qty"),
    "form.unit_price": ("单价", "Unit price"),
    "form.pay_type": ("付费方式", "Pay type"),
    "form.major_system": ("总成", "Major system"),
    "form.labour_ref": ("所属工时行", "For line"),
    "form.add_line": ("添加一行", "Add a line"),
    "form.submit_order": ("开具委托书（客户已签字）", "Open the order (customer has signed)"),
    "form.lines_hint": (
        "空行会被忽略；配件行可填写所属工时行的行号",
        "Empty lines are ignored; a part line may name the line number of its labour line",
    ),
    "form.availability": ("库存", "Stock"),
    "delivery.title": ("交车", "Hand over"),
    "delivery.customer_accepted": (
        "客户已核对随车物品和车身并签字接车",
        "The customer checked belongings and bodywork and signed for the car",
    ),
    "delivery.next_service_km": ("下次保养里程", "Next service at (km)"),
    "delivery.next_service_date": ("下次保养日期", "Next service date"),
    "delivery.submit": ("交车", "Hand over the car"),
    "kind.labour": ("工时", "Labour"),
    "kind.part": ("配件", "Part"),
    "order_status.open": ("在修", "Open"),
    "order_status.completed": ("已完工", "Completed"),
    "order_status.delivered": ("已交车", "Delivered"),
    "order_status.cancelled": ("已取消", "Cancelled"),
    "category.maintenance": ("保养", "Maintenance"),
    "category.repair": ("维修", "Repair"),
    "category.warranty": ("索赔", "Warranty"),
    "category.accident": ("事故车", "Accident"),
    "category.internal": ("内部", "Internal"),
    "pay_type.customer": ("客户付费", "Customer"),
    "pay_type.warranty": ("索赔", "Warranty"),
    "pay_type.internal": ("内部", "Internal"),
    "pay_type.insurance": ("保险", "Insurance"),
    # --- workshop ----------------------------------------------------------------------
    "jobs.operation": ("作业", "Operation"),
    "jobs.sold_hours": ("标准工时", "Sold hours"),
    "jobs.clocked_hours": ("实际工时", "Clocked hours"),
    "jobs.technician": ("技师", "Technician"),
    "jobs.parts": ("配件", "Parts"),
    "jobs.complete": ("完工", "Complete"),
    "jobs.dispatch": ("派工", "Dispatch"),
    "jobs.redispatch": ("改派", "Re-dispatch"),
    "jobs.extra_hours": ("补录工时", "Hours off the clock"),
    "jobs.clock_on": ("开工", "Clock on"),
    "jobs.clock_off": ("暂停", "Pause"),
    "jobs.pause_reason": ("暂停原因", "Reason"),
    "jobs.reason_break": ("休息", "Break"),
    "jobs.reason_parts": ("等待配件", "Waiting for parts"),
    "jobs.reason_lift": ("等待举升机", "Waiting for the lift"),
    "jobs.reason_other_job": ("处理其他作业", "Another job"),
    "jobs.none_ready": ("暂无可开工的作业", "No job is ready for you"),
    "jobs.waiting_reason": ("等待原因", "Waiting for"),
    "jobs.technicians": ("技师名单", "Technicians"),
    "jobs.skills": ("技能", "Skills"),
    "job_status.waiting": ("待派工", "Waiting"),
    "job_status.waiting_for_parts": ("等待配件", "Waiting for parts"),
    "job_status.ready": ("可开工", "Ready"),
    "job_status.in_progress": ("作业中", "In progress"),
    "job_status.dispatched": ("已派工", "Dispatched"),
    "job_status.paused": ("暂停", "Paused"),
    "job_status.waiting_for_approval": ("等待客户确认", "Waiting for approval"),
    "job_status.in_inspection": ("待质检", "In inspection"),
    "job_status.done": ("已完工", "Done"),
    "job_part_status.requested": ("已申请", "Requested"),
    "job_part_status.reserved": ("已预留", "Reserved"),
    "job_part_status.backordered": ("缺货", "Backordered"),
    "inspection.title": ("竣工检验", "Final inspection"),
    "inspection.start": ("质检", "Inspect"),
    "inspection.checklist": ("检查项目", "Checklist"),
    "inspection.complaint_fixed": ("客户描述的故障已排除", "Complaint fixed"),
    "inspection.brakes": ("制动系统正常", "Brakes"),
    "inspection.steering": ("转向系统正常", "Steering"),
    "inspection.lights": ("灯光、仪表正常", "Lights and gauges"),
    "inspection.no_leaks": ("无漏油、漏液", "No leaks"),
    "inspection.clean_no_new_damage": ("车辆清洁、无新增损伤", "Clean, no new damage"),
    "inspection.road_test": ("已路试", "Road tested"),
    "inspection.road_test_note": ("路试记录", "Road test note"),
    "inspection.send_back": ("返工", "Send back"),
    "inspection.reason": ("返工原因", "Reason"),
    "inspection.submit": ("提交质检结果", "Record the inspection"),
    "inspection.none": ("此订单没有待质检的作业", "No job of this order waits for inspection"),
    # --- parts -------------------------------------------------------------------------
    "parts.search_label": ("配件号或名称", "Part no. or description"),
    "parts.part_no": ("配件号", "Part no."),
    "parts.description": ("名称", "Description"),
    "parts.category": ("类别", "Category"),
    "parts.unit": ("单位", "Unit"),
    "parts.list_price": ("零售价", "List price"),
    "parts.on_hand": ("在库", "On hand"),
    "parts.reserved": ("已预留", "Reserved"),
    "parts.available": ("可用", "Available"),
    "parts.bin": ("库位", "Bin"),
    "parts.total_available": ("集团可用合计", "Available in the group"),
    "parts.no_stock": ("各服务站均无库存记录", "No station stocks it"),
    "parts.reservations": ("订单预留", "Reservations"),
    "parts.order": ("委托书", "Order"),
    "parts.requested": ("申请数量", "Requested"),
    "parts.reserved_qty": ("预留数量", "Reserved"),
    "parts.low_stock": ("低于订货点", "Below reorder point"),
    "parts.stock_search": ("库存查询", "Stock search"),
    "parts.no_match": ("没有匹配的配件", "No part matches"),
    "parts.unknown_part": ("目录中没有此配件号", "No such part number in the catalogue"),
    "reservation_status.reserved": ("已预留", "Reserved"),
    "reservation_status.partly_reserved": ("部分预留", "Partly reserved"),
    "reservation_status.backordered": ("缺货待到", "Backordered"),
    "reservation_status.released": ("已释放", "Released"),
    "reservation_status.issued": ("已发料", "Issued"),
    # --- warranty ----------------------------------------------------------------------
    "claims.title": ("索赔单", "Warranty claims"),
    "claims.claim_no": ("索赔单号", "Claim no."),
    "claims.amount": ("索赔金额", "Amount"),
    "claims.repair_date": ("维修日期", "Repair date"),
    "claims.problems": ("提交前需解决的问题", "To fix before submitting"),
    "claims.no_problems": ("没有待解决的问题", "Nothing to fix"),
    "claim_status.draft": ("草稿", "Draft"),
    "claim_status.submitted": ("已提交", "Submitted"),
    "claim_status.approved": ("已批准", "Approved"),
    "claim_status.rejected": ("已拒绝", "Rejected"),
    # --- crm ---------------------------------------------------------------------------
    "followups.title": ("待回访", "Follow-up calls"),
    "followups.kind": ("回访类型", "Call"),
    "followups.opens_at": ("开始时间", "Opens"),
    "followups.due_at": ("截止时间", "Due by"),
    "followups.overdue": ("已超时", "Overdue"),
    "followup_kind.72h": ("72小时回访", "72-hour call"),
    "followup_kind.2w": ("两周回访", "Two-week call"),
    "followups.note": ("通话内容", "What was said"),
    "followups.reason": ("不满意原因", "Why dissatisfied"),
    "followups.complaint": ("登记为投诉", "Open a complaint"),
    "followups.attempts": ("已拨打", "Attempts"),
    "followups.outcome": ("结果", "Outcome"),
    "outcome.satisfied": ("满意", "Satisfied"),
    "outcome.reached": ("已联系", "Reached"),
    "outcome.not_reached": ("未接通", "Not reached"),
    "outcome.dissatisfied": ("不满意", "Dissatisfied"),
    "followup_status.open": ("待回访", "Open"),
    "followup_status.scheduled": ("已排期", "Scheduled"),
    "followup_status.unreachable": ("无法联系", "Unreachable"),
    "followup_status.done": ("已回访", "Done"),
    "followup_status.expired": ("已过期", "Expired"),
    "customers.search": ("查找客户（电话、姓名或 VIN）", "Find a customer (phone, name or VIN)"),
    "customers.phone": ("电话", "Phone"),
    "customers.name": ("姓名", "Name"),
    "customers.home_station": ("首次到店服务站", "Home station"),
    "customers.file": ("客户档案", "Customer file"),
    "customers.vehicles": ("车辆", "Vehicles"),
    "customers.visits": ("到店记录", "Visits"),
    "customers.last_mileage": ("最近里程", "Last mileage"),
    "customers.read_logged": (
        "查看客户档案会被记录（个人信息保护）",
        "Opening a customer file is logged (personal data)",
    ),
    # --- timeline ----------------------------------------------------------------------
    "timeline.title": ("订单时间线", "Order timeline"),
    "timeline.live": ("每 {seconds} 秒自动刷新", "Refreshes every {seconds} s"),
    "timeline.source": ("来源", "Source"),
    "timeline.order_opened": ("开具委托书 {order_no}", "Repair order {order_no} opened"),
    "timeline.order_completed": ("车辆完工", "Car completed"),
    "timeline.order_delivered": ("交车", "Car handed over"),
    "timeline.order_promised": ("承诺完工时间", "Promised completion"),
    "timeline.job_created": ("生成作业：{what}", "Job created: {what}"),
    "timeline.job_dispatched": ("派工：{what} → {technician}", "Dispatched: {what} → {technician}"),
    "timeline.job_completed": (
        "作业完工：{what}（{hours} 小时）",
        "Job completed: {what} ({hours} h)",
    ),
    "timeline.reservation": ("配件 {part_no}：{status}", "Part {part_no}: {status}"),
    "timeline.claim": ("索赔单 {claim_no}：{status}", "Warranty claim {claim_no}: {status}"),
    "timeline.followup_created": ("安排{kind}", "{kind} scheduled"),
    "timeline.followup_due": ("{kind}截止", "{kind} due"),
    "timeline.future": ("计划", "planned"),
    "service.reception": ("接待", "Reception"),
    "service.workshop": ("车间", "Workshop"),
    "service.parts": ("配件", "Parts"),
    "service.warranty": ("索赔", "Warranty"),
    "service.crm": ("客户关系", "CRM"),
}

_INDEX = {"zh": 0, "en": 1}

Translator = Callable[..., str]


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The label in ``lang`` with ``{placeholders}`` filled; the key itself when unknown,
    so a missing label shows up on the page instead of breaking it."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[_INDEX.get(lang, 0)]
    return text.format(**values) if values else text


def translator(lang: str) -> Translator:
    """``t(key, **values)`` for one language, as the templates call it."""

    def t(key: str, **values: Any) -> str:
        return translate(key, lang, **values)

    return t


def label(group: str, value: object, lang: str) -> str:
    """A status, role or category value's label; the raw value when it has none yet (the
    services gain states faster than a console release)."""
    text = str(getattr(value, "value", value))
    key = f"{group}.{text}"
    return translate(key, lang) if key in LABELS else text


#: the services' most frequent validation messages (pydantic's English), in Chinese too
API_MESSAGES: dict[str, str] = {
    "Field required": "必填",
    "Input should be a valid integer, unable to parse string as an integer": "请输入整数",
    "Input should be a valid decimal": "请输入数字",
    "Input should be greater than 0": "必须大于 0",
    "Input should be greater than or equal to 0": "不能为负数",
    "String should have at least 17 characters": "VIN 应为 17 位",
    "String should have at most 17 characters": "VIN 应为 17 位",
    "String should have at least 1 character": "必填",
    "List should have at least 1 item after validation, not 0": "至少填写一个维修项目",
}


def api_message(message: str, lang: str) -> str:
    """A service's message as the user reads it (the original when no translation)."""
    if lang == "zh":
        return API_MESSAGES.get(message, message)
    return message
