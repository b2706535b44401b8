// User-assigned identities federated with the cluster's ServiceAccounts (AKS workload identity)
// and their role assignments, each as narrow as the work needs:
//   operator: none (the operator calls no Azure API today; the identity gives its ServiceAccount
//             a stable client ID to annotate when one is needed)
//   backup:   Storage Blob Data Contributor on the backup container (upload, list, prune)
//   member:   Storage Blob Data Reader on the backup container (seed init containers) and
//             Key Vault Secrets User on the vault (admin password through the CSI driver)
param location string
param baseName string
param oidcIssuerUrl string
param operatorSubject string
param memberSubject string
param backupSubject string
param storageAccountName string
param backupContainerName string
param keyVaultName string
param tags object

// Built-in role definition IDs (Azure built-in roles, Storage and Security categories).
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

var federated = [
  { name: 'operator', subject: operatorSubject }
  { name: 'member', subject: memberSubject }
  { name: 'backup', subject: backupSubject }
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = [
  for f in federated: {
    name: 'id-${baseName}-${f.name}'
    location: location
    tags: tags
  }
]

@batchSize(1) // Azure refuses concurrent federated credential writes on one identity.
resource credential 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [
  for (f, i) in federated: {
    parent: identity[i]
    name: 'aks-${f.name}'
    properties: {
      issuer: oidcIssuerUrl
      subject: f.subject
      audiences: ['api://AzureADTokenExchange']
    }
  }
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobs
  name: backupContainerName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource backupWrites 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, 'backup', blobDataContributor)
  scope: container
  properties: {
    principalId: identity[2].properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
  }
}

resource memberReadsBackups 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, 'member', blobDataReader)
  scope: container
  properties: {
    principalId: identity[1].properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
  }
}

resource memberReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, 'member', keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity[1].properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

output operatorClientId string = identity[0].properties.clientId
output memberClientId string = identity[1].properties.clientId
output backupClientId string = identity[2].properties.clientId
