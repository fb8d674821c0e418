//! Throughput of the local endpoint with pacing off: tokens per second of one long
//! ConverseStream (through the Rust SDK and through a bare HTTP client) and Converse
//! requests per second, sequential and concurrent. `cargo bench --bench endpoint`.

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseStreamOutput, Message,
};
use aws_sdk_bedrockruntime::{Client, Config};
use bedrock_tui::local::{LocalEndpoint, Settings};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// A model whose output limit (64,000) allows a long stream.
const LONG_MODEL: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const STREAM_TOKENS: u32 = 60_000;
const RUNS: usize = 3;

fn client(ep: &LocalEndpoint) -> Client {
    Client::from_conf(
        Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
            .endpoint_url(ep.url())
            .build(),
    )
}

fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.into()))
        .build()
        .expect("a valid message")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The stream read by a bare HTTP/1.1 client that only counts bytes: what the
/// endpoint can send when reading costs next to nothing.
async fn raw_stream(ep: &LocalEndpoint, run: usize) -> f64 {
    let stream = tokio::net::TcpStream::connect(ep.addr())
        .await
        .expect("connects");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let body = serde_json::json!({
        "messages": [{"role": "user", "content": [{"text": format!("Raw run {run} [[tokens:{STREAM_TOKENS}]]")}]}],
    })
    .to_string();
    let req = http::Request::post(format!(
        "/model/{}/converse-stream",
        LONG_MODEL.replace(':', "%3A")
    ))
    .header("host", ep.addr().to_string())
    .body(Full::new(Bytes::from(body)))
    .expect("request");
    let start = Instant::now();
    let mut resp = sender.send_request(req).await.expect("response");
    assert_eq!(resp.status(), 200);
    let mut bytes = 0usize;
    while let Some(frame) = resp.body_mut().frame().await {
        if let Ok(d) = frame.expect("frame").into_data() {
            bytes += d.len();
        }
    }
    assert!(bytes > STREAM_TOKENS as usize * 50);
    f64::from(STREAM_TOKENS) / start.elapsed().as_secs_f64()
}

async fn converse_rate(c: &Client, total: usize, concurrency: usize) -> f64 {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let c = c.clone();
        set.spawn(async move {
            for j in (i..total).step_by(concurrency) {
                c.converse()
                    .model_id(MODEL)
                    .messages(user(&format!("question {j}")))
                    .send()
                    .await
                    .expect("converse");
            }
        });
    }
    while set.join_next().await.is_some() {}
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let ep = LocalEndpoint::start("127.0.0.1:0".parse().expect("addr"), Settings::default())
            .await
            .expect("endpoint");
        let c = client(&ep);
        // Warm up the tokenizer and the connection pool.
        converse_rate(&c, 20, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;

        let mut raw = Vec::new();
        let mut sdk = Vec::new();
        for run in 0..RUNS {
            raw.push(raw_stream(&ep, run).await);
        }
        for run in 0..RUNS {
            sdk.push(sdk_stream_long(&c, run).await);
        }
        let seq: Vec<f64> = {
            let mut v = Vec::new();
            for _ in 0..RUNS {
                v.push(converse_rate(&c, 1000, 1).await);
            }
            v
        };
        let conc: Vec<f64> = {
            let mut v = Vec::new();
            for _ in 0..RUNS {
                v.push(converse_rate(&c, 2000, 16).await);
            }
            v
        };
        println!("| measure | median of {RUNS} runs |");
        println!("|---|---:|");
        println!(
            "| ConverseStream, bare HTTP/1.1 reader, {STREAM_TOKENS} tokens | {:.0} tokens/s |",
            median(raw)
        );
        println!(
            "| ConverseStream, Rust SDK reader, {STREAM_TOKENS} tokens | {:.0} tokens/s |",
            median(sdk)
        );
        println!(
            "| Converse through the Rust SDK, 1 in flight | {:.0} requests/s |",
            median(seq)
        );
        println!(
            "| Converse through the Rust SDK, 16 in flight | {:.0} requests/s |",
            median(conc)
        );
        ep.shutdown().await;
    });
}

/// Output tokens per second of one long stream read through the SDK.
async fn sdk_stream_long(c: &Client, run: usize) -> f64 {
    let start = Instant::now();
    let mut out = c
        .converse_stream()
        .model_id(LONG_MODEL)
        .messages(user(&format!("SDK run {run} [[tokens:{STREAM_TOKENS}]]")))
        .send()
        .await
        .expect("stream starts");
    let mut tokens = 0;
    while let Some(ev) = out.stream.recv().await.expect("stream continues") {
        if let ConverseStreamOutput::Metadata(m) = ev {
            tokens = m.usage().map(|u| u.output_tokens()).unwrap_or(0);
        }
    }
    assert_eq!(tokens, STREAM_TOKENS as i32);
    f64::from(tokens) / start.elapsed().as_secs_f64()
}
