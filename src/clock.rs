//! Wall-clock times as epoch milliseconds (what the history, the jobs and the caches
//! keep, so callers can subtract them), and as the service writes them in JSON: ISO 8601
//! in UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

static LOCAL_OFFSET: std::sync::OnceLock<i32> = std::sync::OnceLock::new();

/// Reads the local time zone's offset from UTC. The C library can only be asked while
/// the process has one thread, so `main` calls this first; later calls change nothing.
pub fn init_local_offset() {
    let offset = time::UtcOffset::current_local_offset().map_or(0, |o| o.whole_seconds());
    let _ = LOCAL_OFFSET.set(offset);
}

/// The local time zone's offset from UTC in seconds, as read at start-up (UTC if it
/// could not be read).
pub fn local_offset_s() -> i32 {
    LOCAL_OFFSET.get().copied().unwrap_or(0)
}

/// `ms` as the wall-clock time of day `HH:MM:SS` at `offset_s` from UTC.
pub fn time_of_day(ms: i64, offset_s: i32) -> String {
    let secs = (ms.div_euclid(1000) + i64::from(offset_s)).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `ms` as `2026-12-04T16:49:42Z` (milliseconds shown only when there are some).
pub fn format(ms: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    let t = if ms.rem_euclid(1000) == 0 {
        t.replace_millisecond(0).unwrap_or(t)
    } else {
        t
    };
    t.format(&Rfc3339).unwrap_or_else(|_| ms.to_string())
}

/// The epoch milliseconds of an RFC 3339 / ISO 8601 time such as `2026-12-04T16:49:42Z`.
pub fn parse(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
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

#[cfg(test)]
mod tests {
    #[test]
    fn iso_times_round_trip() {
        assert_eq!(super::format(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::format(1_733_330_982_000), "2024-12-04T16:49:42Z");
        assert_eq!(super::format(1_733_330_982_250), "2024-12-04T16:49:42.25Z");
        assert_eq!(
            super::parse("2024-12-04T16:49:42Z"),
            Some(1_733_330_982_000)
        );
        assert_eq!(
            super::parse("2024-12-04T16:49:42.250Z"),
            Some(1_733_330_982_250)
        );
        assert_eq!(
            super::parse("2024-12-04T17:49:42+01:00"),
            Some(1_733_330_982_000)
        );
        assert_eq!(super::parse("yesterday"), None);
        assert_eq!(super::time_of_day(1_733_330_982_000, 0), "16:49:42");
        assert_eq!(super::time_of_day(1_733_330_982_000, 3600), "17:49:42");
        assert_eq!(
            super::time_of_day(1_733_330_982_000, -17 * 3600),
            "23:49:42"
        );
    }
}
