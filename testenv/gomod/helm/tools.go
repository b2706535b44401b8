//go:build tools

// Package tools pins the helm command testenv/helm.sh builds (the operator chart tests run
// `helm lint` and `helm template` on deploy/helm/neo4j-aks-operator).
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
