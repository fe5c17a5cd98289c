#!/usr/bin/env bash
# Prints the path of one YAML file with the CRDs of the traffic routers Sluice drives besides the Gateway API
# (whose CRDs come with the control plane, see build-cluster.sh), taken from each project's own published
# definitions through the Go module proxy, pinned in test/cluster/go/routerCrds:
#   Istio  istio.io/api kubernetes/customresourcedefinitions.gen.yaml: VirtualService and DestinationRule
#   SMI    github.com/servicemeshinterface/smi-sdk-go crds/split.yaml: TrafficSplit
# (Ingress, which ingress-nginx reads, is built into Kubernetes.) Cached outside the repo, keyed by the pins and
# this script, so that a second run is instant and changing a pin does not rebuild the control plane.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/test/cluster/go/routerCrds"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod/go.mod" "$mod/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/router-crds-$key/router-crds.yaml"
if [ ! -f "$out" ]; then
  mkdir -p "$(dirname "$out")"
  dir_of() { (cd "$mod" && go mod download "$1" && go list -m -f '{{.Dir}}' "$1"); }
  istio=$(dir_of istio.io/api)
  smi=$(dir_of github.com/servicemeshinterface/smi-sdk-go)
  {
    # The generated file holds every Istio CRD; keep the two the router uses (documents split on ---).
    awk -v want='virtualservices.networking.istio.io|destinationrules.networking.istio.io' '
      function flush() { if (doc ~ ("\n  name: (" want ")\n")) printf "---\n%s", doc; doc = "" }
      /^---/ { flush(); next }
      { doc = doc $0 "\n" }
      END { flush() }' "$istio/kubernetes/customresourcedefinitions.gen.yaml"
    printf -- '---\n'; cat "$smi/crds/split.yaml"
  } > "$out.partial"
  mv "$out.partial" "$out" # last: a run stopped half-way is built again
fi
echo "$out"
