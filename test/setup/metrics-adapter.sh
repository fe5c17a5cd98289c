#!/usr/bin/env bash
# Prints the path of the custom metrics adapter that the autoscaling stories register as an aggregated API
# (test/cluster/go/metricsadapter), building it on first use into a cache outside the repo (go-tool.sh).
# Cold: a few minutes on 2 cores (it compiles k8s.io/apiserver).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/go-tool.sh"
go_tool metrics-adapter "$here/../cluster/go/metricsadapter" "${BASH_SOURCE[0]}" \
  'building the custom metrics adapter (first run: a few minutes)'
