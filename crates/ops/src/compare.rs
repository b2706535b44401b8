//! Is the desired object already what the API server holds? The desired JSON must be a subset of
//! the live JSON: the server adds defaults (protocol, clusterIP, terminationMessagePath...), so a
//! field the renderer does not set never counts as a difference.
//!
//! Care points:
//! - quantities are normalised by the server (`0.5` → `500m`, `1024Mi` → `1Gi`), so two strings
//!   that parse as the same quantity are equal;
//! - the server drops zero values of non-pointer fields (`false`, `0`, `""`, `{}`, `[]`), so a
//!   desired zero value matches a missing live field;
//! - `metadata.ownerReferences` and map-like lists are matched by content, not position, when
//!   the live list has extra entries (another controller's owner reference).

use kube_quantity::ParsedQuantity;
use serde_json::Value;

/// `None` when `desired` is contained in `live`; otherwise the path of the first difference.
pub fn first_difference(desired: &Value, live: &Value) -> Option<String> {
    diff_at(desired, live, &mut String::new())
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_zero),
    }
}

fn same_quantity(a: &str, b: &str) -> bool {
    match (ParsedQuantity::try_from(a), ParsedQuantity::try_from(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn diff_at(desired: &Value, live: &Value, path: &mut String) -> Option<String> {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            for (key, dv) in d {
                // Objects from a list carry no apiVersion/kind; the kind is known anyway.
                if path.is_empty() && (key == "apiVersion" || key == "kind") {
                    continue;
                }
                let len = path.len();
                path.push('.');
                path.push_str(key);
                let found = match l.get(key) {
                    Some(lv) => diff_at(dv, lv, path),
                    None if is_zero(dv) => None,
                    None => Some(path.clone()),
                };
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Value::Array(d), Value::Array(l)) => {
            if d.len() == l.len() {
                for (i, (dv, lv)) in d.iter().zip(l).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let found = diff_at(dv, lv, path);
                    path.truncate(len);
                    if found.is_some() {
                        return found;
                    }
                }
                None
            } else if d.len() < l.len()
                && d.iter().all(|dv| {
                    l.iter()
                        .any(|lv| diff_at(dv, lv, &mut String::new()).is_none())
                })
                && path.ends_with("ownerReferences")
            {
                None
            } else {
                Some(format!("{path} (length {} vs {})", d.len(), l.len()))
            }
        }
        (Value::String(d), Value::String(l)) => {
            (d != l && !same_quantity(d, l)).then(|| path.clone())
        }
        (Value::Number(d), Value::Number(l)) => (d.as_f64() != l.as_f64()).then(|| path.clone()),
        // IntOrString: 1 and "1" are different to the server, but a quantity may come back as a
        // string when it was sent as a number (cpu: 2 → "2").
        (Value::Number(d), Value::String(l)) => {
            (!same_quantity(&d.to_string(), l)).then(|| path.clone())
        }
        (d, Value::Null) if is_zero(d) => None,
        (d, l) => (d != l).then(|| path.clone()),
    }
}

/// `live` reduced to the fields `desired` sets (for a readable diff: server defaults left out).
pub fn project(desired: &Value, live: &Value) -> Value {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => Value::Object(
            d.iter()
                .filter_map(|(k, dv)| l.get(k).map(|lv| (k.clone(), project(dv, lv))))
                .collect(),
        ),
        (Value::Array(d), Value::Array(l)) if d.len() == l.len() => {
            Value::Array(d.iter().zip(l).map(|(dv, lv)| project(dv, lv)).collect())
        }
        (Value::String(d), Value::String(l)) if same_quantity(d, l) => Value::String(d.clone()),
        (_, l) => l.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_defaults_are_not_differences() {
        let desired = json!({"spec": {"ports": [{"port": 7687, "name": "bolt"}]}});
        let live = json!({"spec": {"clusterIP": "10.0.0.1",
            "ports": [{"port": 7687, "name": "bolt", "protocol": "TCP", "targetPort": 7687}]}});
        assert_eq!(first_difference(&desired, &live), None);
    }

    #[test]
    fn changed_values_and_list_lengths_are_differences() {
        let live = json!({"spec": {"replicas": 3, "ports": [{"port": 1}, {"port": 2}]}});
        assert_eq!(
            first_difference(&json!({"spec": {"replicas": 5}}), &live),
            Some(".spec.replicas".into())
        );
        assert!(first_difference(&json!({"spec": {"ports": [{"port": 1}]}}), &live).is_some());
    }

    #[test]
    fn quantities_compare_by_value() {
        let desired = json!({"cpu": "0.5", "memory": "1024Mi", "n": 2});
        let live = json!({"cpu": "500m", "memory": "1Gi", "n": "2"});
        assert_eq!(first_difference(&desired, &live), None);
        assert!(first_difference(&json!({"memory": "2Gi"}), &live).is_some());
    }

    #[test]
    fn zero_values_match_missing_fields() {
        let desired = json!({"readOnly": false, "labels": {}, "args": [], "x": null});
        assert_eq!(first_difference(&desired, &json!({})), None);
        assert!(first_difference(&json!({"readOnly": true}), &json!({})).is_some());
    }

    #[test]
    fn extra_owner_references_are_tolerated() {
        let desired = json!({"metadata": {"ownerReferences": [{"uid": "a"}]}});
        let live =
            json!({"metadata": {"ownerReferences": [{"uid": "b"}, {"uid": "a", "kind": "X"}]}});
        assert_eq!(first_difference(&desired, &live), None);
    }

    #[test]
    fn projection_keeps_only_desired_fields() {
        let desired = json!({"spec": {"a": 1, "q": "1024Mi"}});
        let live = json!({"spec": {"a": 2, "b": 3, "q": "1Gi"}});
        assert_eq!(
            project(&desired, &live),
            json!({"spec": {"a": 2, "q": "1024Mi"}})
        );
    }
}
