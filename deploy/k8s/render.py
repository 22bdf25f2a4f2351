"""Kubernetes manifests for the platform, rendered from one description per overlay.

    python -m deploy.k8s.render production > aftersales.yaml
    kubectl apply -f aftersales.yaml

Per service: a ServiceAccount, a migration Job (runs `aftersales migrate <service>` before the
pods need the schema; the pods also migrate under an advisory lock, so the Job is belt and
braces for large upgrades), a Deployment (non-root, read-only root file system, probes on
/health, Prometheus scrape annotations), a Service, a HorizontalPodAutoscaler and a
PodDisruptionBudget. Replicas of a service form one consumer group, so maxReplicas never
exceeds the topic partitions (more would sit idle). Kafka and PostgreSQL are expected from
operators or managed offerings (e.g. Strimzi, CloudNativePG); their addresses and secrets come
from the ``aftersales`` ConfigMap and per-service Secrets.

``make test`` renders every overlay and validates each document against the Kubernetes
schemas (``kubernetes-validate``); no cluster runs on the development machines.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import yaml

SERVICES = ("reception", "workshop", "parts", "warranty", "crm")
CONSOLE = "console"
PARTITIONS = 6


@dataclass(frozen=True)
class Overlay:
    name: str
    namespace: str
    registry: str
    tag: str
    min_replicas: int
    max_replicas: int
    cpu_request: str
    memory_request: str
    memory_limit: str
    kafka_bootstrap: str
    demo_logins: bool


OVERLAYS = {
    "staging": Overlay(
        "staging",
        "aftersales-staging",
        "registry.example.com/aftersales",
        "main",
        1,
        2,
        "100m",
        "192Mi",
        "512Mi",
        "aftersales-kafka-bootstrap.kafka:9092",
        True,
    ),
    "production": Overlay(
        "production",
        "aftersales",
        "registry.example.com/aftersales",
        "1.0.0",
        2,
        PARTITIONS,
        "250m",
        "256Mi",
        "768Mi",
        "aftersales-kafka-bootstrap.kafka:9093",
        False,
    ),
}


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "aftersales"}


def _env(name: str, overlay: Overlay, *, service: bool) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "HTTP_HOST", "value": "0.0.0.0"},
        {"name": "HTTP_PORT", "value": "8000"},
        {
            "name": "KAFKA_BOOTSTRAP_SERVERS",
            "valueFrom": {"configMapKeyRef": {"name": "aftersales", "key": "kafka_bootstrap"}},
        },
        {
            "name": "AUTH_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "aftersales-auth", "key": "secret"}},
        },
        {"name": "DEMO_LOGINS", "value": "true" if overlay.demo_logins else "false"},
        {
            "name": "OTEL_EXPORTER_OTLP_ENDPOINT",
            "valueFrom": {"configMapKeyRef": {"name": "aftersales", "key": "otlp_endpoint"}},
        },
    ]
    if service:
        env += [
            {
                "name": "DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": f"{name}-db", "key": "url"}},
            },
            {
                "name": "KAFKA_SECURITY_PROTOCOL",
                "valueFrom": {
                    "configMapKeyRef": {"name": "aftersales", "key": "kafka_security_protocol"}
                },
            },
            {
                "name": "KAFKA_SASL_USERNAME",
                "valueFrom": {
                    "secretKeyRef": {"name": f"{name}-kafka", "key": "username", "optional": True}
                },
            },
            {
                "name": "KAFKA_SASL_PASSWORD",
                "valueFrom": {
                    "secretKeyRef": {"name": f"{name}-kafka", "key": "password", "optional": True}
                },
            },
        ]
    return env


def _container(name: str, overlay: Overlay, *, service: bool) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/health", "port": "http"}}
    return {
        "name": name,
        "image": f"{overlay.registry}-{name}:{overlay.tag}",
        "ports": [{"name": "http", "containerPort": 8000}],
        "env": _env(name, overlay, service=service),
        "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {
            **probe,
            "periodSeconds": 20,
            "failureThreshold": 6,
            "initialDelaySeconds": 30,
        },
        "resources": {
            "requests": {"cpu": overlay.cpu_request, "memory": overlay.memory_request},
            "limits": {"memory": overlay.memory_limit},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _pod_spec(name: str, overlay: Overlay, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "serviceAccountName": name,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }


def component(name: str, overlay: Overlay, *, service: bool = True) -> list[dict[str, Any]]:
    """Every object one service (or the console) needs."""
    meta = {"name": name, "namespace": overlay.namespace, "labels": _labels(name)}
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta,
            "automountServiceAccountToken": False,
        },
    ]
    if service:
        job_container = {
            **_container(name, overlay, service=True),
            "command": ["aftersales", "migrate", name],
        }
        for key in ("readinessProbe", "livenessProbe", "ports"):
            job_container.pop(key)
        docs.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {**meta, "name": f"{name}-migrate-{overlay.tag.replace('.', '-')}"},
                "spec": {
                    "backoffLimit": 3,
                    "ttlSecondsAfterFinished": 86400,
                    "template": {
                        "metadata": {"labels": _labels(name)},
                        "spec": {
                            **_pod_spec(name, overlay, job_container),
                            "restartPolicy": "OnFailure",
                        },
                    },
                },
            }
        )
    docs += [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": overlay.min_replicas,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
                },
                "template": {
                    "metadata": {
                        "labels": _labels(name),
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": "8000",
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        **_pod_spec(name, overlay, _container(name, overlay, service=service)),
                        "terminationGracePeriodSeconds": 30,
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "selector": {"app.kubernetes.io/name": name},
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": overlay.min_replicas,
                "maxReplicas": overlay.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            },
        },
    ]
    return docs


def render(overlay_name: str) -> list[dict[str, Any]]:
    overlay = OVERLAYS[overlay_name]
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": overlay.namespace}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "aftersales", "namespace": overlay.namespace},
            "data": {
                "kafka_bootstrap": overlay.kafka_bootstrap,
                "kafka_security_protocol": "SASL_SSL"
                if overlay.name == "production"
                else "PLAINTEXT",
                "otlp_endpoint": "http://otel-collector.observability:4318",
                "partitions": str(PARTITIONS),
            },
        },
    ]
    for name in SERVICES:
        docs += component(name, overlay)
    docs += component(CONSOLE, overlay, service=False)
    return docs


def main(argv: list[str]) -> int:
    overlay = argv[1] if len(argv) > 1 else "production"
    if overlay not in OVERLAYS:
        print(f"overlay is one of {', '.join(OVERLAYS)}", file=sys.stderr)
        return 2
    print(yaml.safe_dump_all(render(overlay), sort_keys=False, allow_unicode=True), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
