//! `bedrock-tui serve-local`: the local Bedrock endpoint as a server of its own, until
//! SIGINT or SIGTERM.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::output;
use crate::local::{FailRoute, Fault, FaultRate, LocalEndpoint, Pacing, Settings, Tls};

#[derive(Debug, Args)]
pub struct ServeLocal {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// Folder for the endpoint's state: request log, async invocations and their S3 outputs.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Region assumed for requests whose signature does not name one.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Time to first token, in milliseconds.
    #[arg(long, default_value_t = 300)]
    pub ttft_ms: u64,
    /// Output tokens per second of the simulated model.
    #[arg(long, default_value_t = 80.0)]
    pub tokens_per_second: f64,
    /// Answer as fast as possible (no time to first token, no token pacing).
    #[arg(long)]
    pub no_pacing: bool,
    /// Probability (0 to 1) that a request fails with one of --fault-kinds.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Faults drawn by --fault-rate, comma-separated (same kinds as [[fault:KIND]]).
    #[arg(long, value_delimiter = ',', default_value = "throttle")]
    pub fault_kinds: Vec<String>,
    /// Every request whose model id starts with PREFIX fails with KIND (a --fault-kinds
    /// kind), e.g. `us.:throttle`; repeatable.
    #[arg(long = "fail-route", value_name = "PREFIX:KIND")]
    pub fail_routes: Vec<String>,
    /// Seed of the fault draw, so a soak run can be repeated.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Largest request body accepted, in MiB.
    #[arg(long, default_value_t = 25)]
    pub max_body_mib: usize,
    /// How long an async invocation (StartAsyncInvoke) runs before it completes or fails.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub async_seconds: u64,
    /// Guardrail definitions (CreateGuardrail's request shape plus `guardrailId` and
    /// `versions`), merged over the built-in ones such as `demo`.
    #[arg(long, value_name = "FILE")]
    pub guardrails: Option<PathBuf>,
    /// On-demand quota: requests per minute each model accepts in Converse,
    /// ConverseStream, InvokeModel and InvokeModelWithResponseStream (CountTokens is not
    /// counted), per Region, over a sliding minute; past it a request gets the service's
    /// ThrottlingException (HTTP 429).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rpm: Option<u64>,
    /// On-demand quota: tokens per minute each model accepts, over a sliding minute. As
    /// the service does, a request reserves its input tokens plus its maximum output
    /// (max_tokens, or the model's default maximum) when it arrives, and once answered
    /// holds what it used (input plus output); a request that does not fit is throttled
    /// (ThrottlingException, HTTP 429).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tpm: Option<u64>,
    /// The window --rpm and --tpm count over, in milliseconds (the service's minute by
    /// default; shorter for tests).
    #[arg(long, default_value_t = 60_000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub quota_window_ms: u64,
    /// How long each stage of a batch inference job (CreateModelInvocationJob) lasts:
    /// Submitted, Validating, Scheduled, InProgress, and Stopping after a stop.
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub batch_step_ms: u64,
    /// The fewest records a batch inference job accepts (the service's quota is 100).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub batch_min_records: usize,
    /// Serve HTTPS with a self-signed certificate, kept in tls/ under --data-dir (or the
    /// app's data folder) and reused across restarts; clients trust it with AWS_CA_BUNDLE.
    #[arg(long)]
    pub tls: bool,
}

