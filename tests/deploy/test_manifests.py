"""The Kubernetes manifests render and validate against the Kubernetes schemas; the compose
file is complete. (No cluster or Docker engine here: this is what can be checked.)"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deploy.k8s.render import OVERLAYS, PARTITIONS, SERVICES, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_manifest_is_valid_kubernetes(overlay: str) -> None:
    docs = render(overlay)
    for doc in docs:
        kubernetes_validate.validate(doc, "1.31", strict=True)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for service in SERVICES:
        for kind in (
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "ServiceAccount",
        ):
            assert (kind, service) in kinds, (kind, service)
    assert any(k == "Job" and n.startswith("reception-migrate") for k, n in kinds)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_replicas_never_outnumber_partitions(overlay: str) -> None:
    for doc in render(overlay):
        if doc["kind"] == "HorizontalPodAutoscaler":
            assert doc["spec"]["maxReplicas"] <= PARTITIONS


def test_production_has_no_demo_logins_and_probes_health() -> None:
    for doc in render("production"):
        if doc["kind"] == "Deployment":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["DEMO_LOGINS"] == "false"
            assert container["readinessProbe"]["httpGet"]["path"] == "/health"


def test_compose_runs_kafka_postgres_every_service_and_the_console() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka")
    assert "postgres" in services and "topics" in services
    for name in (*SERVICES, "console"):
        assert name in services, name
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].endswith(f"/{name}")


def test_the_grafana_dashboard_only_charts_metrics_the_services_export() -> None:
    import json
    import re

    from shared import observability

    exported = {
        metric._name
        for metric in vars(observability).values()
        if hasattr(metric, "_name") and hasattr(metric, "labels")
    }
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "aftersales-services.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names = {
                re.sub(r"_(bucket|total|count|sum)$", "", token)
                for token in re.findall(r"aftersales_[a-z_]+", target["expr"])
            }
            assert names, panel["title"]
            assert names <= exported, (names - exported, panel["title"])
