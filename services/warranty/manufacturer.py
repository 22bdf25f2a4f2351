"""The manufacturer's claim system behind one interface, and a simulator of it.

A real adapter (the OEM's dealer-claim API) and the simulator look the same to the service:
``submit`` hands over a claim and returns the manufacturer's reference and the answers it
gives, each with the delay after which it counts as received. The service persists those
answers (``ManufacturerAnswer`` rows with ``due_at``) in the same transaction that marks the
submission sent, and applies each when it is due: nothing the manufacturer said is lost if
the service stops in between. ``submit`` raising (unreachable, timeout) leaves the submission
pending; the scheduler retries it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from services.warranty.domain import AnswerKind, ChargeBackReason, RejectionReason


@dataclass(frozen=True)
class ClaimPackageLine:
    kind: str
    code: str
    description: str
    quantity: Decimal
    hours: Decimal | None
    amount: Decimal
    causal: bool


@dataclass(frozen=True)
class ClaimPackage:
    """What a manufacturer's claim system receives (the claim as filed)."""

    claim_no: str
    submission: int
    vin: str
    make: str | None
    model: str | None
    mileage_km: int | None
    repair_date: date
    complaint: str
    cause: str | None
    correction: str | None
    fault_codes: tuple[str, ...]
    photos: tuple[str, ...]
    amount: Decimal
    lines: tuple[ClaimPackageLine, ...]
    info_answer: str | None = None


@dataclass(frozen=True)
class Reply:
    """One answer of the manufacturer, received ``after`` the submission."""

    kind: AnswerKind
    after: timedelta = timedelta(0)
    amount: Decimal | None = None
    reason_code: str | None = None
    reason: str | None = None
    question: str | None = None


@dataclass(frozen=True)
class Receipt:
    reference: str
    replies: tuple[Reply, ...] = ()


class ManufacturerUnavailable(Exception):
    """The manufacturer's system did not take the claim; try again later."""


class ManufacturerAdapter(Protocol):
    async def submit(self, claim: ClaimPackage) -> Receipt: ...


# --- answers the manufacturer pushes (webhook) ------------------------------------------

#: the header carrying the signature of a webhook call: ``sha256=<hex HMAC of the body>``
SIGNATURE_HEADER = "X-Manufacturer-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature the manufacturer's system puts on a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str | None, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is the secret's signature of ``body`` (constant time)."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body), signature)


# --- the simulator ----------------------------------------------------------------------


class Behaviour(StrEnum):
    APPROVE = "approve"
    PARTLY_APPROVE = "partly_approve"
    REJECT = "reject"
    ASK_FOR_INFO = "ask_for_info"
    FAIL = "fail"
    TIME_OUT = "time_out"


@dataclass(frozen=True)
class Plan:
    """How the simulated manufacturer answers one submission."""

    behaviour: Behaviour = Behaviour.APPROVE
    #: answer this long after the submission
    delay: timedelta = timedelta(0)
    #: pay this long after approving
    payment_after: timedelta = timedelta(days=1)
    #: share of the claim paid when partly approving
    share: Decimal = Decimal("0.8")
    reason_code: RejectionReason = RejectionReason.EXCESSIVE_LABOUR_HOURS
    reason: str = "labour hours above the standard"
    question: str = "please send a photo of the failed part's batch number"
    #: after paying, take the money back this long later (e.g. the part never came back)
    charge_back_after: timedelta | None = None
    charge_back_reason: ChargeBackReason = ChargeBackReason.PART_NOT_RETURNED


FEN = Decimal("0.01")


