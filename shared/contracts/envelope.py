"""The one envelope every event travels in, and the registry of payload contracts.

A payload class declares its topic (``event_type``) and ``event_version``; declaring it
registers it, so a consumer can turn any envelope back into the typed payload it expects.
Payloads ignore unknown fields: a producer may add optional fields without breaking anyone.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared import clock


class Payload(BaseModel):
    """Base class of every event payload (the business fact an event states)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    #: name of the payload field whose value is the Kafka message key (the aggregate id)
    key_field: ClassVar[str] = "order_id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            register(cls)

    def aggregate_key(self) -> str:
        """The message key: events of one aggregate share a partition and keep their order."""
        return str(getattr(self, self.key_field))


_REGISTRY: dict[tuple[str, int], type[Payload]] = {}


def register(cls: type[Payload]) -> None:
    key = (cls.event_type, cls.event_version)
    existing = _REGISTRY.get(key)
    if existing is not None and existing is not cls:
        raise RuntimeError(f"event {key} is declared twice: {existing} and {cls}")
    _REGISTRY[key] = cls


def registry() -> dict[tuple[str, int], type[Payload]]:
    """All declared payload contracts by (type, version)."""
    return dict(_REGISTRY)


def payload_class(event_type: str, version: int) -> type[Payload]:
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for event {event_type!r} version {version}") from None


class UnknownEvent(ValueError):
    """The envelope names a type/version this code base has no contract for."""


class Envelope(BaseModel):
    """Metadata shared by all events; ``payload`` holds the type-specific body."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1)
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    station_id: str = Field(min_length=1)
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    producer: str = Field(min_length=1)
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: Payload,
        *,
        station_id: str,
        producer: str,
        correlation_id: uuid.UUID | None = None,
        causation: Envelope | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        """Put a payload into a new envelope.

        ``causation`` is the event being handled when this one is raised: its id becomes the
        causation id and its correlation id is carried on unless one is given.
        """
        return cls(
            type=payload.event_type,
            version=payload.event_version,
            occurred_at=occurred_at or clock.now(),
            station_id=station_id,
            correlation_id=correlation_id
            or (causation.correlation_id if causation is not None else None),
            causation_id=causation.event_id if causation is not None else None,
            producer=producer,
            payload=payload.model_dump(mode="json"),
        )

    def open(self) -> Payload:
        """The typed payload; raises ``UnknownEvent`` or ``pydantic.ValidationError``."""
        return payload_class(self.type, self.version).model_validate(self.payload)

    def key(self) -> str:
        return self.open().aggregate_key()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        """Parse raw message bytes; raises ``ValueError`` (incl. ValidationError) if bad."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"message is not JSON: {exc}") from exc
        return cls.model_validate(data)


__all__ = [
    "Envelope",
    "Payload",
    "UnknownEvent",
    "ValidationError",
    "payload_class",
    "registry",
]
