//! The `bedrock-tui` binary: parses the command line and runs the chosen command.

use std::io::Write;

use anyhow::Context;
use clap::Parser;

use bedrock_tui::cli::{Cli, Command, ServeLocal};
use bedrock_tui::local::LocalEndpoint;

fn main() -> anyhow::Result<()> {
    bedrock_tui::clock::init_local_offset();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::ServeLocal(opts)) => serve_local(opts),
        Some(Command::Ask(args)) => {
            let config = bedrock_tui::config::load(cli.config.as_deref())?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(bedrock_tui::ask::run(args, config))
        }
        Some(Command::Count(args)) => {
            let config = bedrock_tui::config::load(cli.config.as_deref())?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(bedrock_tui::count::run(args, config))
        }
        Some(Command::Guardrail(args)) => {
            let config = bedrock_tui::config::load(cli.config.as_deref())?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            // An intervention is a result, not an error: scripts tell it apart by the code.
            if runtime.block_on(bedrock_tui::guardrail_cmd::run(args, config))? {
                std::process::exit(bedrock_tui::guardrail_cmd::EXIT_INTERVENED);
            }
            Ok(())
        }
        Some(Command::Jobs(args)) => {
            let config = bedrock_tui::config::load(cli.config.as_deref())?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(bedrock_tui::jobs_cmd::run(args, config))
        }
        Some(Command::Models(args)) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(bedrock_tui::models::run(args))
        }
        None => chat(cli),
    }
}

/// The interactive chat, set up from the flags over the config file.
fn chat(cli: Cli) -> anyhow::Result<()> {
    if cli.print_config_path {
        match bedrock_tui::config::path(cli.config.as_deref()) {
            Some(p) => println!("{}", p.display()),
            None => anyhow::bail!("no config directory could be found for this user"),
        }
        return Ok(());
    }
    if cli.print_default_config {
        print!("{}", bedrock_tui::config::example());
        return Ok(());
    }
    // A config with any error stops the app before the terminal is touched.
    let config = bedrock_tui::config::load(cli.config.as_deref())?;
    let connect = config.connect_options(cli.connect.options(None));
    let guardrail = match cli.guardrail.as_deref() {
        Some(spec) => Some(match config.guardrail_named(spec) {
            Some(g) => g.clone(),
            None => bedrock_tui::guardrail::GuardrailChoice::parse(spec)
                .map_err(|e| anyhow::anyhow!("--guardrail: {e}"))?,
        }),
        None => config.default_guardrail().cloned(),
    };
    let model = cli
        .model
        .or(config.model)
        .unwrap_or_else(|| bedrock_tui::ask::DEFAULT_MODEL.to_owned());
    if let Err(e) = bedrock_tui::catalog::check_model_id(&model) {
        anyhow::bail!("--model: {e}");
    }
    let theme = cli.theme.or(config.theme);
    if let Some(t) = &theme
        && !bedrock_tui::app::theme::THEMES.contains(&t.as_str())
    {
        anyhow::bail!(
            "--theme: unknown theme '{t}'; themes: {}",
            bedrock_tui::app::theme::THEMES.join(", ")
        );
    }
    let export_dir = match &config.export_dir {
        Some(d) => bedrock_tui::paths::expand_home(&d.to_string_lossy()),
        None => std::env::current_dir().context("finding the current directory")?,
    };
    let download_dir = match &config.download_dir {
        Some(d) => bedrock_tui::paths::expand_home(&d.to_string_lossy()),
        None => export_dir.clone(),
    };
    // The prices live as long as the app; built once, with the config's overrides.
    let prices: &'static bedrock_tui::pricing::Prices = if config.prices.is_empty() {
        bedrock_tui::pricing::Prices::builtin()
    } else {
        Box::leak(Box::new(
            bedrock_tui::pricing::Prices::builtin().with_overrides(&config.prices),
        ))
    };
    bedrock_tui::logging::to_file()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let opts = bedrock_tui::tui::Options {
        connect,
        model,
        system: cli.system.or(config.system),
        inference: config.inference,
        continue_last: cli.continue_last,
        keys: config.keys,
        theme,
        export_dir,
        prices,
        guardrail,
        guardrails: config.guardrails,
        download_dir,
        jobs_output: config.jobs_output,
    };
    runtime.block_on(bedrock_tui::tui::run(opts))
}

fn serve_local(opts: ServeLocal) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let settings = opts.settings().map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        // Handlers go in before the URL is printed: a caller may signal as soon as it reads it.
        let stop = stop_signal()?;
        let endpoint = LocalEndpoint::start(opts.addr, settings)
            .await
            .with_context(|| format!("binding {}", opts.addr))?;
        let banner = format!(
            "local Bedrock endpoint listening on {url}\n\
             point an SDK at it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url} (any credentials are accepted)\n",
            url = endpoint.url()
        );
        // A reader that stops reading after the first line must not stop the server.
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
            tracing::warn!("could not write to stdout: {e}");
        }
        drop(out);
        stop.await;
        endpoint.shutdown().await;
        anyhow::Ok(())
    })
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
