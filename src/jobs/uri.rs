//! `s3://bucket[/prefix]` URIs as StartAsyncInvoke takes them, checked before a request
//! is sent so a typo is named at once instead of coming back as a pattern error.

use std::fmt;

/// A parsed S3 URI: the bucket and the key prefix (without slashes at its ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub prefix: String,
}

impl S3Uri {
    /// Parses `text` by the service's pattern
    /// `s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?` (at most 1,024 characters), saying
    /// what is wrong with it.
    pub fn parse(text: &str) -> Result<S3Uri, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            return Err(format!(
                "'{text}' is not an S3 URI: it must start with s3://"
            ));
        };
        if text.len() > 1024 {
            return Err(format!(
                "the S3 URI is {} characters long, more than 1024",
                text.len()
            ));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let b = bucket.as_bytes();
        let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        let problem = if !(3..=63).contains(&b.len()) {
            Some("a bucket name has 3 to 63 characters")
        } else if !b.iter().all(|&c| edge(c) || c == b'.' || c == b'-') {
            Some("a bucket name has only lowercase letters, digits, dots and hyphens")
        } else if !edge(b[0]) || !edge(b[b.len() - 1]) {
            Some("a bucket name starts and ends with a lowercase letter or a digit")
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(format!("'{text}': bucket '{bucket}' is not valid: {p}"));
        }
        Ok(S3Uri {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    /// The key prefix of everything under this URI, as a folder (`prefix/`, or empty).
    pub fn folder(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        }
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_follow_the_service_pattern() {
        let u = S3Uri::parse("s3://my.bucket-1/some/prefix/").unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.prefix.as_str()),
            ("my.bucket-1", "some/prefix")
        );
        assert_eq!(u.folder(), "some/prefix/");
        assert_eq!(u.to_string(), "s3://my.bucket-1/some/prefix");
        let u = S3Uri::parse("s3://abc").unwrap();
        assert_eq!(
            (u.folder().as_str(), u.to_string().as_str()),
            ("", "s3://abc")
        );
        for (bad, says) in [
            ("bucket/x", "must start with s3://"),
            ("https://b/x", "must start with s3://"),
            ("s3://", "3 to 63 characters"),
            ("s3://ab", "3 to 63 characters"),
            ("s3://Bucket/x", "only lowercase letters"),
            ("s3://my_bucket", "only lowercase letters"),
            ("s3://-bucket", "starts and ends"),
            ("s3://bucket./x", "starts and ends"),
        ] {
            let e = S3Uri::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(S3Uri::parse(&format!("s3://abc/{}", "k".repeat(1020))).is_err());
    }
}
