//! Writing parameters for `deploy/azure/main.bicep`: a `.bicepparam` file (Bicep's own syntax,
//! `using '<template>'` then one `param <name> = <value>` per parameter) or an ARM deployment
//! parameters file (JSON). Both come from the same typed parameters, serialized once with serde
//! into a `serde_json::Value`; this module only turns that value into Bicep literals.
//!
//! Bicep literals (https://learn.microsoft.com/azure/azure-resource-manager/bicep/data-types):
//! strings in single quotes with `\\`, `\'`, `\n`, `\r`, `\t` and `\${` escaped; integers;
//! `true`/`false`; `null`; arrays and objects one item per line; object keys bare when they are
//! identifiers, quoted otherwise. Bicep has no floating-point literal, so a float is an error.

use serde::Serialize;
use serde_json::Value;

/// `$schema` of an ARM deployment parameters file.
pub const PARAMETERS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("parameter {0}: Bicep has no floating-point literal")]
    Float(String),
    #[error("the parameters must serialize to an object of named parameters")]
    NotAnObject,
    #[error("cannot serialize the parameters: {0}")]
    Serialize(String),
}

/// The `.bicepparam` text of `params` for the template at `using` (relative to the file).
pub fn bicepparam<T: Serialize>(using: &str, params: &T) -> Result<String, EmitError> {
    let value = serde_json::to_value(params).map_err(|e| EmitError::Serialize(e.to_string()))?;
    let Value::Object(entries) = value else {
        return Err(EmitError::NotAnObject);
    };
    let mut out = format!("using {}\n\n", string(using));
    for (name, value) in sorted(&entries) {
        if value.is_null() {
            continue;
        }
        out.push_str("param ");
        out.push_str(name);
        out.push_str(" = ");
        literal(name, value, 0, &mut out)?;
        out.push('\n');
    }
    Ok(out)
}

/// The ARM deployment parameters file (JSON) of `params`.
pub fn parameters_json<T: Serialize>(params: &T) -> Result<String, EmitError> {
    #[derive(Serialize)]
    struct File {
        #[serde(rename = "$schema")]
        schema: &'static str,
        #[serde(rename = "contentVersion")]
        content_version: &'static str,
        parameters: serde_json::Map<String, Value>,
    }
    let value = serde_json::to_value(params).map_err(|e| EmitError::Serialize(e.to_string()))?;
    let Value::Object(entries) = value else {
        return Err(EmitError::NotAnObject);
    };
    let parameters = entries
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k, serde_json::json!({ "value": v })))
        .collect();
    let file = File {
        schema: PARAMETERS_SCHEMA,
        content_version: "1.0.0.0",
        parameters,
    };
    serde_json::to_string_pretty(&file)
        .map(|text| text + "\n")
        .map_err(|e| EmitError::Serialize(e.to_string()))
}

fn literal(path: &str, value: &Value, depth: usize, out: &mut String) -> Result<(), EmitError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            _ => return Err(EmitError::Float(path.to_string())),
        },
        Value::String(s) => out.push_str(&string(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(depth + 1, out);
                literal(&format!("{path}[{i}]"), item, depth + 1, out)?;
                out.push('\n');
            }
            indent(depth, out);
            out.push(']');
        }
        Value::Object(entries) if entries.is_empty() => out.push_str("{}"),
        Value::Object(entries) => {
            out.push_str("{\n");
            for (key, item) in sorted(entries) {
                indent(depth + 1, out);
                if is_identifier(key) {
                    out.push_str(key);
                } else {
                    out.push_str(&string(key));
                }
                out.push_str(": ");
                literal(&format!("{path}.{key}"), item, depth + 1, out)?;
                out.push('\n');
            }
            indent(depth, out);
            out.push('}');
        }
    }
    Ok(())
}

/// Parameters and keys by name, whatever order serde_json's map keeps (it depends on a feature).
fn sorted(entries: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = entries.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A single-quoted Bicep string.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `${` starts an interpolation; a lone `$` is literal.
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        name: String,
        count: i32,
        enabled: bool,
        zones: Vec<String>,
        empty: Vec<String>,
        tags: BTreeMap<String, String>,
        skipped: Option<String>,
    }

    fn sample() -> Sample {
        Sample {
            name: "it's ${x} a\\b\nc$d".to_string(),
            count: -3,
            enabled: true,
            zones: vec!["1".into(), "2".into()],
            empty: vec![],
            tags: BTreeMap::from([
                ("app".to_string(), "neo4j".to_string()),
                ("cost-center".to_string(), "42".to_string()),
            ]),
            skipped: None,
        }
    }

    #[test]
    fn bicepparam_writes_every_literal_kind() {
        let text = bicepparam("main.bicep", &sample()).expect("emits");
        assert_eq!(
            text,
            "using 'main.bicep'\n\n\
             param count = -3\n\
             param empty = []\n\
             param enabled = true\n\
             param name = 'it\\'s \\${x} a\\\\b\\nc$d'\n\
             param tags = {\n  app: 'neo4j'\n  'cost-center': '42'\n}\n\
             param zones = [\n  '1'\n  '2'\n]\n"
        );
    }

    #[test]
    fn floats_and_non_objects_are_refused() {
        assert_eq!(
            bicepparam("main.bicep", &serde_json::json!({"ratio": 0.5})),
            Err(EmitError::Float("ratio".to_string()))
        );
        assert_eq!(
            bicepparam("main.bicep", &serde_json::json!({"a": {"b": [1.5]}})),
            Err(EmitError::Float("a.b[0]".to_string()))
        );
        assert_eq!(
            bicepparam("main.bicep", &vec![1]),
            Err(EmitError::NotAnObject)
        );
    }

    #[test]
    fn json_parameters_wrap_each_value() {
        let text = parameters_json(&sample()).expect("emits");
        let file: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(file["$schema"], PARAMETERS_SCHEMA);
        assert_eq!(file["contentVersion"], "1.0.0.0");
        assert_eq!(file["parameters"]["count"]["value"], -3);
        assert_eq!(file["parameters"]["zones"]["value"][1], "2");
        assert!(file["parameters"].get("skipped").is_none());
    }
}
