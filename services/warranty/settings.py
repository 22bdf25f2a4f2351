"""Warranty's own settings (the platform's are in ``shared.settings``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class WarrantySettings(BaseSettings):
    """``WARRANTY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="WARRANTY_", env_file=None, extra="ignore")

    #: the secret the manufacturer's claim system signs its webhook calls with (HMAC-SHA256
    #: of the body); unset: the webhook accepts nothing
    manufacturer_secret: str | None = None


def warranty_settings() -> WarrantySettings:
    """Read now (a rotated secret applies without a restart; tests set the environment)."""
    return WarrantySettings()
