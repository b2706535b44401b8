//! Serialized forms of a render: multi-document YAML or a JSON `List`.

use crate::Rendered;

/// Multi-document YAML, one object per document, in apply order.
pub fn to_yaml(rendered: &Rendered) -> Result<String, serde_saphyr::ser::Error> {
    let mut text = String::new();
    for value in rendered.to_json_values() {
        text.push_str("---\n");
        text.push_str(&serde_saphyr::to_string(&value)?);
    }
    Ok(text)
}

/// A `v1` `List` holding every object, pretty-printed.
pub fn to_json_list(rendered: &Rendered) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": rendered.to_json_values(),
    });
    // A Value built from Values always serializes.
    serde_json::to_string_pretty(&list).expect("a JSON value serializes") + "\n"
}