@dataclass
class ManufacturerSimulator:
    """An in-process manufacturer: answers by plan (per claim number, else the default).

    Plans are configuration, not business state; what it answered is persisted by the
    service with the submission.
    """

    default: Plan = field(default_factory=Plan)
    plans: dict[str, deque[Plan]] = field(default_factory=lambda: defaultdict(deque))
    received: list[ClaimPackage] = field(default_factory=list)

    def plan(self, claim_no: str, *plans: Plan) -> None:
        """Answer the next submissions of ``claim_no`` by these plans, in order."""
        self.plans[claim_no].extend(plans)

    def _next_plan(self, claim_no: str) -> Plan:
        queue = self.plans.get(claim_no)
        if queue:
            return queue[0]
        return self.default

    async def submit(self, claim: ClaimPackage) -> Receipt:
        plan = self._next_plan(claim.claim_no)
        if plan.behaviour == Behaviour.FAIL:
            raise ManufacturerUnavailable("simulated manufacturer: service unavailable")
        if plan.behaviour == Behaviour.TIME_OUT:
            raise TimeoutError("simulated manufacturer: no answer in time")
        queue = self.plans.get(claim.claim_no)
        if queue:
            queue.popleft()  # a plan is used up only by a submission that got through
        self.received.append(claim)
        return Receipt(f"SIM-{uuid.uuid4().hex[:10].upper()}", self._replies(plan, claim))

    @staticmethod
    def _replies(plan: Plan, claim: ClaimPackage) -> tuple[Reply, ...]:
        paid_after = plan.delay + plan.payment_after
        if plan.behaviour in (Behaviour.APPROVE, Behaviour.PARTLY_APPROVE):
            partly = plan.behaviour == Behaviour.PARTLY_APPROVE
            amount = claim.amount
            if partly:
                amount = (claim.amount * plan.share).quantize(FEN, rounding=ROUND_HALF_UP)
            replies = [
                Reply(
                    AnswerKind.PARTLY_APPROVED if partly else AnswerKind.APPROVED,
                    plan.delay,
                    amount=amount,
                ),
                Reply(AnswerKind.PAID, paid_after, amount=amount),
            ]
            if plan.charge_back_after is not None:
                replies.append(
                    Reply(
                        AnswerKind.CHARGED_BACK,
                        paid_after + plan.charge_back_after,
                        amount=amount,
                        reason_code=plan.charge_back_reason,
                        reason=f"charged back: {plan.charge_back_reason.value}",
                    )
                )
            return tuple(replies)
        if plan.behaviour == Behaviour.REJECT:
            return (
                Reply(
                    AnswerKind.REJECTED,
                    plan.delay,
                    reason_code=plan.reason_code,
                    reason=plan.reason,
                ),
            )
        return (Reply(AnswerKind.INFO_REQUESTED, plan.delay, question=plan.question),)


def simulator_from_env() -> ManufacturerSimulator:
    """``WARRANTY_SIMULATOR=approve|partly_approve|reject|ask_for_info|fail|time_out``,
    ``WARRANTY_SIMULATOR_DELAY_SECONDS`` and ``WARRANTY_SIMULATOR_CHARGE_BACK_SECONDS`` (take
    the payment back this long after paying) set the default plan of the demo's simulator."""
    behaviour = Behaviour(os.environ.get("WARRANTY_SIMULATOR", Behaviour.APPROVE.value))
    delay = timedelta(seconds=float(os.environ.get("WARRANTY_SIMULATOR_DELAY_SECONDS", "0")))
    charge_back = os.environ.get("WARRANTY_SIMULATOR_CHARGE_BACK_SECONDS")
    return ManufacturerSimulator(
        default=Plan(
            behaviour=behaviour,
            delay=delay,
            charge_back_after=timedelta(seconds=float(charge_back)) if charge_back else None,
        )
    )


#: how long one call to the manufacturer may take before it counts as failed
SUBMIT_TIMEOUT_SECONDS = 20.0

_adapter: ManufacturerAdapter = ManufacturerSimulator()


def adapter() -> ManufacturerAdapter:
    return _adapter


def install(new: ManufacturerAdapter) -> ManufacturerAdapter:
    """Use ``new`` for the manufacturer (the app does this on start; tests install theirs)."""
    global _adapter
    previous, _adapter = _adapter, new
    return previous


async def send(claim: ClaimPackage) -> Receipt:
    """Submit through the installed adapter, bounded in time."""
    return await asyncio.wait_for(adapter().submit(claim), timeout=SUBMIT_TIMEOUT_SECONDS)
