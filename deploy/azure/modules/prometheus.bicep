// Data collection for the cluster (managed Prometheus metrics to the Azure Monitor workspace,
// Container Insights to Log Analytics) and the alert rules. The rules are generated from the
// same definitions as deploy/monitoring/neo4j-aks.rules.yaml (`neo4j-aks azure alert-rules`,
// drift-checked by the tests) and loaded here unchanged.
param location string
param aksName string
param azureMonitorWorkspaceId string
param logAnalyticsWorkspaceId string
param actionGroupId string
param tags object

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: aksName
}

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2022-06-01' = {
  name: 'dce-${aksName}'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {}
}

resource prometheusRule 'Microsoft.Insights/dataCollectionRules@2022-06-01' = {
  name: 'dcr-${aksName}-prometheus'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    dataCollectionEndpointId: endpoint.id
    dataSources: {
      prometheusForwarder: [
        {
          name: 'PrometheusDataSource'
          streams: ['Microsoft-PrometheusMetrics']
          labelIncludeFilter: {}
        }
      ]
    }
    destinations: {
      monitoringAccounts: [
        {
          accountResourceId: azureMonitorWorkspaceId
          name: 'MonitoringAccount'
        }
      ]
    }
    dataFlows: [
      {
        streams: ['Microsoft-PrometheusMetrics']
        destinations: ['MonitoringAccount']
      }
    ]
  }
}

resource insightsRule 'Microsoft.Insights/dataCollectionRules@2022-06-01' = {
  name: 'dcr-${aksName}-insights'
  location: location
  tags: tags
  kind: 'Linux'
  properties: {
    dataSources: {
      extensions: [
        {
          name: 'ContainerInsightsExtension'
          extensionName: 'ContainerInsights'
          streams: ['Microsoft-ContainerInsights-Group-Default']
          extensionSettings: {
            dataCollectionSettings: {
              interval: '1m'
              namespaceFilteringMode: 'Off'
              enableContainerLogV2: true
            }
          }
        }
      ]
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: logAnalyticsWorkspaceId
          name: 'LogAnalytics'
        }
      ]
    }
    dataFlows: [
      {
        streams: ['Microsoft-ContainerInsights-Group-Default']
        destinations: ['LogAnalytics']
      }
    ]
  }
}

resource prometheusAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2022-06-01' = {
  name: 'prometheus'
  scope: aks
  properties: {
    dataCollectionRuleId: prometheusRule.id
  }
}

resource insightsAssociation 'Microsoft.Insights/dataCollectionRuleAssociations@2022-06-01' = {
  name: 'container-insights'
  scope: aks
  properties: {
    dataCollectionRuleId: insightsRule.id
  }
}

var alertRules = loadJsonContent('../alert-rules.json')
var actions = empty(actionGroupId) ? {} : { actions: [{ actionGroupId: actionGroupId }] }

resource alerts 'Microsoft.AlertsManagement/prometheusRuleGroups@2023-03-01' = {
  name: 'neo4j-aks-${aksName}'
  location: location
  tags: tags
  properties: {
    description: 'neo4j-aks alert rules (generated: neo4j-aks azure alert-rules)'
    clusterName: aksName
    enabled: true
    interval: 'PT1M'
    scopes: [azureMonitorWorkspaceId, aks.id]
    rules: [for rule in alertRules: union(rule, actions)]
  }
}
