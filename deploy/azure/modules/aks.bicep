// AKS: a system pool and a Neo4j user pool, each across zones 1-3; Azure CNI overlay with the
// Cilium dataplane, which enforces the cluster's NetworkPolicies; OIDC issuer and workload
// identity; Entra ID with Azure RBAC and no local accounts; cluster autoscaler; node OS and
// patch upgrades in a weekly maintenance window; Container Insights and managed Prometheus.
param location string
param name string
param kubernetesVersion string
param systemNodeVmSize string
param neo4jNodeVmSize string
param neo4jNodeMinCount int
param neo4jNodeMaxCount int
param subnetId string
param podCidr string
param allowedIpRanges array
param clusterAdminPrincipalIds array
param logAnalyticsWorkspaceId string
param maintenanceDay string
param maintenanceStartHour int
param tags object

var zones = ['1', '2', '3']

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: 'Base'
    // Standard: the financially backed API server SLA, needed for a production database.
    tier: 'Standard'
  }
  properties: {
    kubernetesVersion: kubernetesVersion
    dnsPrefix: name
    enableRBAC: true
    disableLocalAccounts: true
    aadProfile: {
      managed: true
      enableAzureRBAC: true
    }
    apiServerAccessProfile: {
      authorizedIPRanges: allowedIpRanges
    }
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
    autoUpgradeProfile: {
      upgradeChannel: 'patch'
      nodeOSUpgradeChannel: 'NodeImage'
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: 'cilium'
      networkPolicy: 'cilium'
      podCidr: podCidr
      serviceCidr: '10.0.0.0/16'
      dnsServiceIP: '10.0.0.10'
      loadBalancerSku: 'standard'
      outboundType: 'loadBalancer'
    }
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        vmSize: systemNodeVmSize
        osType: 'Linux'
        osSKU: 'AzureLinux'
        osDiskType: 'Ephemeral'
        availabilityZones: zones
        vnetSubnetID: subnetId
        enableAutoScaling: true
        count: 3
        minCount: 3
        maxCount: 6
        maxPods: 110
        enableEncryptionAtHost: true
        // Only system pods here: the Neo4j members go to the neo4j pool.
        nodeTaints: ['CriticalAddonsOnly=true:NoSchedule']
        upgradeSettings: {
          maxSurge: '1'
        }
      }
      {
        name: 'neo4j'
        mode: 'User'
        vmSize: neo4jNodeVmSize
        osType: 'Linux'
        osSKU: 'AzureLinux'
        osDiskType: 'Ephemeral'
        availabilityZones: zones
        vnetSubnetID: subnetId
        enableAutoScaling: true
        count: neo4jNodeMinCount
        minCount: neo4jNodeMinCount
        maxCount: neo4jNodeMaxCount
        maxPods: 110
        enableEncryptionAtHost: true
        nodeLabels: {
          'neo4j-aks.io/pool': 'neo4j'
        }
        // One node at a time: a drained node takes one member, the operator keeps quorum.
        upgradeSettings: {
          maxSurge: '1'
        }
      }
    ]
    autoScalerProfile: {
      // Member pods mount emptyDir volumes (conf, logs, tmp): the autoscaler then never removes
      // a node under a running member; the operator, not the autoscaler, moves members.
      'skip-nodes-with-local-storage': 'true'
      'balance-similar-node-groups': 'true'
    }
    addonProfiles: {
      omsagent: {
        enabled: true
        config: {
          logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId
          useAADAuth: 'true'
        }
      }
      azureKeyvaultSecretsProvider: {
        enabled: true
        config: {
          enableSecretRotation: 'true'
          rotationPollInterval: '2m'
        }
      }
      azurepolicy: {
        enabled: true
      }
    }
    azureMonitorProfile: {
      metrics: {
        enabled: true
      }
    }
  }
}

resource maintenance 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations@2024-09-01' = {
  parent: aks
  name: 'aksManagedAutoUpgradeSchedule'
  properties: {
    maintenanceWindow: {
      schedule: {
        weekly: {
          dayOfWeek: maintenanceDay
          intervalWeeks: 1
        }
      }
      durationHours: 4
      startTime: '${padLeft(string(maintenanceStartHour), 2, '0')}:00'
      utcOffset: '+00:00'
    }
  }
}

resource nodeOsMaintenance 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations@2024-09-01' = {
  parent: aks
  name: 'aksManagedNodeOSUpgradeSchedule'
  properties: {
    maintenanceWindow: {
      schedule: {
        weekly: {
          dayOfWeek: maintenanceDay
          intervalWeeks: 1
        }
      }
      durationHours: 4
      startTime: '${padLeft(string(maintenanceStartHour), 2, '0')}:00'
      utcOffset: '+00:00'
    }
  }
}

// Azure Kubernetes Service RBAC Cluster Admin.
var clusterAdminRole = 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b'

resource clusterAdmins 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in clusterAdminPrincipalIds: {
    name: guid(aks.id, principalId, clusterAdminRole)
    scope: aks
    properties: {
      principalId: principalId
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', clusterAdminRole)
    }
  }
]

output name string = aks.name
output id string = aks.id
output oidcIssuerUrl string = aks.properties.oidcIssuerProfile.issuerURL
