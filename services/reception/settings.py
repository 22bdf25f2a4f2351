"""Reception's own settings, from the environment (``RECEPTION_*``)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReceptionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECEPTION_", env_file=None, extra="ignore")

    advisor_discount_limit: Decimal = Field(
        default=Decimal("0.05"),
        ge=0,
        le=1,
        description="share of the customer's amount an advisor may give without the supervisor",
    )
    approval_link_hours: int = Field(
        default=4, ge=1, le=72, description="how long the customer's approval link stays open"
    )
    default_slot_hours: Decimal = Field(
        default=Decimal("4"),
        ge=0,
        description="technician hours per appointment slot when none is set or published",
    )
    delivery_signature_required: bool = Field(
        default=True,
        description="refuse a delivery without the customer's acceptance signature (422 "
        "naming signature, process §7: the customer signs to accept the car); off (a station "
        "still on paper): customer_accepted alone is recorded, marked as no signature captured",
    )


@lru_cache
def reception_settings() -> ReceptionSettings:
    return ReceptionSettings()
