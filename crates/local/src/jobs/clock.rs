//! Timestamps as the async-invoke shapes carry them: ISO 8601 (`timestampFormat:
//! iso8601`) in JSON bodies and query strings, kept as Unix milliseconds in the store.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `2025-01-06T19:33:56.187Z`: UTC with milliseconds, which every SDK's ISO 8601
/// parser reads.
pub(crate) fn iso8601(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return "1970-01-01T00:00:00.000Z".into();
    };
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Parses an RFC 3339 / ISO 8601 date-time (any offset, any fraction) or, as some
/// clients send timestamps in query strings, epoch seconds.
pub(crate) fn parse(text: &str) -> Option<u64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        return u64::try_from(ms).ok();
    }
    let secs: f64 = text.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let ms = 1_736_192_036_187;
        assert_eq!(iso8601(ms), "2025-01-06T19:33:56.187Z");
        assert_eq!(parse(&iso8601(ms)), Some(ms));
        assert_eq!(parse("2025-01-06T20:33:56.187+01:00"), Some(ms));
        assert_eq!(parse("2025-01-06T19:33:56Z"), Some(ms - 187));
        assert_eq!(parse("1736192036.187"), Some(ms));
        assert_eq!(parse("yesterday"), None);
    }
}
