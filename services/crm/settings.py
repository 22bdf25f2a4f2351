"""CRM's own settings, from the environment (``CRM_*``).

``CRM_FOLLOWUP_POLICIES`` sets a station's (brand's) follow-up window as JSON, e.g.
``{"gz01": {"opens_after_hours": 24, "due_within_working_days": 3, "expires_after_days": 5}}``;
stations not named keep the built-in policy (``domain.STATION_POLICIES``, else the default).
``CRM_FOLLOWUP_EXPIRES_AFTER_DAYS`` changes the default expiry (day 7) for every station;
``CRM_DECLINED_WORK_REMIND_AFTER_DAYS`` (30) and ``CRM_NOT_BOOKED_CALL_AFTER_DAYS`` (7) time
the declined-work reminder and the "due and not booked" call.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.crm import domain


class FollowUpPolicySetting(BaseModel):
    opens_after_hours: int | None = Field(default=None, ge=0)
    due_within_hours: int | None = Field(default=None, ge=1)
    due_within_working_days: int | None = Field(default=None, ge=1)
    expires_after_days: int | None = Field(default=None, ge=1)


class CrmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=None, extra="ignore")

    followup_policies: dict[str, FollowUpPolicySetting] = Field(default_factory=dict)
    followup_expires_after_days: int = Field(
        default=7, ge=1, description="a call not made by then (days after delivery) expires"
    )
    declined_work_remind_after_days: int = Field(
        default=30, ge=1, le=730, description="declined work is reminded this long after"
    )
    not_booked_call_after_days: int = Field(
        default=7, ge=0, le=365, description="due and not booked this long: a reminder call"
    )


@lru_cache
def crm_settings() -> CrmSettings:
    return CrmSettings()


def followup_policy(station_id: str) -> domain.FollowUpPolicy:
    """The station's follow-up policy: configured, built in, or the default."""
    settings = crm_settings()
    base = domain.policy_for(station_id)
    configured = settings.followup_policies.get(station_id)
    values = {
        "opens_after_hours": base.opens_after_hours,
        "due_within_hours": base.due_within_hours,
        "due_within_working_days": base.due_within_working_days,
        "expires_after_days": settings.followup_expires_after_days,
    }
    if configured is not None:
        given = configured.model_dump(exclude_unset=True)
        if "due_within_working_days" in given and "due_within_hours" not in given:
            values["due_within_hours"] = None
        if "due_within_hours" in given and "due_within_working_days" not in given:
            values["due_within_working_days"] = None
        values.update(given)
    return domain.FollowUpPolicy(**values)  # type: ignore[arg-type]


def check_followup_policies() -> None:
    """Refuse to start with a configured policy that cannot work (not at the first delivery)."""
    for station_id in crm_settings().followup_policies:
        try:
            followup_policy(station_id)
        except ValueError as exc:
            raise ValueError(f"CRM_FOLLOWUP_POLICIES[{station_id}]: {exc}") from exc
