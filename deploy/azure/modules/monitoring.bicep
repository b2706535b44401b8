// Where monitoring data lands: a Log Analytics workspace (Container Insights) and an Azure
// Monitor workspace (managed Prometheus).
param location string
param baseName string
param tags object

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${baseName}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource prometheus 'Microsoft.Monitor/accounts@2023-04-03' = {
  name: 'amw-${baseName}'
  location: location
  tags: tags
}

output logAnalyticsWorkspaceId string = logs.id
output azureMonitorWorkspaceId string = prometheus.id
