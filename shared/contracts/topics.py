"""Every topic name of the platform, in one place.

Names are ``<entity>.<past-tense verb>``; a topic carries one event type (all its versions).
Dead letters of a topic go to ``<topic>.dlq``.
"""

from typing import Final

APPOINTMENT_BOOKED: Final = "appointment.booked"
APPOINTMENT_CANCELLED: Final = "appointment.cancelled"
APPOINTMENT_REMINDER_DUE: Final = "appointment.reminder_due"
ORDER_CREATED: Final = "order.created"
ORDER_CANCELLED: Final = "order.cancelled"
COVERAGE_CHECKED: Final = "coverage.checked"
ITEM_REQUESTED: Final = "item.requested"
ITEM_RESERVED: Final = "item.reserved"
ITEM_BACKORDERED: Final = "item.backordered"
ITEM_ISSUED: Final = "item.issued"
ITEM_RETURNED: Final = "item.returned"
ITEM_RELEASED: Final = "item.released"
STOCK_LOW: Final = "stock.low"
CAPACITY_PUBLISHED: Final = "capacity.published"
JOB_DISPATCHED: Final = "job.dispatched"
JOB_COMPLETED: Final = "job.completed"
WORK_ADDITIONAL_FOUND: Final = "work.additional_found"
WORK_ADDITIONAL_APPROVED: Final = "work.additional_approved"
WORK_ADDITIONAL_DECLINED: Final = "work.additional_declined"
INSPECTION_PASSED: Final = "inspection.passed"
INSPECTION_FAILED: Final = "inspection.failed"
VEHICLE_COMPLETED: Final = "vehicle.completed"
VEHICLE_DELIVERED: Final = "vehicle.delivered"
CLAIM_SUBMITTED: Final = "claim.submitted"
CLAIM_APPROVED: Final = "claim.approved"
CLAIM_REJECTED: Final = "claim.rejected"
CLAIM_INFO_REQUESTED: Final = "claim.info_requested"
CLAIM_PAID: Final = "claim.paid"
FOLLOWUP_DUE: Final = "followup.due"
REMINDER_DUE: Final = "reminder.due"
COMPLAINT_OPENED: Final = "complaint.opened"
APPOINTMENT_MOVED: Final = "appointment.moved"
CLAIM_CHARGED_BACK: Final = "claim.charged_back"
COMPLAINT_ESCALATED: Final = "complaint.escalated"
FOLLOWUP_ESCALATED: Final = "followup.escalated"
CAMPAIGN_LAUNCHED: Final = "campaign.launched"
STOCK_LEVEL_CHANGED: Final = "stock.level_changed"
SANBAO_THRESHOLD_APPROACHED: Final = "sanbao.threshold_approached"

ALL_TOPICS: Final[tuple[str, ...]] = (
    APPOINTMENT_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_REMINDER_DUE,
    ORDER_CREATED,
    ORDER_CANCELLED,
    COVERAGE_CHECKED,
    ITEM_REQUESTED,
    ITEM_RESERVED,
    ITEM_BACKORDERED,
    ITEM_ISSUED,
    ITEM_RETURNED,
    ITEM_RELEASED,
    STOCK_LOW,
    CAPACITY_PUBLISHED,
    JOB_DISPATCHED,
    JOB_COMPLETED,
    WORK_ADDITIONAL_FOUND,
    WORK_ADDITIONAL_APPROVED,
    WORK_ADDITIONAL_DECLINED,
    INSPECTION_PASSED,
    INSPECTION_FAILED,
    VEHICLE_COMPLETED,
    VEHICLE_DELIVERED,
    CLAIM_SUBMITTED,
    CLAIM_APPROVED,
    CLAIM_REJECTED,
    CLAIM_INFO_REQUESTED,
    CLAIM_PAID,
    FOLLOWUP_DUE,
    REMINDER_DUE,
    COMPLAINT_OPENED,
    APPOINTMENT_MOVED,
    CLAIM_CHARGED_BACK,
    COMPLAINT_ESCALATED,
    FOLLOWUP_ESCALATED,
    CAMPAIGN_LAUNCHED,
    STOCK_LEVEL_CHANGED,
    SANBAO_THRESHOLD_APPROACHED,
)


def dlq(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}.dlq"


def all_topics_with_dlq() -> list[str]:
    return [t for topic in ALL_TOPICS for t in (topic, dlq(topic))]
