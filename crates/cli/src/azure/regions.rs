//! Azure regions with availability zones. AKS spreads the Neo4j pool over zones 1, 2 and 3, so a
//! region without zones is refused before anything is deployed.
//!
//! Source: Microsoft Learn, "Azure regions list" (https://learn.microsoft.com/azure/reliability/regions-list,
//! column "Availability zones") and "Availability zone service and regional support"
//! (https://learn.microsoft.com/azure/reliability/availability-zones-service-support), as read
//! in December 2026. Public cloud regions only; Azure adds zones to regions over time, hence
//! `--assume-zones` for a region this table does not know yet.

/// Programmatic names (`az account list-locations --query [].name`) of regions with three
/// availability zones.
pub const ZONE_REGIONS: &[&str] = &[
    // Americas
    "brazilsouth",
    "canadacentral",
    "centralus",
    "eastus",
    "eastus2",
    "mexicocentral",
    "southcentralus",
    "westus2",
    "westus3",
    // Europe
    "austriaeast",
    "belgiumcentral",
    "francecentral",
    "germanywestcentral",
    "italynorth",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "swedencentral",
    "switzerlandnorth",
    "uksouth",
    "westeurope",
    // Middle East
    "israelcentral",
    "qatarcentral",
    "uaenorth",
    // Africa
    "southafricanorth",
    // Asia Pacific
    "australiaeast",
    "centralindia",
    "eastasia",
    "japaneast",
    // Marked in the service-support page with an asterisk (availability through Microsoft
    // sales); listed because their zones exist.
    "japanwest",
    "koreacentral",
    "newzealandnorth",
    "southeastasia",
];

/// Regions the same sources list without availability zones: named in the error so the user
/// learns it is the region, not a typo.
pub const NO_ZONE_REGIONS: &[&str] = &[
    "australiacentral",
    "australiacentral2",
    "australiasoutheast",
    "brazilsoutheast",
    "canadaeast",
    "francesouth",
    "germanynorth",
    "koreasouth",
    "northcentralus",
    "norwaywest",
    "southafricawest",
    "southindia",
    "switzerlandwest",
    "uaecentral",
    "ukwest",
    "westcentralus",
    "westindia",
    "westus",
];

/// Why `location` cannot carry a zone-redundant cluster, or `None` when it can.
pub fn zone_problem(location: &str, assume_zones: bool) -> Option<String> {
    if ZONE_REGIONS.contains(&location) || assume_zones {
        return None;
    }
    let known = ZONE_REGIONS.join(", ");
    Some(if NO_ZONE_REGIONS.contains(&location) {
        format!(
            "{location} has no availability zones; the Neo4j node pool spreads members over zones 1-3. Regions with zones: {known}"
        )
    } else {
        format!(
            "{location:?} is not a region with availability zones known to this release (programmatic names, lowercase, e.g. westeurope). \
             Regions with zones: {known}. If Azure lists it with zones now, pass --assume-zones"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_lists_are_disjoint_sorted_within_a_group_and_lowercase() {
        for region in ZONE_REGIONS.iter().chain(NO_ZONE_REGIONS) {
            assert_eq!(region.to_ascii_lowercase(), *region);
            assert!(!region.contains(' '));
        }
        for region in NO_ZONE_REGIONS {
            assert!(!ZONE_REGIONS.contains(region), "{region} in both lists");
        }
    }

    #[test]
    fn zone_regions_pass_and_others_are_refused_with_the_rule() {
        assert_eq!(zone_problem("westeurope", false), None);
        let west_us = zone_problem("westus", false).expect("westus has no zones");
        assert!(
            west_us.contains("westus has no availability zones"),
            "{west_us}"
        );
        let typo = zone_problem("West Europe", false).expect("display names are not accepted");
        assert!(typo.contains("programmatic names"), "{typo}");
        assert_eq!(zone_problem("someregion", true), None);
    }
}
