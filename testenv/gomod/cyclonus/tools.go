//go:build tools

// Package tools pins the cyclonus command testenv/netpol-analyzer.sh builds.
package tools

import _ "github.com/mattfenwick/cyclonus/cmd/cyclonus"