impl ServeLocal {
    /// The endpoint settings these options describe, or what is wrong with them.
    pub fn settings(&self) -> Result<Settings, String> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(format!(
                "--fault-rate must be between 0 and 1, got {}",
                self.fault_rate
            ));
        }
        let valid_rate = self.tokens_per_second > 0.0 && self.tokens_per_second.is_finite();
        if !self.no_pacing && !valid_rate {
            return Err("--tokens-per-second must be a positive number".into());
        }
        let kinds = self
            .fault_kinds
            .iter()
            .map(|k| {
                Fault::parse(k.trim()).ok_or_else(|| {
                    format!(
                        "unknown fault kind '{k}'; known kinds: {}",
                        crate::local::faults::KINDS
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fail_routes = self
            .fail_routes
            .iter()
            .map(|spec| FailRoute::parse(spec).map_err(|e| format!("--fail-route {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        // A bad guardrails file is reported before anything starts.
        crate::local::guardrail::Registry::load(self.guardrails.as_deref())?;
        let tls = if self.tls {
            let data = match &self.data_dir {
                Some(dir) => dir.clone(),
                None => app_data_dir().ok_or(
                    "--tls keeps its certificate in the data folder, and this system has \
                     none; give one with --data-dir DIR",
                )?,
            };
            Some(Tls::new(data.join("tls")))
        } else {
            None
        };
        let pacing = if self.no_pacing {
            Pacing::OFF
        } else {
            Pacing {
                ttft: Duration::from_millis(self.ttft_ms),
                tokens_per_second: Some(self.tokens_per_second),
            }
        };
        Ok(Settings {
            pacing,
            region: self.region.clone(),
            fault_rate: (self.fault_rate > 0.0)
                .then(|| FaultRate::new(self.fault_rate, kinds, self.fault_seed)),
            max_body_bytes: self.max_body_mib.saturating_mul(1024 * 1024),
            data_dir: self.data_dir.clone(),
            async_seconds: self.async_seconds,
            guardrails_file: self.guardrails.clone(),
            tls,
            fail_routes,
            rpm: self.rpm,
            tpm: self.tpm,
            quota_window: Duration::from_millis(self.quota_window_ms),
            batch_step: Duration::from_millis(self.batch_step_ms),
            batch_min_records: self.batch_min_records,
        })
    }
}

/// Serves until the first SIGINT or SIGTERM, logging to stderr.
pub async fn run(opts: ServeLocal) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let settings = opts.settings().map_err(anyhow::Error::msg)?;
    // Handlers go in before the URL is printed: a caller may signal as soon as it reads it.
    let stop = stop_signal()?;
    let endpoint = LocalEndpoint::start(opts.addr, settings)
        .await
        .with_context(|| format!("binding {}", opts.addr))?;
    let addr = endpoint.addr();
    if !addr.ip().is_loopback() {
        output::note(format!(
            "listening on {addr}, beyond this machine: anyone who can reach it may use it \
             (it accepts any credentials); --addr 127.0.0.1:PORT keeps it local"
        ));
    }
    let banner = banner(
        &client_url(addr, endpoint.certificate().is_some()),
        endpoint.certificate(),
    );
    // A reader that stops reading after the first line must not stop the server.
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!("could not write to stdout: {e}");
    }
    drop(out);
    stop.await;
    endpoint.shutdown().await;
    Ok(())
}

/// What `serve-local` prints when it is ready. The first line ends with the URL:
/// scripts and tests read it there.
fn banner(url: &str, certificate: Option<&Path>) -> String {
    let mut banner = format!(
        "local Bedrock endpoint listening on {url}\n\
         point an SDK at it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url} (any credentials are accepted)\n"
    );
    if let Some(cert) = certificate {
        banner.push_str(&format!(
            "trust its self-signed certificate: export AWS_CA_BUNDLE={}\n",
            shell_word(&cert.to_string_lossy())
        ));
    }
    banner
}

/// `text` as one shell word, quoted only when it has to be, so the line can be pasted.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The app's data folder (e.g. `~/.local/share/bedrock-tui`), as the history uses.
fn app_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bedrock-tui").map(|d| d.data_dir().to_path_buf())
}

/// The URL a client on this machine uses: an unspecified address (0.0.0.0, ::) listens
/// on every interface but cannot be connected to, so loopback stands for it.
fn client_url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// Resolves on the first SIGINT or SIGTERM.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_of_an_unspecified_address_is_loopback() {
        let url = |a: &str| client_url(a.parse().unwrap(), false);
        assert_eq!(url("0.0.0.0:8787"), "http://127.0.0.1:8787");
        assert_eq!(url("[::]:8787"), "http://[::1]:8787");
        assert_eq!(url("127.0.0.1:1"), "http://127.0.0.1:1");
        assert_eq!(url("192.168.1.5:80"), "http://192.168.1.5:80");
        assert_eq!(
            client_url("0.0.0.0:8787".parse().unwrap(), true),
            "https://127.0.0.1:8787"
        );
    }

    #[test]
    fn the_banner_tells_how_to_trust_the_certificate() {
        let plain = banner("http://127.0.0.1:1", None);
        assert_eq!(plain.lines().count(), 2);
        assert!(
            plain
                .lines()
                .next()
                .unwrap()
                .ends_with("http://127.0.0.1:1")
        );
        let tls = banner("https://127.0.0.1:1", Some(Path::new("/d/tls/cert.pem")));
        let lines: Vec<_> = tls.lines().collect();
        assert!(lines[0].ends_with(" https://127.0.0.1:1"), "{tls}");
        assert!(
            lines[2].ends_with(": export AWS_CA_BUNDLE=/d/tls/cert.pem"),
            "{tls}"
        );
        let spaced = banner("https://x", Some(Path::new("/my data/it's/cert.pem")));
        assert!(
            spaced.ends_with("export AWS_CA_BUNDLE='/my data/it'\\''s/cert.pem'\n"),
            "{spaced}"
        );
    }

    #[test]
    fn tls_keeps_its_certificate_under_the_data_dir() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeLocal,
        }
        let settings = |args: &[&str]| {
            let cli =
                Cli::try_parse_from(std::iter::once("serve-local").chain(args.iter().copied()))
                    .unwrap();
            cli.serve.settings().unwrap()
        };
        assert_eq!(settings(&[]).tls, None);
        assert_eq!(
            settings(&["--tls", "--data-dir", "/d"]).tls,
            Some(Tls::new("/d/tls"))
        );
        let default = settings(&["--tls"]).tls.map(|t| t.dir);
        assert_eq!(default, app_data_dir().map(|d| d.join("tls")));
    }

    #[test]
    fn quotas_and_batch_pacing_reach_the_settings() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeLocal,
        }
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("serve-local").chain(args.iter().copied()))
                .map(|c| c.serve.settings().unwrap())
        };
        let defaults = parse(&[]).unwrap();
        assert_eq!((defaults.rpm, defaults.tpm), (None, None));
        assert_eq!(defaults.quota_window, Duration::from_secs(60));
        assert_eq!(defaults.batch_min_records, 100);
        let set = parse(&[
            "--rpm",
            "5",
            "--tpm",
            "2000",
            "--quota-window-ms",
            "500",
            "--batch-step-ms",
            "50",
            "--batch-min-records",
            "1",
        ])
        .unwrap();
        assert_eq!((set.rpm, set.tpm), (Some(5), Some(2000)));
        assert_eq!(set.quota_window, Duration::from_millis(500));
        assert_eq!(set.batch_step, Duration::from_millis(50));
        assert_eq!(set.batch_min_records, 1);
        assert!(parse(&["--rpm", "0"]).is_err());
    }
}
