"""Kafka client security from the environment: TLS and SASL/SCRAM for a real cluster.

KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default, embedded) | SSL | SASL_PLAINTEXT | SASL_SSL
KAFKA_SASL_MECHANISM      SCRAM-SHA-512 (default) | SCRAM-SHA-256 | PLAIN
KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD   one principal per service (see `aftersales acls`)
KAFKA_SSL_CAFILE          CA bundle of the cluster (system CAs when unset)
KAFKA_SSL_CERTFILE / KAFKA_SSL_KEYFILE      client certificate for mutual TLS (optional)
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def security_from_env(env: Mapping[str, str] | None = None) -> BaseSecurity | None:
    """The faststream security object for the configured protocol (None for PLAINTEXT)."""
    env = os.environ if env is None else env
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}")
    if protocol == "PLAINTEXT":
        return None
    context: ssl.SSLContext | None = None
    if protocol.endswith("SSL"):
        context = ssl.create_default_context(cafile=env.get("KAFKA_SSL_CAFILE") or None)
        if env.get("KAFKA_SSL_CERTFILE"):
            context.load_cert_chain(env["KAFKA_SSL_CERTFILE"], env.get("KAFKA_SSL_KEYFILE"))
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    mechanism = env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").upper()
    if mechanism not in MECHANISMS:
        raise ValueError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)}")
    username, password = env.get("KAFKA_SASL_USERNAME"), env.get("KAFKA_SASL_PASSWORD")
    if not username or not password:
        raise ValueError(f"{protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
    return MECHANISMS[mechanism](username, password, ssl_context=context)
