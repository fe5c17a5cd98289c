#!/usr/bin/env bash
# Prints a folder holding what the manifests tests need to check Sluice's monitoring examples, building it on
# first use into a cache outside the repo, keyed by the pinned modules (test/cluster/go/monitoring) and this
# script:
#   checkconfig                                  Prometheus's own configuration loader, Kubernetes discovery
#                                                included (Debian's promtool is built without it)
#   monitoring.coreos.com_prometheusrules.yaml   the PrometheusRule CRD, generated with controller-gen from
#                                                prometheus-operator's API types, the way upstream makes its CRDs
#                                                (the module that carries upstream's YAML is not on the Go proxy)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/test/cluster/go/monitoring"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod/go.mod" "$mod/go.sum" "$mod/checkconfig/main.go" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/monitoring-tools-$key"
if [ ! -f "$out/done" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.monitoring-tools.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  printf '[monitoring-tools] building checkconfig and the PrometheusRule CRD (first run: a few minutes)\n' >&2
  (cd "$mod" && go build -o "$work/checkconfig" ./checkconfig && go build -o "$work/controller-gen" sigs.k8s.io/controller-tools/cmd/controller-gen)
  # allowDangerousTypes: other kinds of the package have float fields; only the PrometheusRule CRD is kept.
  (cd "$mod" && "$work/controller-gen" crd:crdVersions=v1,allowDangerousTypes=true \
    paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:dir="$work/crds")
  mkdir -p "$out"
  mv "$work/checkconfig" "$work/crds/monitoring.coreos.com_prometheusrules.yaml" "$out/"
  touch "$out/done" # last: a run stopped half-way is built again
fi
echo "$out"
