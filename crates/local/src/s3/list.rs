//! Listing the objects under a prefix of the endpoint's S3 store (ListObjectsV2 through
//! s3s, every page), for jobs that read a folder of inputs.

use bytes::Bytes;
use http::StatusCode;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{KEY_SET, S3Store};

impl S3Store {
    /// The objects of `bucket` whose keys start with `prefix`, as (key, size) in key
    /// order; `None` when the bucket does not exist.
    pub(crate) async fn list(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<Vec<(String, u64)>>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!(
                "/{}?list-type=2&prefix={}",
                utf8_percent_encode(bucket, KEY_SET),
                utf8_percent_encode(prefix, NON_ALPHANUMERIC)
            );
            if let Some(t) = &token {
                path.push_str("&continuation-token=");
                path.push_str(&utf8_percent_encode(t, NON_ALPHANUMERIC).to_string());
            }
            let (status, body) = self
                .internal(http::Method::GET, path, None, Bytes::new())
                .await?;
            if status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(format!(
                    "listing s3://{bucket}/{prefix}: {status} {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            let xml = String::from_utf8_lossy(&body);
            for item in xml_elements(&xml, "Contents") {
                let key = xml_elements(item, "Key").next().map(xml_unescape);
                let size = xml_elements(item, "Size")
                    .next()
                    .and_then(|s| s.trim().parse().ok());
                if let (Some(key), Some(size)) = (key, size) {
                    out.push((key, size));
                }
            }
            let truncated = xml_elements(&xml, "IsTruncated").next() == Some("true");
            token = xml_elements(&xml, "NextContinuationToken")
                .next()
                .map(xml_unescape);
            if !truncated || token.is_none() {
                break;
            }
        }
        out.sort();
        Ok(Some(out))
    }
}

/// The contents of each `<name>...</name>` element in `xml`, in order (not nested in
/// themselves, as in S3's listings).
fn xml_elements<'a>(xml: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let len = rest[start..].find(&close)?;
        let item = &rest[start..start + len];
        rest = &rest[start + len + close.len()..];
        Some(item)
    })
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_elements_of_a_listing() {
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated>\
            <Contents><Key>in/a&amp;b.jsonl</Key><Size>12</Size></Contents>\
            <Contents><Key>in/c.jsonl</Key><Size>3</Size></Contents></ListBucketResult>";
        let keys: Vec<String> = xml_elements(xml, "Contents")
            .filter_map(|c| xml_elements(c, "Key").next().map(xml_unescape))
            .collect();
        assert_eq!(keys, ["in/a&b.jsonl", "in/c.jsonl"]);
        assert_eq!(xml_elements(xml, "IsTruncated").next(), Some("false"));
        assert_eq!(xml_elements(xml, "Missing").next(), None);
    }
}
