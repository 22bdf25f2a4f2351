#!/usr/bin/env sh
# Render the manifests of every service: deploy/k8s/render.sh registry.example/aftersales 0.1.0
# Several replicas per service are safe: consumers share a group, relays claim outbox lanes
# with FOR UPDATE SKIP LOCKED, migrations take an advisory lock.
set -eu
REGISTRY="${1:?registry prefix}"; TAG="${2:?image tag}"; REPLICAS="${REPLICAS:-2}"
cd "$(dirname "$0")"
cat configmap.yaml
for SERVICE in reception workshop parts warranty crm; do
  echo "---"
  SERVICE="$SERVICE" IMAGE="$REGISTRY-$SERVICE:$TAG" REPLICAS="$REPLICAS" envsubst < service.yaml.tmpl
done
