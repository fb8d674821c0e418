//! Typed access to model-native JSON (InvokeModel bodies and StartAsyncInvoke model
//! inputs) that reports violations the way Bedrock's JSON-schema check of them does
//! ("#/max_tokens: expected type: Integer, found: String"), wrapped in its "Malformed
//! input request" message.

use serde_json::{Map, Value};

use crate::error::ServiceError;
use crate::json;

pub(crate) type Result<T> = std::result::Result<T, ServiceError>;

/// A JSON object of a native body and its JSON-pointer path (`#/messages/0`).
#[derive(Debug, Clone)]
pub(crate) struct Doc<'a> {
    pub map: &'a Map<String, Value>,
    path: String,
}

/// The schema-check name of a JSON value's type.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "BigDecimal",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// A number as the schema check prints it: integral values without a fraction.
pub(crate) fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

impl<'a> Doc<'a> {
    /// The body's top-level object.
    pub(crate) fn root(v: &'a Value) -> Result<Doc<'a>> {
        match v {
            Value::Object(map) => Ok(Doc {
                map,
                path: "#".into(),
            }),
            other => Err(ServiceError::malformed(format!(
                "#: expected type: JSONObject, found: {}",
                type_name(other)
            ))),
        }
    }

    pub(crate) fn path(&self, key: &str) -> String {
        format!("{}/{key}", self.path)
    }

    /// This object as the Converse-style accessor, for helpers shared with Converse.
    pub(crate) fn obj(&self) -> json::Obj<'a> {
        let path = self.path.trim_start_matches('#').trim_start_matches('/');
        json::Obj::at(self.map, path.replace('/', "."))
    }

    /// A schema violation at `key`.
    pub(crate) fn err(&self, key: &str, detail: impl std::fmt::Display) -> ServiceError {
        ServiceError::malformed(format!("{}: {detail}", self.path(key)))
    }

    /// A schema violation of this object itself.
    pub(crate) fn err_here(&self, detail: impl std::fmt::Display) -> ServiceError {
        ServiceError::malformed(format!("{}: {detail}", self.path))
    }

