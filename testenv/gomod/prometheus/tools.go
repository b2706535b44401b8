//go:build tools

// Package tools pins the Prometheus commands testenv/prometheus.sh builds (promtool checks and
// unit-tests the generated alert rules; prometheus scrapes the operator in the integration test).
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
