//! Checks a JSON document against a shape of a botocore service model (the
//! `service-2.json` files): the tests' proof that a response has the service's form.

use serde_json::Value;

/// What is wrong with `value` as an instance of `shape`: members the shape does not
/// have, required members that are missing, enum values and types that do not match.
/// Each entry starts with the JSON path of the offending value, under `root`.
pub fn check(model: &Value, shape: &str, value: &Value, root: &str) -> Vec<String> {
    let mut errors = Vec::new();
    walk(model, shape, value, root, &mut errors);
    errors
}

fn walk(model: &Value, shape: &str, v: &Value, path: &str, errors: &mut Vec<String>) {
    let s = &model["shapes"][shape];
    let target = |member: &Value| member["shape"].as_str().unwrap_or("").to_owned();
    match s["type"].as_str().unwrap_or("") {
        "" => errors.push(format!("{path}: the model has no shape {shape}")),
        "structure" => {
            let Some(obj) = v.as_object() else {
                errors.push(format!("{path}: not an object"));
                return;
            };
            for r in s["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap_or("");
                if !obj.contains_key(r) {
                    errors.push(format!("{path}.{r}: required member missing"));
                }
            }
            for (k, val) in obj {
                match s["members"].get(k) {
                    Some(m) => walk(model, &target(m), val, &format!("{path}.{k}"), errors),
                    None => errors.push(format!("{path}.{k}: not a member of {shape}")),
                }
            }
        }
        "list" => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{path}[{i}]");
                    walk(model, &target(&s["member"]), item, &path, errors);
                }
            }
            None => errors.push(format!("{path}: not a list")),
        },
        "map" => match v.as_object() {
            Some(map) => {
                for (k, item) in map {
                    walk(
                        model,
                        &target(&s["value"]),
                        item,
                        &format!("{path}.{k}"),
                        errors,
                    );
                }
            }
            None => errors.push(format!("{path}: not a map")),
        },
        "string" => match (v.as_str(), s["enum"].as_array()) {
            (None, _) => errors.push(format!("{path}: not a string")),
            (Some(x), Some(e)) if !e.iter().any(|a| a == x) => {
                errors.push(format!("{path}: {x} not in {shape}"))
            }
            _ => {}
        },
        "integer" | "long" if !v.is_i64() => errors.push(format!("{path}: not an integer")),
        "boolean" if !v.is_boolean() => errors.push(format!("{path}: not a boolean")),
        "double" | "float" if !v.is_number() => errors.push(format!("{path}: not a number")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_what_does_not_fit() {
        let model = json!({"shapes": {
            "Out": {"type": "structure", "required": ["id"], "members": {
                "id": {"shape": "Id"}, "kinds": {"shape": "Kinds"}, "n": {"shape": "N"}}},
            "Id": {"type": "string"},
            "Kinds": {"type": "list", "member": {"shape": "Kind"}},
            "Kind": {"type": "string", "enum": ["A", "B"]},
            "N": {"type": "integer"}
        }});
        assert!(
            check(
                &model,
                "Out",
                &json!({"id": "x", "kinds": ["A"], "n": 1}),
                "r"
            )
            .is_empty()
        );
        let mut errors = check(
            &model,
            "Out",
            &json!({"kinds": ["C"], "n": "1", "extra": true}),
            "r",
        );
        errors.sort();
        assert_eq!(
            errors,
            vec![
                "r.extra: not a member of Out",
                "r.id: required member missing",
                "r.kinds[0]: C not in Kind",
                "r.n: not an integer",
            ]
        );
    }
}
