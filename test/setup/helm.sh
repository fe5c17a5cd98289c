#!/usr/bin/env bash
# Prints a folder holding the helm command that the chart tests (test/integration/helmChart*.test.ts) use to lint,
# render and install manifests/helm/sluice, building it on first use into a cache outside the repo, keyed by the
# pinned module (test/cluster/go/helm) and this script. Built the way helm's own Makefile builds a release: its
# version, and the Kubernetes version that `helm template` and `helm lint` assume, from the pinned client-go.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/test/cluster/go/helm"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod/go.mod" "$mod/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/helm-$key"
if [ ! -x "$out/helm" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.helm.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  printf '[helm] building helm (first run: a minute or two)\n' >&2
  (
    cd "$mod"
    version=$(go list -f '{{.Version}}' -m helm.sh/helm/v3)
    # client-go v0.N.x is the client of Kubernetes 1.N (helm's Makefile derives it the same way).
    client_go=$(go list -f '{{.Version}}' -m k8s.io/client-go)
    IFS=. read -r zero minor _ <<<"${client_go#v}"
    k8s_major=$((zero + 1))
    ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      ldflags+=" -X $pkg.k8sVersionMajor=$k8s_major -X $pkg.k8sVersionMinor=$minor"
    done
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/helm" helm.sh/helm/v3/cmd/helm
  )
  mkdir -p "$out"
  mv "$work/helm" "$out/helm" # last: a run stopped half-way is built again
fi
echo "$out"
