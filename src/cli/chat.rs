//! The interactive chat's start-up: the flags over the config file become the app's
//! options, checked before the terminal is touched.

use std::io::Write;

use anyhow::Context;

use super::{Cli, output};
use crate::bedrock::ConnectOptions;
use crate::config::{Config, DEFAULT_MODEL};
use crate::guardrail::GuardrailChoice;
use crate::pricing::Prices;

/// Prints what `--print-config-path` or `--print-default-config` ask for, else runs
/// the chat until it quits.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if cli.print_config_path {
        match crate::config::path(cli.config.as_deref()) {
            Some(p) => writeln!(output::stdout(), "{}", p.display())?,
            None => anyhow::bail!("no config directory could be found for this user"),
        }
        return Ok(());
    }
    if cli.print_default_config {
        output::stdout().write_all(crate::config::example().as_bytes())?;
        return Ok(());
    }
    // A config with any error stops the app before the terminal is touched.
    let config = crate::config::load(cli.config.as_deref())?;
    let opts = options(cli, config)?;
    crate::logging::to_file()?;
    crate::tui::run(opts).await
}

/// The app's options: each flag, else the config's setting, else the default.
fn options(cli: Cli, config: Config) -> anyhow::Result<crate::tui::Options> {
    // The chat falls back to the local endpoint without credentials, and says so.
    let connect = ConnectOptions {
        fallback_local: true,
        ..config.connect_options(cli.connect.options(None))
    };
    let guardrail = match cli.guardrail.as_deref() {
        Some(spec) => Some(match config.guardrail_named(spec) {
            Some(g) => g.clone(),
            None => {
                GuardrailChoice::parse(spec).map_err(|e| anyhow::anyhow!("--guardrail: {e}"))?
            }
        }),
        None => config.default_guardrail().cloned(),
    };
    let model = cli
        .model
        .or(config.model)
        .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
    if let Err(e) = crate::catalog::check_model_id(&model) {
        anyhow::bail!("--model: {e}");
    }
    let theme = cli.theme.or(config.theme);
    if let Some(t) = &theme
        && !crate::app::theme::THEMES.contains(&t.as_str())
    {
        anyhow::bail!(
            "--theme: unknown theme '{t}'; themes: {}",
            crate::app::theme::THEMES.join(", ")
        );
    }
    let export_dir = match &config.export_dir {
        Some(d) => crate::paths::expand_home(&d.to_string_lossy()),
        None => std::env::current_dir().context("finding the current directory")?,
    };
    let download_dir = match &config.download_dir {
        Some(d) => crate::paths::expand_home(&d.to_string_lossy()),
        None => export_dir.clone(),
    };
    // The prices live as long as the app; built once, with the config's overrides.
    let prices: &'static Prices = if config.prices.is_empty() {
        Prices::builtin()
    } else {
        Box::leak(Box::new(Prices::builtin().with_overrides(&config.prices)))
    };
    Ok(crate::tui::Options {
        connect,
        model,
        system: cli
            .system
            .as_deref()
            .map(crate::sanitize::keeping_tabs)
            .or(config.system),
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
        auth_refresh: config.auth_refresh,
        tools: config.tools,
        config_path: config.path,
        failover: config.failover,
    })
}
