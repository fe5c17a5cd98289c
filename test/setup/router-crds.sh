#!/usr/bin/env bash
# Prints the path of one YAML file with the CRDs of the traffic routers Sluice drives besides the Gateway API
# (whose CRDs come with the control plane, see build-cluster.sh), taken from each project's own published
# definitions through the Go module proxy (checked against the Go checksum database), pinned here:
#   Istio  istio.io/api kubernetes/customresourcedefinitions.gen.yaml: VirtualService and DestinationRule
#   SMI    Open Service Mesh's TrafficSplit CRD (cmd/osm-bootstrap/crds/smi_traffic_split.yaml), which serves
#          split.smi-spec.io/v1alpha2; SMI's own smi-sdk-go ships only apiextensions v1beta1 CRDs, which
#          Kubernetes no longer accepts
# (Ingress, which ingress-nginx reads, is built into Kubernetes.) Cached outside the repo, keyed by this script,
# so that a second run is instant and changing a pin does not rebuild the control plane.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
istio_api=istio.io/api@v1.32.0
osm=github.com/openservicemesh/osm@v1.2.4
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(sha256sum < "${BASH_SOURCE[0]}" | cut -c1-12)
out="$cache/router-crds-$key/router-crds.yaml"
if [ ! -f "$out" ]; then
  mkdir -p "$(dirname "$out")"
  # Outside any module: `go mod download mod@version` then fetches just that module into the module cache.
  dir_of() { (cd / && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }
  istio=$(dir_of "$istio_api")
  osm_dir=$(dir_of "$osm")
  [ -n "$istio" ] && [ -n "$osm_dir" ] || { echo "router-crds: could not fetch $istio_api or $osm" >&2; exit 1; }
  {
    # The generated file holds every Istio CRD; keep the two the router uses (documents split on ---).
    awk -v want='virtualservices.networking.istio.io|destinationrules.networking.istio.io' '
      function flush() { if (doc ~ ("\n  name: (" want ")\n")) printf "---\n%s", doc; doc = "" }
      /^---/ { flush(); next }
      { doc = doc $0 "\n" }
      END { flush() }' "$istio/kubernetes/customresourcedefinitions.gen.yaml"
    printf -- '---\n'; cat "$osm_dir/cmd/osm-bootstrap/crds/smi_traffic_split.yaml"
  } > "$out.partial"
  mv "$out.partial" "$out" # last: a run stopped half-way is built again
fi
echo "$out"
