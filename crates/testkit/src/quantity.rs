//! Parsing of Kubernetes resource quantities (`10Gi`, `500M`, `1.5Ti`, `2e9`) into bytes, enough
//! for comparing storage requests. Not a full `resource.Quantity` implementation: milli-units and
//! negative values are rejected because they never make sense for storage sizes.

/// The quantity in bytes, or `None` if it is not a non-negative storage-style quantity.
pub fn to_bytes(q: &str) -> Option<u128> {
    let q = q.trim();
    const SUFFIXES: [(&str, u128); 12] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("Ei", 1 << 60),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("E", 1_000_000_000_000_000_000),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(s, f)| q.strip_suffix(s).map(|n| (n, *f)))
        .unwrap_or((q, 1));
    let (mantissa, exp) = match number.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<u32>().ok()?),
        None => (number, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: u128 = format!("{int}{frac}").parse().ok()?;
    let scale = 10u128.checked_pow(frac.len() as u32)?;
    let value = digits
        .checked_mul(factor)?
        .checked_mul(10u128.checked_pow(exp)?)?;
    // Round up: a storage request of 1.5 bytes needs 2.
    Some(value.div_ceil(scale))
}

#[cfg(test)]
mod tests {
    use super::to_bytes;

    #[test]
    fn parses_storage_quantities() {
        assert_eq!(to_bytes("10Gi"), Some(10 << 30));
        assert_eq!(to_bytes("1.5Ti"), Some(3 << 39));
        assert_eq!(to_bytes("500M"), Some(500_000_000));
        assert_eq!(to_bytes("2e9"), Some(2_000_000_000));
        assert_eq!(to_bytes("1024"), Some(1024));
        assert_eq!(to_bytes("100m"), None);
        assert_eq!(to_bytes("-1Gi"), None);
        assert_eq!(to_bytes("Gi"), None);
    }
}