    /// Checks required members are present and no others than `required` and
    /// `optional` are; every violation of the object is reported, one after the other.
    pub(crate) fn keys(&self, required: &[&str], optional: &[&str]) -> Result<()> {
        let missing = required
            .iter()
            .filter(|k| !self.map.contains_key(**k))
            .map(|k| format!("{}: required key [{k}] not found", self.path));
        let extra = self
            .map
            .keys()
            .filter(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
            .map(|k| format!("{}: extraneous key [{k}] is not permitted", self.path));
        let violations: String = missing.chain(extra).collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::malformed(violations))
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A member of the wrong JSON type.
    pub(crate) fn type_err(&self, key: &str, expected: &str, found: &Value) -> ServiceError {
        self.err(
            key,
            format!("expected type: {expected}, found: {}", type_name(found)),
        )
    }

    /// A required member that is absent (or null).
    pub(crate) fn missing(&self, key: &str) -> ServiceError {
        self.err_here(format!("required key [{key}] not found"))
    }

    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.type_err(key, "String", v)),
        }
    }

    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str> {
        self.str(key)?.ok_or_else(|| self.missing(key))
    }

    /// A required string member of `min` to `max` characters.
    pub(crate) fn text(&self, key: &str, min: usize, max: usize) -> Result<&'a str> {
        let s = self.req_str(key)?;
        let n = s.chars().count();
        if n < min {
            return Err(self.err(key, format!("expected minLength: {min}, actual: {n}")));
        }
        if n > max {
            return Err(self.err(key, format!("expected maxLength: {max}, actual: {n}")));
        }
        Ok(s)
    }

    /// An integer member within `[lo, hi]`.
    pub(crate) fn int(&self, key: &str, lo: u64, hi: u64) -> Result<Option<u64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(n) = v.as_i64().or_else(|| v.as_u64().map(|_| i64::MAX)) else {
            return Err(self.type_err(key, "Integer", v));
        };
        if n < 0 || (n as u64) < lo {
            return Err(self.err(key, format!("{n} is not greater or equal to {lo}")));
        }
        if n as u64 > hi {
            return Err(self.err(key, format!("{n} is not less or equal to {hi}")));
        }
        Ok(Some(n as u64))
    }

    /// A non-negative integer member no smaller than `min`; larger than a `u32` holds
    /// reads as `u32::MAX`, which the model's limits then refuse.
    pub(crate) fn u32(&self, key: &str, min: u32) -> Result<Option<u32>> {
        Ok(self
            .int(key, u64::from(min), u64::MAX)?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A number member within `[lo, hi]`.
    pub(crate) fn num(&self, key: &str, lo: f64, hi: f64) -> Result<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(n) = v.as_f64() else {
            return Err(self.type_err(key, "Number", v));
        };
        if n < lo {
            return Err(self.err(
                key,
                format!("{v} is not greater or equal to {}", num_text(lo)),
            ));
        }
        if n > hi {
            return Err(self.err(key, format!("{v} is not less or equal to {}", num_text(hi))));
        }
        Ok(Some(n))
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_err(key, "Boolean", v)),
        }
    }

    pub(crate) fn arr(&self, key: &str) -> Result<Option<&'a Vec<Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(self.type_err(key, "JSONArray", v)),
        }
    }

    pub(crate) fn child(&self, key: &str) -> Result<Option<Doc<'a>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Doc {
                map,
                path: self.path(key),
            })),
            Some(v) => Err(self.type_err(key, "JSONObject", v)),
        }
    }

    pub(crate) fn req_child(&self, key: &str) -> Result<Doc<'a>> {
        self.child(key)?.ok_or_else(|| self.missing(key))
    }

    /// Each element of an array member as an object.
    pub(crate) fn items(&self, key: &str) -> Result<Vec<Doc<'a>>> {
        let Some(items) = self.arr(key)? else {
            return Ok(Vec::new());
        };
        let path = self.path(key);
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(map) => Ok(Doc {
                    map,
                    path: format!("{path}/{i}"),
                }),
                other => Err(ServiceError::malformed(format!(
                    "{path}/{i}: expected type: JSONObject, found: {}",
                    type_name(other)
                ))),
            })
            .collect()
    }

    /// A required, non-empty array of objects.
    pub(crate) fn req_items(&self, key: &str) -> Result<Vec<Doc<'a>>> {
        if !self.has(key) {
            return Err(self.missing(key));
        }
        let items = self.items(key)?;
        if items.is_empty() {
            return Err(self.err(key, "expected minimum item count: 1, found: 0"));
        }
        Ok(items)
    }

    /// An array of strings; a single string is accepted where `lenient` says so.
    pub(crate) fn strings(&self, key: &str, lenient: bool) -> Result<Vec<String>> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        if let (Value::String(s), true) = (v, lenient) {
            return Ok(vec![s.clone()]);
        }
        let Value::Array(items) = v else {
            return Err(self.type_err(key, "JSONArray", v));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.err(
                    &format!("{key}/{i}"),
                    format!("expected type: String, found: {}", type_name(other)),
                )),
            })
            .collect()
    }

    /// A string member that must be one of `allowed`.
    pub(crate) fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>> {
        match self.str(key)? {
            Some(s) if !allowed.contains(&s) => {
                Err(self.err(key, format!("{s} is not a valid enum value")))
            }
            other => Ok(other),
        }
    }

    /// Rejects an integer member above `max` (the model's output limit).
    pub(crate) fn at_most(&self, key: &str, value: Option<u32>, max: u32) -> Result<()> {
        match value {
            Some(n) if n > max => Err(self.err(key, format!("{n} is not less or equal to {max}"))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        r.expect_err("should fail").message
    }

    #[test]
    fn reports_violations_with_pointer_paths() {
        let v = json!({"a": "x", "n": "5", "o": {"t": 3}, "l": [1]});
        let d = Doc::root(&v).unwrap();
        assert_eq!(
            msg(d.keys(&["a", "b"], &["n", "o", "l"])),
            "Malformed input request: #: required key [b] not found, please reformat your input and try again."
        );
        assert_eq!(
            msg(d.keys(&["a"], &["n", "o"])),
            "Malformed input request: #: extraneous key [l] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            msg(d.keys(&["z"], &["a"])),
            "Malformed input request: #: required key [z] not found#: extraneous key [l] is not permitted#: extraneous key [n] is not permitted#: extraneous key [o] is not permitted, please reformat your input and try again."
        );
        assert!(msg(d.u32("n", 1)).contains("#/n: expected type: Integer, found: String"));
        let o = d.child("o").unwrap().unwrap();
        assert!(msg(o.num("t", 0.0, 1.0)).contains("#/o/t: 3 is not less or equal to 1,"));
        assert!(msg(d.items("l")).contains("#/l/0: expected type: JSONObject, found: Integer"));
        assert!(msg(d.at_most("m", Some(9), 8)).contains("#/m: 9 is not less or equal to 8"));
        assert!(
            msg(Doc::root(&json!([]))).contains("#: expected type: JSONObject, found: JSONArray")
        );
        assert_eq!(d.strings("a", true).unwrap(), vec!["x".to_owned()]);
        assert!(
            msg(d.strings("a", false)).contains("#/a: expected type: JSONArray, found: String")
        );
    }
}
