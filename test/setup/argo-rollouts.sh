#!/usr/bin/env bash
# Prints the path of Argo Rollouts' controller (v1.9.1, pinned in bench/argo/go.mod), for the side-by-side
# benchmark of issue 20. Built from its Go module on first use into a cache outside the repo. `go install
# ...@v1.9.1` refuses the module because its go.mod has replace directives; bench/argo is a wrapper module that
# requires it, repeats those replaces and names cmd/rollouts-controller as a tool, as the local control plane's
# build does for Kubernetes. Cold: about 16 minutes on 2 busy cores (it compiles client-go and the cloud SDKs).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mod="$root/bench/argo"
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
key=$(cat "$mod"/go.mod "$mod"/go.sum "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
out="$cache/argo-rollouts-$key"
if [ ! -x "$out/rollouts-controller" ]; then
  mkdir -p "$cache"
  exec 9>"$cache/.argo-rollouts.lock"
  flock 9
  if [ ! -x "$out/rollouts-controller" ]; then
    printf '[argo-rollouts] building Argo Rollouts v1.9.1 from its Go module (first run: many minutes)\n' >&2
    mkdir -p "$out"
    (cd "$mod" && go build -o "$out/rollouts-controller.partial" github.com/argoproj/argo-rollouts/cmd/rollouts-controller)
    mv "$out/rollouts-controller.partial" "$out/rollouts-controller"
  fi
fi
echo "$out/rollouts-controller"
