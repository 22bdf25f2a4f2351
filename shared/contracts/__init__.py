"""Public event contracts: the only thing the services agree on."""

from shared.contracts import events, topics
from shared.contracts.envelope import Envelope, Payload, UnknownEvent, payload_class, registry

__all__ = ["Envelope", "Payload", "UnknownEvent", "events", "payload_class", "registry", "topics"]
