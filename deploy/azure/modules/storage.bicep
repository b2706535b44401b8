// Backup storage: TLS 1.2, HTTPS only, no anonymous or shared-key access (the backup Jobs use
// workload identity), reachable from the cluster subnet and the allowed IP ranges only;
// versioning plus soft delete for blobs and containers; a lifecycle policy derived from the GFS
// retention (docs/azure.md, "Backup retention and the lifecycle policy"): it never deletes a
// current blob, `neo4j-aks backup prune` does; it tiers old restore points to Cool and removes
// the versions a prune left behind, which soft delete then keeps for undoDays.
param location string
param name string
param containerName string
param coolAfterDays int
param undoDays int
param allowedIpRanges array
param subnetId string
param tags object

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    // Zone- and geo-redundant: neither a zone nor a region outage loses a backup.
    name: 'Standard_GZRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      virtualNetworkRules: [
        {
          id: subnetId
          action: 'Allow'
        }
      ]
      ipRules: [for range in allowedIpRanges: { value: range, action: 'Allow' }]
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: undoDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: undoDays
    }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

var pruned = {
  name: 'pruned-backup-versions'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: ['${containerName}/']
    }
    actions: {
      version: {
        // A previous version exists only once prune deleted (or the agent rewrote) a blob;
        // soft delete keeps it undoDays more.
        delete: {
          daysAfterCreationGreaterThan: 1
        }
      }
    }
  }
}

var cool = {
  name: 'monthly-restore-points-to-cool'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: ['${containerName}/']
    }
    actions: {
      baseBlob: {
        tierToCool: {
          daysAfterModificationGreaterThan: coolAfterDays
        }
      }
    }
  }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: coolAfterDays > 0 ? [pruned, cool] : [pruned]
    }
  }
}

output name string = account.name
output id string = account.id
