//! Shared state of a running endpoint: its settings, the request log that tests and
//! users read back, and the simulated prompt cache.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bedrock_catalog::Catalog;
use serde::Serialize;

use super::faults::FaultRate;
use super::stream::Pacing;

/// Settings of a local endpoint.
#[derive(Debug)]
pub struct Settings {
    pub pacing: Pacing,
    /// Region assumed for requests whose signature does not name one.
    pub region: String,
    pub fault_rate: Option<FaultRate>,
    pub max_body_bytes: usize,
    pub data_dir: Option<PathBuf>,
    /// Guardrail definitions merged over the built-in ones (`--guardrails FILE`).
    pub guardrails_file: Option<PathBuf>,
    /// How long an async invocation runs before it ends.
    pub async_seconds: u64,
    /// Serve HTTPS with a self-signed certificate instead of plain HTTP.
    pub tls: Option<super::tls::Tls>,
    /// Routes that fail: requests to a model id with one of these prefixes get its fault.
    pub fail_routes: Vec<super::faults::FailRoute>,
    /// Requests per minute each model accepts (`--rpm`) in the runtime operations that
    /// invoke it; `None` for no limit.
    pub rpm: Option<u64>,
    /// Tokens per minute each model accepts (`--tpm`): input plus maximum output reserved
    /// when a request arrives, settled to what it used; `None` for no limit.
    pub tpm: Option<u64>,
    /// The window the quotas count over: a minute, as the service counts; tests shorten it.
    pub quota_window: Duration,
    /// How long each stage of a batch inference job lasts (Submitted, Validating,
    /// Scheduled, InProgress, Stopping).
    pub batch_step: Duration,
    /// The fewest records a batch inference job accepts: 100, the service's quota
    /// "Minimum number of records per batch inference job"; tests lower it.
    pub batch_min_records: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pacing: Pacing::OFF,
            region: "us-east-1".into(),
            fault_rate: None,
            max_body_bytes: 25 * 1024 * 1024,
            data_dir: None,
            guardrails_file: None,
            async_seconds: 20,
            tls: None,
            fail_routes: Vec::new(),
            rpm: None,
            tpm: None,
            quota_window: super::quota::MINUTE,
            batch_step: Duration::from_secs(5),
            batch_min_records: 100,
        }
    }
}

/// One handled request, as the log keeps it. Never holds headers or credentials.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogEntry {
    pub time_ms: u64,
    pub request_id: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub auth: Auth,
    /// The roles of a Converse or ConverseStream request's messages, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The kinds of each of those messages' content blocks (`text`, `toolUse`, ...),
    /// in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<Vec<String>>>,
    /// The text of each of those messages, cut at 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<String>>,
    /// The attachments of each message (of a Converse, ConverseStream or CountTokens
    /// request), without their content; only when some message has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<Vec<super::media::log::MediaEntry>>>,
}

/// The kind of credential a request carried: what a test of a client's
/// authentication needs to see, without the credential itself.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Auth {
    /// Signed with SigV4, in the `Authorization` header or a presigned URL.
    Sigv4,
    /// `Authorization: Bearer ...`, as a Bedrock API key is sent.
    Bearer,
    /// An `Authorization` header of another scheme.
    Other,
    None,
}

impl Auth {
    pub(crate) fn of(headers: &http::HeaderMap, query: &str) -> Auth {
        match headers.get(http::header::AUTHORIZATION) {
            Some(value) => {
                let value = value.as_bytes();
                let scheme = value.split(|b| *b == b' ').next().unwrap_or_default();
                if value.starts_with(b"AWS4-HMAC-SHA256") {
                    Auth::Sigv4
                } else if scheme.eq_ignore_ascii_case(b"bearer") {
                    Auth::Bearer
                } else {
                    Auth::Other
                }
            }
            None if presigned(query) => Auth::Sigv4,
            None => Auth::None,
        }
    }
}

/// A SigV4 presigned URL names its algorithm in the query string.
fn presigned(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.eq_ignore_ascii_case("X-Amz-Algorithm=AWS4-HMAC-SHA256"))
}

const LOG_CAPACITY: usize = 10_000;

pub(crate) struct State {
    pub catalog: &'static Catalog,
    pub settings: Settings,
    /// The guardrails requests can name: the built-in ones and those of `guardrails_file`.
    pub guardrails: super::guardrail::Registry,
    /// Async invocations and the S3 store they write to; opened when the endpoint starts.
    pub jobs: super::jobs::Jobs,
    /// Batch inference jobs (model invocation jobs); their runner starts with the endpoint.
    pub batch: super::batch::Batches,
    /// The on-demand quotas of `settings.rpm` and `settings.tpm`.
    pub quotas: super::quota::Quotas,
    log: Mutex<VecDeque<LogEntry>>,
    /// The prompt cache: each prefix's last use and how long it lives after it.
    cache: Mutex<HashMap<u64, (Instant, Duration)>>,
}

impl State {
    pub(crate) fn new(catalog: &'static Catalog, settings: Settings) -> Self {
        let quotas = super::quota::Quotas::new(settings.rpm, settings.tpm, settings.quota_window);
        State {
            quotas,
            batch: super::batch::Batches::default(),
            catalog,
            settings,
            guardrails: super::guardrail::Registry::builtin(),
            jobs: super::jobs::Jobs::default(),
            log: Mutex::new(VecDeque::new()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn record(&self, entry: LogEntry) {
        // Under the lock, so that requests ending together write whole lines in turn.
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = &self.settings.data_dir
            && let Err(e) = append_line(&dir.join("requests.jsonl"), &entry)
        {
            tracing::warn!("could not append to the request log: {e}");
        }
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }

    pub(crate) fn log(&self) -> Vec<LogEntry> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().cloned().collect()
    }

    /// Looks a prefix up in the prompt cache and refreshes it: true on a hit.
    pub(crate) fn cache_read(&self, key: u64) -> bool {
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (used, ttl)| now.duration_since(*used) < *ttl);
        match cache.get_mut(&key) {
            Some((used, _)) => {
                *used = now;
                true
            }
            None => false,
        }
    }

    /// Writes a prefix to the prompt cache, to live `ttl` after its last use.
    pub(crate) fn cache_store(&self, key: u64, ttl: super::conversation::CacheTtl) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(key, (Instant::now(), ttl.duration()));
    }
}

/// Options that create files readable by their owner only: the endpoint's state holds
/// prompts and answers.
fn private(opts: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Writes `bytes` to `path` through `tmp`, renamed into place, so that a crash leaves
/// the old or the new file, never half of one.
pub(crate) fn replace_file(
    path: &std::path::Path,
    tmp: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut f = private(
        std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true),
    )
    .open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(tmp, path)
}

fn append_line(path: &std::path::Path, entry: &LogEntry) -> std::io::Result<()> {
    let mut f = private(std::fs::OpenOptions::new().create(true).append(true)).open(path)?;
    let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    line.push('\n');
    // One write: a line and its newline are never split by another writer.
    f.write_all(line.as_bytes())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
