//go:build tools

// Package tools keeps the Gateway API module in go.mod and go.sum; only its CRD YAML files are used.
package tools

import _ "sigs.k8s.io/gateway-api/apis/v1"
