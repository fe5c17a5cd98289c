#!/usr/bin/env bash
# Prints the cache folder that holds the local control plane's binaries. The key is a hash of the pinned
# Go modules (go.mod + go.sum) and the build script, so changing either builds anew and going back reuses the old build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
# build-cluster.sh is part of the key: it holds the build flags.
key=$(cat "$root"/test/cluster/go/k8s/go.{mod,sum} "$root"/test/cluster/go/kwok/go.{mod,sum} "$root"/test/cluster/go/crds/go.{mod,sum} "$root"/test/setup/build-cluster.sh | sha256sum | cut -c1-12)
echo "$cache/cluster-$key/bin"
