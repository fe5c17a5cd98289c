#!/usr/bin/env bash
# Sourced by the scripts that print the path of a Go test tool (otelcol.sh, metrics-adapter.sh).
# go_tool NAME MODULE CALLER MESSAGE builds the Go module MODULE into "$cache/NAME-<key>/NAME" on first use and
# prints that path. The key hashes the module's pinned modules and sources, the calling script and this file, so a
# change to any of them builds again.
go_tool() {
  local name=$1 mod=$2 caller=$3 message=$4
  local cache=${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
  local key out
  key=$(cat "$mod"/go.mod "$mod"/go.sum "$mod"/*.go "$caller" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
  out="$cache/$name-$key"
  if [ ! -x "$out/$name" ]; then
    mkdir -p "$cache"
    # One build at a time: a parallel test run waits, then finds it built.
    exec 9>"$cache/.$name.lock"
    flock 9
    if [ ! -x "$out/$name" ]; then
      printf '[%s] %s\n' "$name" "$message" >&2
      mkdir -p "$out"
      (cd "$mod" && go build -o "$out/$name.partial" .)
      mv "$out/$name.partial" "$out/$name" # last: a build stopped half-way is built again
      # Older builds are tens of MB each; the Go build cache makes a rebuild of one of them a relink.
      find "$cache" -maxdepth 1 -name "$name-*" ! -path "$out" -exec rm -rf {} +
    fi
  fi
  echo "$out/$name"
}
