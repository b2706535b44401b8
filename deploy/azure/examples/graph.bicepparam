using '../main.bicep'

param aksName = 'aks-graph'
param allowedIpRanges = [
  '203.0.113.0/24'
]
param backupContainerName = 'neo4j-backups-graph'
param backupCoolAfterDays = 29
param backupServiceAccount = 'graph-backup'
param clusterAdminPrincipalIds = [
  '00000000-0000-0000-0000-000000000001'
]
param keyVaultName = 'kv-graph-01'
param kubernetesVersion = '1.33'
param location = 'westeurope'
param maintenanceDay = 'Sunday'
param maintenanceStartHour = 1
param memberServiceAccount = 'graph-sa'
param neo4jNamespace = 'graph'
param neo4jNodeMaxCount = 5
param neo4jNodeMinCount = 3
param neo4jNodeVmSize = 'Standard_E8ds_v5'
param neo4jPorts = [
  6000
  7000
  7688
  7687
  7474
  7473
  6362
  2004
]
param operatorNamespace = 'neo4j-aks-system'
param operatorServiceAccount = 'neo4j-aks-operator'
param storageAccountName = 'graphbackups01'
param systemNodeVmSize = 'Standard_D4ds_v5'
param tags = {
  app: 'neo4j-aks'
  'neo4j-cluster': 'graph.graph'
}
param undoDays = 14
