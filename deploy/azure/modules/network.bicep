// VNet with one subnet for all AKS nodes (Azure CNI overlay: pods take addresses from podCidr,
// not from the subnet). The subnet's NSG adds explicit allows for the Neo4j member ports between
// nodes and pods, so no later deny rule can cut a cluster apart, and service endpoints so the
// storage account and Key Vault can admit this subnet only.
param location string
param name string
param neo4jPorts array
param tags object

var addressSpace = '10.224.0.0/16'
var nodeSubnet = '10.224.0.0/20'
var podCidr = '10.244.0.0/16'

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-${name}-nodes'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-neo4j-members-from-nodes-and-pods'
        properties: {
          priority: 200
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: [nodeSubnet, podCidr]
          sourcePortRange: '*'
          destinationAddressPrefixes: [nodeSubnet, podCidr]
          destinationPortRanges: [for port in neo4jPorts: string(port)]
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressSpace]
    }
    subnets: [
      {
        name: 'nodes'
        properties: {
          addressPrefix: nodeSubnet
          networkSecurityGroup: {
            id: nsg.id
          }
          serviceEndpoints: [
            { service: 'Microsoft.Storage' }
            { service: 'Microsoft.KeyVault' }
          ]
        }
      }
    ]
  }
}

output nodeSubnetId string = vnet.properties.subnets[0].id
output podCidr string = podCidr
