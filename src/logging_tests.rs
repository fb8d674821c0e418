//! The log scrubber: credentials in any form a library logs them are replaced, checked on
//! lines written by hand and on what the AWS SDK itself logs at trace level for a signed
//! call with a session token and for one with a Bedrock API key.

use std::sync::{Arc, Mutex};

use super::*;

#[test]
fn credentials_are_replaced_in_every_form() {
    for (line, secret) in [
        ("using AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
        (
            "Credentials { access_key_id: \"ASIAZZZZZZZZZZZZZZZZ\" }",
            "ASIAZZZZZZZZZZZZZZZZ",
        ),
        (
            "authorization: Bearer ABSKQmVkcm9ja0FQSUtleS1hYmNkZWZn",
            "ABSKQmVkcm9ja0FQSUtleS1hYmNkZWZn",
        ),
        (
            "AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS1hYmNkZWZn",
            "QmVkcm9ja0FQSUtleS1hYmNkZWZn",
        ),
        (
            "x-amz-security-token: FwoGZXIvYXdzEJr//////////wEaDK",
            "FwoGZXIvYXdzEJr",
        ),
        (
            "\"x-amz-security-token\": \"FwoGZXIvYXdzEJr\"",
            "FwoGZXIvYXdzEJr",
        ),
        (
            "Signature=3c5f6a0b9e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b",
            "3c5f6a0b9e1d2c3b",
        ),
        (
            "secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
            "wJalrXUtnFEMI",
        ),
    ] {
        let out = scrub(line);
        assert!(!out.contains(secret), "{line} -> {out}");
    }
    assert_eq!(
        scrub("a plain line, AKIA too short"),
        "a plain line, AKIA too short"
    );
}

/// A writer into a shared buffer, for a subscriber in a test.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Writes each event to both buffers: `raw` as it is, `clean` through the scrubber.
#[derive(Clone)]
struct Both {
    raw: Buffer,
    clean: Buffer,
}

impl Write for Both {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.raw.write_all(buf)?;
        Scrubbed(self.clean.clone()).write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn what_the_sdk_logs_at_trace_level_reaches_the_file_without_credentials() {
    use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};

    let endpoint = crate::local::LocalEndpoint::start(
        "127.0.0.1:0".parse().unwrap(),
        crate::local::Settings::default(),
    )
    .await
    .unwrap();
    let key_id = "AKIAIOSFODNN7EXAMPLE";
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let token = "FwoGZXIvYXdzEJrSESSIONTOKENEXAMPLE";
    let both = Both {
        raw: Buffer::default(),
        clean: Buffer::default(),
    };
    let writer = both.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let conf = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(aws_sdk_bedrockruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-east-1"))
        .endpoint_url(endpoint.url())
        .credentials_provider(aws_credential_types::Credentials::new(
            key_id,
            secret,
            Some(token.into()),
            None,
            "test",
        ))
        .build();
    let client = aws_sdk_bedrockruntime::Client::from_conf(conf);
    client
        .converse()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .messages(
            Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text("Hi".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let (raw, clean) = (both.raw.text(), both.clean.text());
    assert!(
        raw.contains(key_id),
        "the SDK logs the access key id at trace level, so the scrubber has work to do"
    );
    for secret in [key_id, secret, token] {
        assert!(!clean.contains(secret), "{secret} reached the log");
    }
    assert!(clean.contains("[access key id]"), "{clean}");
}
