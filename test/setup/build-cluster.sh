#!/usr/bin/env bash
# Builds the local control plane's binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# kwok) from the Go module proxy, with kwok's stages and the Gateway API CRDs, into the cache folder that
# cluster-bin-dir.sh names, unless they are there already.
# Cold: about 13 minutes on 2 cores; the Go module and build caches stay in their default places, so a rebuild after
# a flag change is mostly a relink.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
log() { printf '[build-cluster] %s\n' "$*" >&2; }

bin_dir=$("$root/test/setup/cluster-bin-dir.sh")
mkdir -p "$(dirname "$bin_dir")"
# One build at a time per machine: a second caller (another checkout, a parallel test run) waits, then finds it done.
exec 9>"$(dirname "$bin_dir")/.build.lock"
flock 9
wanted=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
have_all=true
for b in "${wanted[@]}"; do [ -x "$bin_dir/$b" ] || have_all=false; done
if ! $have_all || [ ! -f "$bin_dir/kwok-stages.yaml" ] || [ ! -f "$bin_dir/gateway-api-crds.yaml" ]; then
  log "building the local control plane into $bin_dir (cold: several minutes on 2 cores; cached afterwards)"
  tmp="$bin_dir.partial"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # Stamp the version that `go build` of a module leaves blank (kubectl refuses to parse "v0.0.0-master+$Format").
  k8s_version=$(cd "$root/test/cluster/go/k8s" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  minor=$(echo "$k8s_version" | cut -d. -f2)
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$root/test/cluster/go/k8s" && go build -ldflags "$ldflags" -o "$tmp/" ./etcd \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  (cd "$root/test/cluster/go/kwok" && go build -o "$tmp/" sigs.k8s.io/kwok/cmd/kwok)
  # kwok's own "fast" stages: nodes become Ready and keep a lease, pods turn Running/Ready and are deleted cleanly.
  kwok_dir=$(cd "$root/test/cluster/go/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    printf -- '---\n'; cat "$kwok_dir/kustomize/stage/$f"
  done > "$tmp/kwok-stages.yaml"
  # The Gateway API's standard CRDs, installed by `cluster up` so HTTPRoutes exist as on a real cluster.
  gw_dir=$(cd "$root/test/cluster/go/crds" && go mod download sigs.k8s.io/gateway-api && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
  for k in gatewayclasses gateways httproutes grpcroutes referencegrants; do
    printf -- '---\n'; cat "$gw_dir/config/crd/standard/gateway.networking.k8s.io_$k.yaml"
  done > "$tmp/gateway-api-crds.yaml"
  rm -rf "$bin_dir" && mv "$tmp" "$bin_dir"
  # Older builds are 700 MB each; the Go build cache makes a rebuild of one of them a relink.
  find "$(dirname "$(dirname "$bin_dir")")" -maxdepth 1 -name 'cluster-*' ! -path "$(dirname "$bin_dir")" -exec rm -rf {} +
fi
