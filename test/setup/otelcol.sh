#!/usr/bin/env bash
# Prints the path of the OpenTelemetry Collector that the traces story sends Sluice's spans to
# (test/cluster/go/otelcol: the OTLP receiver and the file exporter), building it on first use into a cache outside
# the repo (go-tool.sh). Cold: about a minute on 2 cores with the Go build cache of the cluster's binaries already
# filled (grpc, protobuf); a relink after that.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/go-tool.sh"
go_tool otelcol "$here/../cluster/go/otelcol" "${BASH_SOURCE[0]}" \
  'building the OpenTelemetry Collector (first run: a minute or more)'
