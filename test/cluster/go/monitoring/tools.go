//go:build tools

// Package tools keeps prometheus-operator's monitoring/v1 API types and controller-gen in go.mod and go.sum.
// The Go module proxy serves the types (their own module) but not the prometheus-operator module that carries
// the released CRD YAML, so the CRD is generated from the types with controller-gen, the way upstream makes it.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
