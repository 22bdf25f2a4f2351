"""Settings from the environment, with the embedded defaults when unset."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "aftersales-embedded-dev-secret-change-me-in-production"


class ServiceSettings(BaseSettings):
    """What every service reads from its environment.

    ``DATABASE_URL`` is the service's own database. When several services share one
    environment (the embedded runner, a shell), ``<SERVICE>_DATABASE_URL`` wins over it.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "service"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    #: consumer groups are "<prefix><service>": lets two stacks share one broker (tests)
    kafka_group_prefix: str = ""
    #: static group membership (``group.instance.id``): a stable name per replica, e.g. the
    #: StatefulSet pod name or "<service>-<n>". A restarted replica rejoins with its old
    #: partitions and the others keep theirs (no rebalance); unset = dynamic membership.
    #: Two live processes must never share one (the broker fences the older one).
    kafka_instance_id: str | None = None
    database_url: str | None = None
    data_dir: Path = Path("data")
    auth_secret: str = DEV_SECRET
    token_ttl_minutes: int = 12 * 60
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    #: seconds a request waits for a free database connection before it is answered 503
    db_pool_timeout: float = Field(default=10.0, gt=0)
    #: HTTP requests handled at once by this process; more are answered 503 with
    #: Retry-After at once (a replica under more load than it can serve sheds it instead of
    #: queueing every request until all of them time out). /health and /metrics always answer.
    max_requests_in_flight: int = Field(default=48, ge=1)
    relay_poll_seconds: float = 0.25
    relay_batch_size: int = 200
    handler_max_attempts: int = Field(default=5, ge=1)
    handler_backoff_seconds: float = 0.2
    run_migrations: bool = True
    seed_demo_data: bool = False
    consume: bool = Field(default=True, description="run the Kafka consumers in this process")
    relay: bool = Field(default=True, description="run the outbox relay in this process")
    scheduler: bool = Field(default=True, description="run due scheduled tasks in this process")
    scheduler_poll_seconds: float = 1.0
    clock_control: bool = Field(
        default=False, description="allow POST /admin/clock to move time forward (tests only)"
    )

    def resolved_database_url(self) -> str:
        specific = os.environ.get(f"{self.service_name.upper()}_DATABASE_URL")
        if specific:
            return specific
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"


def load_settings(service_name: str, port: int, **overrides: object) -> ServiceSettings:
    """Settings for one service: environment first, then the service's embedded defaults."""
    env_port = os.environ.get(f"{service_name.upper()}_PORT") or os.environ.get("HTTP_PORT")
    settings = ServiceSettings(
        service_name=service_name, http_port=int(env_port) if env_port else port
    )
    return settings.model_copy(update=overrides) if overrides else settings
