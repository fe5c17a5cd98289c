#!/usr/bin/env bash
# Installs what Sluice's tests and demo need on a fresh machine, and nothing twice:
#   - Debian packages (prometheus, postgresql, openssl, chromium, lua5.1 for the Argo CD health check's test,
#     influxdb for the InfluxDB analysis provider's) when missing;
#   - node_modules from package-lock.json when missing or older than the lock;
#   - the local control plane's binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#     kubectl, kwok), built from Go modules into a cache outside the repo, keyed by the pinned go.sum files;
#   - helm, for the Helm chart's tests, built the same way (test/setup/helm.sh).
#   - the test fixtures built from Go the same way: the monitoring checkers, the custom metrics adapter and an
#     OpenTelemetry Collector.
# Usage: ensure-deps.sh [--cluster-only]   (--cluster-only skips the packages only the test fixtures use)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster_only=false
[ "${1:-}" = "--cluster-only" ] && cluster_only=true

log() { printf '[ensure-deps] %s\n' "$*" >&2; }

# --- Debian packages ------------------------------------------------------------------------------
need_pkgs=(openssl)
$cluster_only || need_pkgs+=(prometheus postgresql chromium lua5.1 influxdb)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packages may start their own services; the tests start private instances on free ports.
  pkill -x prometheus 2>/dev/null || true
  # influxdb's starts influxd with Debian's config: every interface, :8086 and :8088, no authentication. Stopped by
  # its own service (not by name, which would stop the test runs' own influxd too) and kept from starting at boot.
  if [[ " ${missing[*]} " == *" influxdb "* ]]; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now influxdb >/dev/null 2>&1 || true
    else
      invoke-rc.d influxdb stop >/dev/null 2>&1 || true
      update-rc.d influxdb disable >/dev/null 2>&1 || true
    fi
  fi
fi

# --- npm packages ---------------------------------------------------------------------------------
if [ ! -x "$root/node_modules/.bin/node" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  log "installing npm packages (npm ci)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Kubernetes binaries from the Go module proxy -------------------------------------------------
"$root/test/setup/build-cluster.sh"
# The traffic routers' CRDs (Istio, SMI), from their published definitions.
"$root/test/setup/router-crds.sh" >/dev/null

# --- helm, which lints, renders and installs the chart in manifests/helm/sluice --------------------------
$cluster_only || "$root/test/setup/helm.sh" >/dev/null

# --- Checkers of the monitoring examples (Prometheus config loader, PrometheusRule CRD) ----------------
$cluster_only || "$root/test/setup/monitoring-tools.sh" >/dev/null
# --- The custom metrics adapter that the autoscaling stories serve Prometheus series through --------------------
$cluster_only || "$root/test/setup/metrics-adapter.sh" >/dev/null
# --- The OpenTelemetry Collector that the traces story exports Sluice's spans to ----------------------------------
$cluster_only || "$root/test/setup/otelcol.sh" >/dev/null
