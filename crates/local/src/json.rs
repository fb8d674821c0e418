//! Typed access to request JSON that reports a wrong or missing member the way the
//! service's validation does, naming the member's path.

use serde_json::{Map, Value};

use super::error::ServiceError;

pub(crate) type Result<T> = std::result::Result<T, ServiceError>;

/// A JSON object and the path of the member it came from (`messages.1.member`).
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    path: String,
}

pub(crate) fn parse_body(body: &[u8]) -> Result<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| {
        ServiceError::malformed(format!(
            "invalid JSON at line {} column {}",
            e.line(),
            e.column()
        ))
    })
}

pub(crate) fn root(v: &Value) -> Result<Obj<'_>> {
    match v {
        Value::Object(map) => Ok(Obj {
            map,
            path: String::new(),
        }),
        _ => Err(ServiceError::malformed(
            "the request body must be a JSON object",
        )),
    }
}

fn type_error(path: &str, ty: &str) -> ServiceError {
    ServiceError::constraint(path, &format!("Member must be of type {ty}"))
}

impl<'a> Obj<'a> {
    pub(crate) fn at(map: &'a Map<String, Value>, path: impl Into<String>) -> Self {
        Obj {
            map,
            path: path.into(),
        }
    }

    /// A nested object member, if present.
    pub(crate) fn child(&self, key: &str) -> Result<Option<Obj<'a>>> {
        Ok(self.obj(key)?.map(|m| Obj::at(m, self.path(key))))
    }

    pub(crate) fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn missing(&self, key: &str) -> ServiceError {
        ServiceError::constraint(&self.path(key), "Member must not be null")
    }

    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(type_error(&self.path(key), "string")),
        }
    }

    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str> {
        self.str(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn arr(&self, key: &str) -> Result<Option<&'a Vec<Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(type_error(&self.path(key), "list")),
        }
    }

    pub(crate) fn req_arr(&self, key: &str) -> Result<&'a Vec<Value>> {
        self.arr(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn obj(&self, key: &str) -> Result<Option<&'a Map<String, Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(type_error(&self.path(key), "structure")),
        }
    }

    pub(crate) fn u32(&self, key: &str) -> Result<Option<u32>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    ServiceError::constraint(
                        &self.path(key),
                        "Member must be an integer between 0 and 4294967295",
                    )
                }),
        }
    }

    pub(crate) fn f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| type_error(&self.path(key), "number")),
        }
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>> {
        let Some(items) = self.arr(key)? else {
            return Ok(Vec::new());
        };
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| type_error(&format!("{}.member", self.path(key)), "string"))
            })
            .collect()
    }
}

/// Each element of a list member as an object that knows its path.
pub(crate) fn objects<'a>(items: &'a [Value], path: &str) -> Result<Vec<Obj<'a>>> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = format!("{path}.{}.member", i + 1);
            match v {
                Value::Object(map) => Ok(Obj::at(map, p)),
                _ => Err(type_error(&p, "structure")),
            }
        })
        .collect()
}
