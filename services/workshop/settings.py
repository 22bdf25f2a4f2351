"""Workshop's own settings, from the environment (``WORKSHOP_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkshopSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKSHOP_", env_file=None, extra="ignore")

    comeback_window_days: int = Field(
        default=30, ge=1, description="a car back with a similar complaint within it: comeback"
    )


@lru_cache
def workshop_settings() -> WorkshopSettings:
    return WorkshopSettings()
