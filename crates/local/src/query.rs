//! Query-string members of the list operations: decoding, and the constraint checks
//! the service applies to them, with its messages.

use base64::Engine;

use super::error::ServiceError;

/// The decoded `name=value` pairs of a query string (without its `?`).
pub(crate) fn pairs(query: &str) -> Vec<(String, String)> {
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// `maxResults`: an integer from 1 to 1000.
pub(crate) fn max_results(value: &str) -> Result<usize, ServiceError> {
    let n: i64 = value
        .parse()
        .map_err(|_| ServiceError::constraint("maxResults", "Member must be an integer"))?;
    if n < 1 {
        return Err(ServiceError::constraint(
            "maxResults",
            "Member must have value greater than or equal to 1",
        ));
    }
    if n > 1000 {
        return Err(ServiceError::constraint(
            "maxResults",
            "Member must have value less than or equal to 1000",
        ));
    }
    Ok(n as usize)
}

pub(crate) fn invalid_token() -> ServiceError {
    ServiceError::validation(
        "The pagination token is invalid. Retry without it or with a token from a previous response.",
    )
}

/// An opaque page token carrying `text`.
pub(crate) fn encode_token(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The text of a token made by [`encode_token`].
pub(crate) fn decode_token(token: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(raw).ok()
}

/// `value` if it is one of `allowed`, else the service's enum constraint error.
pub(crate) fn one_of<'a>(
    member: &str,
    value: &str,
    allowed: &[&'a str],
) -> Result<&'a str, ServiceError> {
    allowed.iter().copied().find(|a| *a == value).ok_or_else(|| {
        ServiceError::validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_checks_members() {
        assert_eq!(
            pairs("a=1&b=x%3Ay+z&&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x:y z".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(max_results("2"), Ok(2));
        assert!(
            max_results("0")
                .unwrap_err()
                .message
                .contains("greater than or equal to 1")
        );
        assert!(
            max_results("1001")
                .unwrap_err()
                .message
                .contains("less than or equal to 1000")
        );
        assert!(max_results("x").is_err());
        assert_eq!(
            decode_token(&encode_token("us.a:0")).as_deref(),
            Some("us.a:0")
        );
        assert_eq!(decode_token("%%"), None);
        assert_eq!(one_of("type", "A", &["A", "B"]), Ok("A"));
        assert!(
            one_of("type", "C", &["A", "B"])
                .unwrap_err()
                .message
                .ends_with("enum value set: [A, B]")
        );
    }
}
