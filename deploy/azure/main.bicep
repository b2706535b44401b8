// Azure side of a neo4j-aks cluster: network, AKS across three zones, workload identities,
// backup storage, Key Vault and monitoring. Parameters: `neo4j-aks azure params` writes them
// from a Neo4jCluster spec (docs/azure.md lists each one). Deploy into one resource group:
//   az deployment group create -g RG -n neo4j-aks-NAME --parameters main.bicepparam
targetScope = 'resourceGroup'

@description('Region; must have availability zones (checked by neo4j-aks azure params).')
param location string

@description('AKS cluster name.')
@minLength(1)
@maxLength(63)
param aksName string

@description('Kubernetes version (major.minor[.patch]) AKS offers in the region.')
param kubernetesVersion string

@description('VM size of the system pool (one node per zone).')
param systemNodeVmSize string

@description('VM size of the Neo4j pool (one member per node).')
param neo4jNodeVmSize string

@description('Neo4j pool size: one node per member.')
@minValue(1)
param neo4jNodeMinCount int

@description('Neo4j pool upper bound for the cluster autoscaler (surge and replacement nodes).')
param neo4jNodeMaxCount int

@description('TCP ports Neo4j members listen on (cluster, raft, routing, bolt, http(s), backup, metrics).')
param neo4jPorts array

@description('Namespace of the Neo4jCluster.')
param neo4jNamespace string

@description('Namespace and ServiceAccount of the operator.')
param operatorNamespace string
param operatorServiceAccount string

@description('ServiceAccount of the member pods (seed init containers, Key Vault CSI).')
param memberServiceAccount string

@description('ServiceAccount of the backup and verification Jobs.')
param backupServiceAccount string

@description('Storage account for backups (globally unique, 3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Blob container the backups go to.')
param backupContainerName string

@description('Days after which backup blobs move to the Cool tier; 0 never (derived from the GFS retention).')
@minValue(0)
param backupCoolAfterDays int

@description('Days deleted blobs, containers and pruned versions stay recoverable.')
@minValue(7)
@maxValue(365)
param undoDays int

@description('Key Vault name (globally unique).')
@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Public IPv4 addresses or ranges allowed to the API server, storage account and Key Vault.')
param allowedIpRanges array = []

@description('Entra object IDs granted Azure Kubernetes Service RBAC Cluster Admin.')
param clusterAdminPrincipalIds array = []

@description('Day of the weekly maintenance window.')
@allowed(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])
param maintenanceDay string

@description('Start hour (UTC) of the 4-hour maintenance window.')
@minValue(0)
@maxValue(23)
param maintenanceStartHour int

@description('Action group the alerts notify (resource ID); empty for none.')
param actionGroupId string = ''

param tags object = {}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    name: 'vnet-${aksName}'
    neo4jPorts: neo4jPorts
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring-workspaces'
  params: {
    location: location
    baseName: aksName
    tags: tags
  }
}

module aks 'modules/aks.bicep' = {
  name: 'aks'
  params: {
    location: location
    name: aksName
    kubernetesVersion: kubernetesVersion
    systemNodeVmSize: systemNodeVmSize
    neo4jNodeVmSize: neo4jNodeVmSize
    neo4jNodeMinCount: neo4jNodeMinCount
    neo4jNodeMaxCount: neo4jNodeMaxCount
    subnetId: network.outputs.nodeSubnetId
    podCidr: network.outputs.podCidr
    allowedIpRanges: allowedIpRanges
    clusterAdminPrincipalIds: clusterAdminPrincipalIds
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    maintenanceDay: maintenanceDay
    maintenanceStartHour: maintenanceStartHour
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: storageAccountName
    containerName: backupContainerName
    coolAfterDays: backupCoolAfterDays
    undoDays: undoDays
    allowedIpRanges: allowedIpRanges
    subnetId: network.outputs.nodeSubnetId
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: keyVaultName
    allowedIpRanges: allowedIpRanges
    subnetId: network.outputs.nodeSubnetId
    tags: tags
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    baseName: aksName
    oidcIssuerUrl: aks.outputs.oidcIssuerUrl
    operatorSubject: 'system:serviceaccount:${operatorNamespace}:${operatorServiceAccount}'
    memberSubject: 'system:serviceaccount:${neo4jNamespace}:${memberServiceAccount}'
    backupSubject: 'system:serviceaccount:${neo4jNamespace}:${backupServiceAccount}'
    storageAccountName: storage.outputs.name
    backupContainerName: backupContainerName
    keyVaultName: keyVault.outputs.name
    tags: tags
  }
}

module prometheus 'modules/prometheus.bicep' = {
  name: 'prometheus'
  params: {
    location: location
    aksName: aks.outputs.name
    azureMonitorWorkspaceId: monitoring.outputs.azureMonitorWorkspaceId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    actionGroupId: actionGroupId
    tags: tags
  }
}

output aksName string = aks.outputs.name
output oidcIssuerUrl string = aks.outputs.oidcIssuerUrl
output operatorClientId string = identities.outputs.operatorClientId
output memberClientId string = identities.outputs.memberClientId
output backupClientId string = identities.outputs.backupClientId
output tenantId string = tenant().tenantId
output storageAccountName string = storage.outputs.name
output keyVaultName string = keyVault.outputs.name
