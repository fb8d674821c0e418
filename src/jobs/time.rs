//! Job times as the service writes them in JSON (ISO 8601, UTC), kept as epoch
//! milliseconds so callers can subtract them.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

pub fn format(ms: i64) -> String {
    DateTime::from_millis(ms)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

pub fn parse(text: &str) -> Option<i64> {
    DateTime::from_str(text, Format::DateTime)
        .ok()?
        .to_millis()
        .ok()
}

/// The epoch milliseconds of an SDK time.
pub fn millis(t: &DateTime) -> i64 {
    t.to_millis().unwrap_or(i64::MAX)
}

pub mod iso {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*ms))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        super::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not an ISO 8601 time")))
    }
}

pub mod iso_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => super::iso::serialize(ms, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("'{text}' is not an ISO 8601 time"))
            }),
        }
    }
}
