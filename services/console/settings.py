"""The console's settings, from the environment (embedded defaults when unset)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_SECRET

SERVICE_NAMES = ("reception", "workshop", "parts", "warranty", "crm")


class ConsoleSettings(BaseSettings):
    """Where the services are, and how the console keeps its session cookie.

    ``RECEPTION_URL`` ... ``CRM_URL`` point at the services (default: the ports of
    ``make up``); ``AUTH_SECRET`` is the platform's secret, from which the cookie's signing
    key is derived.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    reception_url: str = "http://127.0.0.1:8001"
    workshop_url: str = "http://127.0.0.1:8002"
    parts_url: str = "http://127.0.0.1:8003"
    warranty_url: str = "http://127.0.0.1:8004"
    crm_url: str = "http://127.0.0.1:8005"
    http_host: str = "127.0.0.1"
    console_port: int = 8000
    auth_secret: str = DEV_SECRET
    #: send the cookie only over HTTPS (turn on behind TLS in production)
    secure_cookies: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    service_timeout_seconds: float = Field(default=10.0, gt=0)
    #: the stations' local time, in which every time is shown
    timezone: str = "Asia/Shanghai"
    #: how often live pages (the order timeline) refresh themselves
    live_refresh_seconds: int = Field(default=3, ge=1)
    log_level: str = "INFO"
    #: the demo sign-ins are on (same switch as the services'): the sign-in page names them
    demo_logins: bool = True

    def service_urls(self) -> dict[str, str]:
        """Base URL of each service, by name."""
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICE_NAMES}
