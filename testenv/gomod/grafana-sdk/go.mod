// Test tooling only: the strict Grafana dashboard checker used by testenv/grafana-sdk.sh.
module neo4j-aks.io/testenv/grafana-sdk

go 1.21

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
