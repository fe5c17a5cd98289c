#!/usr/bin/env bash
# Prints the path of the OpenTelemetry Collector that the traces story sends Sluice's spans to
# (test/cluster/go/otelcol: the OTLP receiver and the file exporter), building it on first use into a cache outside
# the repo, keyed by its pinned modules, its sources and this script. Cold: about a minute on 2 cores with the Go
# build cache of the cluster's binaries already filled (grpc, protobuf); a relink after that.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/test/cluster/go/otelcol"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod"/go.mod "$mod"/go.sum "$mod"/*.go "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/otelcol-$key"
if [ ! -x "$out/otelcol" ]; then
  mkdir -p "$cache"
  # One build at a time: a parallel test run waits, then finds it built.
  exec 9>"$cache/.otelcol.lock"
  flock 9
  if [ ! -x "$out/otelcol" ]; then
    printf '[otelcol] building the OpenTelemetry Collector (first run: a minute or more)\n' >&2
    mkdir -p "$out"
    (cd "$mod" && go build -o "$out/otelcol.partial" .)
    mv "$out/otelcol.partial" "$out/otelcol" # last: a build stopped half-way is built again
    # Older builds are ~40 MB each; the Go build cache makes a rebuild of one of them a relink.
    find "$cache" -maxdepth 1 -name 'otelcol-*' ! -path "$out" -exec rm -rf {} +
  fi
fi
echo "$out/otelcol"
