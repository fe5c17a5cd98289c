//go:build tools

// Package tools keeps the helm command in go.mod and go.sum: test/setup/helm.sh builds it to lint, render and
// install the chart in manifests/helm/sluice. Nothing here is part of Sluice.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
