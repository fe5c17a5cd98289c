#!/usr/bin/env bash
# Prints the path of the custom metrics adapter that the autoscaling stories register as an aggregated API
# (test/cluster/go/metricsadapter), building it on first use into a cache outside the repo, keyed by its pinned
# modules, its sources and this script. Cold: a few minutes on 2 cores (it compiles k8s.io/apiserver).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/test/cluster/go/metricsadapter"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod"/go.mod "$mod"/go.sum "$mod"/*.go "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/metrics-adapter-$key"
if [ ! -x "$out/metrics-adapter" ]; then
  mkdir -p "$cache"
  # One build at a time: a parallel test run waits, then finds it built.
  exec 9>"$cache/.metrics-adapter.lock"
  flock 9
  if [ ! -x "$out/metrics-adapter" ]; then
    printf '[metrics-adapter] building the custom metrics adapter (first run: a few minutes)\n' >&2
    mkdir -p "$out"
    (cd "$mod" && go build -o "$out/metrics-adapter.partial" .)
    mv "$out/metrics-adapter.partial" "$out/metrics-adapter" # last: a build stopped half-way is built again
    # Older builds are 110 MB each; the Go build cache makes a rebuild of one of them a relink.
    find "$cache" -maxdepth 1 -name 'metrics-adapter-*' ! -path "$out" -exec rm -rf {} +
  fi
fi
echo "$out/metrics-adapter"
