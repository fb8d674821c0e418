//! The configuration file (TOML in the user's config directory): connection defaults,
//! the model and its inference parameters, the system prompt, the code theme and key
//! bindings. A file with any error is refused whole, with its path, line and column.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::bedrock::auth::ApiKeySource;
use crate::conversation::Inference;
use crate::guardrail::{ChoiceError, DRAFT, GuardrailChoice, StreamMode, TraceMode};
use crate::keymap::{Action, Chord, Keymap};
use crate::pricing::PriceOverride;

pub const FILE_NAME: &str = "config.toml";
/// Names another config file, like `--config`.
pub const ENV_VAR: &str = "BEDROCK_TUI_CONFIG";
/// The model used when neither a flag nor the file names one.
pub const DEFAULT_MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the file says; every member is optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub model: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub system: Option<String>,
    pub inference: Inference,
    pub theme: Option<String>,
    pub export_dir: Option<PathBuf>,
    pub keys: Keymap,
    /// `[prices."ID"]`: prices that win over the built-in ones, by model or profile id.
    pub prices: BTreeMap<String, PriceOverride>,
    /// `[[guardrails]]`: the guardrails a turn or a check can use.
    pub guardrails: Vec<GuardrailChoice>,
    /// `guardrail`: the label or id of the one used by default.
    pub guardrail: Option<String>,
    /// `jobs_output`: where async jobs write their outputs unless told otherwise.
    pub jobs_output: Option<crate::jobs::S3Uri>,
    /// `download_dir`: where job outputs are downloaded unless told otherwise.
    pub download_dir: Option<PathBuf>,
    /// `api_key`: the command or file a Bedrock API key is read from.
    pub api_key: Option<ApiKeySource>,
    /// `auth_refresh`: the command that signs in again when the session expires.
    pub auth_refresh: Option<String>,
    /// `[[tools]]`, `[[mcp_servers]]`, `max_tool_rounds` and `max_result_bytes`.
    pub tools: crate::tools::Settings,
    /// `[failover]`: the routes a model's turns try in order, by model id.
    pub failover: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Option<Spanned<String>>,
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    system: Option<String>,
    theme: Option<Spanned<String>>,
    export_dir: Option<PathBuf>,
    #[serde(default)]
    inference: RawInference,
    #[serde(default)]
    keys: BTreeMap<String, Spanned<Keys>>,
    #[serde(default)]
    prices: BTreeMap<String, RawPrice>,
    #[serde(default)]
    guardrails: Vec<RawGuardrail>,
    guardrail: Option<Spanned<String>>,
    jobs_output: Option<Spanned<String>>,
    download_dir: Option<PathBuf>,
    #[serde(alias = "bearer_token")]
    api_key: Option<Spanned<RawKey>>,
    auth_refresh: Option<Spanned<String>>,
    #[serde(default)]
    tools: Vec<crate::tools::config::RawTool>,
    #[serde(default)]
    mcp_servers: Vec<crate::tools::config::RawServer>,
    max_tool_rounds: Option<Spanned<u32>>,
    max_result_bytes: Option<Spanned<usize>>,
    #[serde(default)]
    failover: BTreeMap<String, Spanned<Vec<String>>>,
    cache: Option<Spanned<String>>,
    service_tier: Option<Spanned<String>>,
    latency: Option<Spanned<String>>,
}

/// `api_key`: where the key is read from. A key written in clear is read only to be
/// refused with a message.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawKey {
    // Matched to be refused; the key itself is never looked at.
    Clear(#[allow(dead_code)] String),
    Source {
        command: Option<String>,
        file: Option<PathBuf>,
    },
}

/// A `[[guardrails]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardrail {
    id: Spanned<String>,
    version: Option<Spanned<String>>,
    label: Option<String>,
    #[serde(default)]
    trace: TraceMode,
    #[serde(default)]
    stream: StreamMode,
}

/// A `[prices."ID"]` table, in USD per million tokens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    input: Spanned<f64>,
    output: Spanned<f64>,
    cache_read: Option<Spanned<f64>>,
    cache_write: Option<Spanned<f64>>,
    cache_write_1h: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInference {
    max_tokens: Option<Spanned<u32>>,
    temperature: Option<Spanned<f32>>,
    top_p: Option<Spanned<f32>>,
    #[serde(default)]
    stop_sequences: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

impl Config {
    /// `opts` (from the flags) with what they leave out taken from the file; an
    /// explicit `--local` is not overridden by the file's `endpoint_url`.
    pub fn connect_options(
        &self,
        mut opts: crate::bedrock::ConnectOptions,
    ) -> crate::bedrock::ConnectOptions {
        opts.profile = opts.profile.or(self.profile.clone());
        opts.region = opts.region.or(self.region.clone());
        opts.api_key = opts.api_key.or(self.api_key.clone());
        if !opts.local {
            opts.endpoint_url = opts.endpoint_url.or(self.endpoint_url.clone());
        }
        opts
    }
}

/// The default location: `<config dir>/bedrock-tui/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bedrock-tui").map(|d| d.config_dir().join(FILE_NAME))
}

/// The file to read: `explicit` (from `--config`), else `$BEDROCK_TUI_CONFIG`, else the
/// default location.
pub fn path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_owned)
        .or_else(|| std::env::var_os(ENV_VAR).map(PathBuf::from))
        .or_else(default_path)
}

/// Reads the config. A missing file at the default location is an empty config; a
/// file named explicitly must exist.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let named = explicit.is_some() || std::env::var_os(ENV_VAR).is_some();
    let Some(path) = path(explicit) else {
        return Ok(Config::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(Config::default()),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

/// Line and column (both from 1) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, l)| l)
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Parses the text of a config file; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let invalid = |span: Option<Range<usize>>, message: String| {
        let (line, column) = position(text, span.map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: Raw =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().trim_end().to_owned()))?;

    if let Some(theme) = &raw.theme
        && !crate::app::theme::THEMES.contains(&theme.get_ref().as_str())
    {
        return Err(invalid(
            Some(theme.span()),
            format!(
                "unknown theme '{}'; themes: {}",
                theme.get_ref(),
                crate::app::theme::THEMES.join(", ")
            ),
        ));
    }
    if let Some(model) = &raw.model
        && let Err(e) = crate::catalog::check_model_id(model.get_ref())
    {
        return Err(invalid(Some(model.span()), e));
    }
    let mut inference = inference(&raw.inference).map_err(|(span, m)| invalid(Some(span), m))?;
    delivery(&raw, &mut inference).map_err(|(span, m)| invalid(Some(span), m))?;

    let mut overrides = Vec::new();
    for (name, keys) in &raw.keys {
        let Some(action) = Action::from_name(name) else {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            return Err(invalid(
                Some(keys.span()),
                format!(
                    "unknown action '{name}' in [keys]; actions: {}",
                    names.join(", ")
                ),
            ));
        };
        let specs = match keys.get_ref() {
            Keys::One(s) => std::slice::from_ref(s),
            Keys::Many(v) => v.as_slice(),
        };
        let chords = specs
            .iter()
            .map(|s| Chord::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| invalid(Some(keys.span()), format!("[keys] {name}: {m}")))?;
        overrides.push((action, chords, keys.span()));
    }
    let spans: Vec<(Action, Range<usize>)> =
        overrides.iter().map(|(a, _, s)| (*a, s.clone())).collect();
    let keys =
        Keymap::with(overrides.into_iter().map(|(a, c, _)| (a, c)).collect()).map_err(|m| {
            // Point at the binding that the user wrote, not at the top of the file; an
            // action left without keys was emptied by a binding, the last one at worst.
            let span = spans
                .iter()
                .find(|(a, _)| m.contains(&format!("'{}'", a.name())))
                .or(spans.last())
                .map(|(_, s)| s.clone());
            invalid(span, format!("[keys]: {m}"))
        })?;

    let prices = prices(&raw.prices).map_err(|(span, m)| invalid(Some(span), m))?;
    let guardrails = guardrails(&raw.guardrails).map_err(|(span, m)| invalid(Some(span), m))?;
    if let Some(name) = &raw.guardrail
        && find_guardrail(&guardrails, name.get_ref()).is_none()
    {
        let known: Vec<String> = guardrails.iter().map(GuardrailChoice::name).collect();
        return Err(invalid(
            Some(name.span()),
            format!(
                "guardrail '{}' is not the label or id of a [[guardrails]] entry; entries: {}",
                name.get_ref(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }

    let jobs_output = raw
        .jobs_output
        .as_ref()
        .map(|u| {
            crate::jobs::S3Uri::parse(u.get_ref())
                .map_err(|e| invalid(Some(u.span()), format!("jobs_output: {e}")))
        })
        .transpose()?;

    let api_key = raw
        .api_key
        .as_ref()
        .map(|k| api_key(k.get_ref()).map_err(|m| invalid(Some(k.span()), m)))
        .transpose()?;
    let auth_refresh = match &raw.auth_refresh {
        Some(c) if c.get_ref().trim().is_empty() => {
            return Err(invalid(
                Some(c.span()),
                "auth_refresh: an empty command".into(),
            ));
        }
        Some(c) => Some(crate::sanitize::text(c.get_ref())),
        None => None,
    };

    let tools = crate::tools::config::settings(
        &raw.tools,
        &raw.mcp_servers,
        raw.max_tool_rounds.as_ref(),
        raw.max_result_bytes.as_ref(),
        path.parent().unwrap_or(Path::new(".")),
        &|name| std::env::var(name).ok(),
    )
    .map_err(|(span, m)| invalid(Some(span), m))?;

    let mut failover = BTreeMap::new();
    for (model, routes) in raw.failover {
        let span = routes.span();
        let routes = routes.into_inner();
        if routes.is_empty() {
            return Err(invalid(
                Some(span),
                format!(
                    "[failover] {model}: list at least one route (a model or inference profile id)"
                ),
            ));
        }
        for r in &routes {
            crate::catalog::check_model_id(r)
                .map_err(|m| invalid(Some(span.clone()), format!("[failover] {model}: {m}")))?;
        }
        failover.insert(model, routes);
    }

    Ok(Config {
        path: Some(path.to_owned()),
        model: raw.model.map(Spanned::into_inner),
        region: raw.region,
        profile: raw.profile,
        endpoint_url: raw.endpoint_url,
        system: raw.system.as_deref().map(crate::sanitize::keeping_tabs),
        inference,
        theme: raw.theme.map(Spanned::into_inner),
        export_dir: raw.export_dir,
        keys,
        prices,
        guardrails,
        guardrail: raw.guardrail.map(Spanned::into_inner),
        jobs_output,
        download_dir: raw.download_dir,
        api_key,
        auth_refresh,
        tools,
        failover,
    })
}

/// Writes `auto_approve` for `tool` into the config file at `path`, keeping the rest of
/// the file as it is: `auto_approve = true` in the tool's `[[tools]]` entry, or the tool's
/// name added to its server's `auto_approve` list. Says what it did, or why it could not.
pub fn approve(path: &Path, tool: &str, source: &crate::tools::Source) -> Result<String, String> {
    use crate::tools::Source;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("cannot edit {}: {e}", path.display()))?;
    let (table, name, remote) = match source {
        Source::Command => ("tools", tool, None),
        Source::Mcp { server, remote } => ("mcp_servers", server.as_str(), Some(remote.as_str())),
    };
    let entry = doc
        .get_mut(table)
        .and_then(toml_edit::Item::as_array_of_tables_mut)
        .and_then(|a| {
            a.iter_mut()
                .find(|t| t.get("name").and_then(toml_edit::Item::as_str) == Some(name))
        })
        .ok_or_else(|| format!("{} has no [[{table}]] entry named {name}", path.display()))?;
    match remote {
        None => {
            entry.insert("auto_approve", toml_edit::value(true));
        }
        Some(remote) => {
            let list = entry
                .entry("auto_approve")
                .or_insert(toml_edit::value(toml_edit::Array::new()))
                .as_array_mut()
                .ok_or_else(|| format!("auto_approve of [[mcp_servers]] {name} is not a list"))?;
            if !list.iter().any(|v| v.as_str() == Some(remote)) {
                list.push(remote);
            }
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = tmp.as_file().set_permissions(meta.permissions());
    }
    std::io::Write::write_all(&mut tmp, doc.to_string().as_bytes())
        .and_then(|()| tmp.persist(path).map(|_| ()).map_err(|e| e.error))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "{tool} runs without asking from now on (auto_approve written to {}).",
        path.display()
    ))
}

/// The `[[guardrails]]` entries, each id and version checked as the service checks them.
fn api_key(raw: &RawKey) -> Result<ApiKeySource, String> {
    const FORMS: &str = "api_key = { command = \"pass show bedrock\" } or api_key = { file = \"~/.config/bedrock-key\" }";
    match raw {
        RawKey::Clear(_) => Err(format!(
            "api_key: a key is not kept in clear in the config; name where it is read from: {FORMS}, or set AWS_BEARER_TOKEN_BEDROCK"
        )),
        RawKey::Source {
            command: Some(c),
            file: None,
        } if !c.trim().is_empty() => Ok(ApiKeySource::Command(c.clone())),
        RawKey::Source {
            command: None,
            file: Some(f),
        } => Ok(ApiKeySource::File(f.clone())),
        RawKey::Source { .. } => Err(format!(
            "api_key takes one non-empty command or one file: {FORMS}"
        )),
    }
}

fn guardrails(raw: &[RawGuardrail]) -> Result<Vec<GuardrailChoice>, (Range<usize>, String)> {
    raw.iter()
        .map(|g| {
            let version = g.version.as_ref();
            let choice = GuardrailChoice::new(
                g.id.get_ref(),
                version.map_or(DRAFT, |v| v.get_ref().as_str()),
            )
            .map_err(|e| {
                let span = match (&e, version) {
                    (ChoiceError::Version(_), Some(v)) => v.span(),
                    _ => g.id.span(),
                };
                (span, format!("[[guardrails]]: {e}"))
            })?;
            Ok(GuardrailChoice {
                label: g.label.clone(),
                trace: g.trace,
                stream: g.stream,
                ..choice
            })
        })
        .collect()
}

impl Config {
    /// The guardrail named by `guardrail`: a label first, else an id.
    pub fn default_guardrail(&self) -> Option<&GuardrailChoice> {
        find_guardrail(&self.guardrails, self.guardrail.as_deref()?)
    }

    /// The `[[guardrails]]` entry with label or id `name`.
    pub fn guardrail_named(&self, name: &str) -> Option<&GuardrailChoice> {
        find_guardrail(&self.guardrails, name)
    }
}

fn find_guardrail<'a>(list: &'a [GuardrailChoice], name: &str) -> Option<&'a GuardrailChoice> {
    list.iter()
        .find(|g| g.label.as_deref() == Some(name))
        .or_else(|| list.iter().find(|g| g.id == name))
}

fn prices(
    raw: &BTreeMap<String, RawPrice>,
) -> Result<BTreeMap<String, PriceOverride>, (Range<usize>, String)> {
    let mut out = BTreeMap::new();
    for (id, p) in raw {
        let check = |v: &Spanned<f64>, name: &str| {
            let x = *v.get_ref();
            if x.is_finite() && x >= 0.0 {
                Ok(x)
            } else {
                Err((
                    v.span(),
                    format!(
                        "[prices.\"{id}\"] {name} must be a price of 0 or more (USD per million tokens), got {x}"
                    ),
                ))
            }
        };
        let optional =
            |v: &Option<Spanned<f64>>, name: &str| v.as_ref().map(|v| check(v, name)).transpose();
        out.insert(
            id.clone(),
            PriceOverride {
                input: check(&p.input, "input")?,
                output: check(&p.output, "output")?,
                cache_read: optional(&p.cache_read, "cache_read")?,
                cache_write: optional(&p.cache_write, "cache_write")?,
                cache_write_1h: optional(&p.cache_write_1h, "cache_write_1h")?,
            },
        );
    }
    Ok(out)
}

fn inference(raw: &RawInference) -> Result<Inference, (Range<usize>, String)> {
    if let Some(m) = &raw.max_tokens
        && *m.get_ref() == 0
    {
        return Err((m.span(), "inference.max_tokens must be at least 1".into()));
    }
    let ranged = |v: &Option<Spanned<f32>>, name: &str, max: f32| match v {
        Some(v) if !(0.0..=max).contains(v.get_ref()) => Err((
            v.span(),
            format!(
                "inference.{name} must be between 0 and {max}, got {}",
                v.get_ref()
            ),
        )),
        Some(v) => Ok(Some(*v.get_ref())),
        None => Ok(None),
    };
    Ok(Inference {
        max_tokens: raw.max_tokens.as_ref().map(|m| *m.get_ref()),
        temperature: ranged(&raw.temperature, "temperature", 2.0)?,
        top_p: ranged(&raw.top_p, "top_p", 1.0)?,
        stop_sequences: raw.stop_sequences.clone(),
        ..Inference::default()
    })
}

/// `cache`, `service_tier` and `latency`: how turns are delivered.
fn delivery(raw: &Raw, inference: &mut Inference) -> Result<(), (Range<usize>, String)> {
    if let Some(c) = &raw.cache {
        inference.cache = crate::conversation::Cache::parse(c.get_ref()).ok_or_else(|| {
            (
                c.span(),
                format!(
                    "cache must be \"off\", \"5m\" or \"1h\", got {:?}",
                    c.get_ref()
                ),
            )
        })?;
    }
    if let Some(t) = &raw.service_tier {
        inference.tier = Some(
            t.get_ref()
                .parse::<crate::conversation::Tier>()
                .ok()
                .ok_or_else(|| {
                    (
                        t.span(),
                        format!(
                            "service_tier must be \"default\", \"priority\" or \"flex\", got {:?}",
                            t.get_ref()
                        ),
                    )
                })?,
        );
    }
    if let Some(l) = &raw.latency {
        inference.latency = match l.get_ref().as_str() {
            "standard" => crate::conversation::Latency::Standard,
            "optimized" => crate::conversation::Latency::Optimized,
            other => {
                return Err((
                    l.span(),
                    format!("latency must be \"standard\" or \"optimized\", got {other:?}"),
                ));
            }
        };
    }
    Ok(())
}

/// A commented example config, printed by `bedrock-tui --print-default-config`.
pub fn example() -> String {
    let keys = Keymap::default();
    let mut out = String::from(
        "# bedrock-tui configuration. Every setting is optional; command-line flags win.\n\
         \n\
         # model = \"anthropic.claude-haiku-4-5-20251001-v1:0\"\n\
         # region = \"us-west-2\"\n\
         # profile = \"my-sso-profile\"\n\
         # endpoint_url = \"http://127.0.0.1:8787\"\n\
         # system = \"You are a concise assistant.\"\n\
         # theme = \"base16-ocean.dark\"\n\
         # export_dir = \"~/bedrock-exports\"\n\
         # Guardrails, as a list here or as [[guardrails]] tables: id or ARN; version\n\
         # DRAFT (the default) or a number; trace \"enabled\" (what acted, the default)\n\
         # or \"enabled_full\" (every filter); stream \"sync\" (each chunk screened before\n\
         # it is shown, the default) or \"async\" (shown at once, screened alongside).\n\
         # guardrails = [{ id = \"abc123def456\", version = \"3\", label = \"strict\", trace = \"enabled_full\", stream = \"sync\" }]\n\
         # The guardrail turns use by default: the label or id of one of them.\n\
         # guardrail = \"strict\"\n\
         # Async jobs (`bedrock-tui jobs`): the S3 folder outputs go to, s3://bucket[/prefix],\n\
         # and the folder they are downloaded to (a folder per job inside it).\n\
         # jobs_output = \"s3://my-bedrock-outputs/jobs\"\n\
         # download_dir = \"~/bedrock-jobs\"\n\
         # A Bedrock API key, read from a command's output or a file (AWS_BEARER_TOKEN_BEDROCK\n\
         # wins over it); never written here in clear.\n\
         # api_key = { command = \"pass show bedrock/api-key\" }\n\
         # The command that signs in again when the AWS session expires, offered in the app.\n\
         # auth_refresh = \"aws sso login --profile my-sso-profile\"\n\
         # Prompt caching (\"off\", \"5m\" or \"1h\"), the service tier (\"default\",\n\
         # \"priority\" or \"flex\") and latency (\"standard\" or \"optimized\") of every turn.\n\
         # cache = \"5m\"\n\
         # service_tier = \"flex\"\n\
         # latency = \"optimized\"\n\
         \n\
         # The routes a model's turns try in order when one is throttled or unavailable\n\
         # (default: the region's profile, then the global one).\n\
         [failover]\n\
         # \"anthropic.claude-sonnet-4-5-20250929-v1:0\" = [\"us.anthropic.claude-sonnet-4-5-20250929-v1:0\", \"global.anthropic.claude-sonnet-4-5-20250929-v1:0\"]\n\
         \n\
         [inference]\n\
         # max_tokens = 2048\n\
         # temperature = 0.7\n\
         # top_p = 0.9\n\
         # stop_sequences = [\"</answer>\"]\n\
         \n\
         # Prices in USD per million tokens, over the built-in ones (`bedrock-tui count`\n\
         # and the meter use them); by model or profile id, cache prices optional.\n\
         [prices]\n\
         # \"us.anthropic.claude-sonnet-4-5-20250929-v1:0\" = { input = 3.3, output = 16.5, cache_read = 0.33, cache_write = 4.125, cache_write_1h = 6.6 }\n\
         \n\
         # Each action takes one key or a list; a listed action loses its default keys.\n\
         [keys]\n",
    );
    for a in Action::ALL {
        let chords: Vec<String> = keys
            .label(a)
            .to_ascii_lowercase()
            .split(", ")
            .map(|c| format!("\"{c}\""))
            .collect();
        let value = match chords.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        out.push_str(&format!("# {} = {value}\n", a.name()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn err(text: &str) -> String {
        parse(text, Path::new("/cfg/config.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_every_setting() {
        let c = parse(
            r#"
model = "us.amazon.nova-pro-v1:0"
region = "eu-west-1"
profile = "dev"
system = "Be brief."
theme = "Solarized (dark)"
export_dir = "/tmp/exports"
guardrail = "strict"
jobs_output = "s3://my-videos/runs/"
download_dir = "/tmp/jobs"
api_key = { command = "pass show bedrock" }
auth_refresh = "aws sso login --profile dev"

[inference]
max_tokens = 512
temperature = 0.2
top_p = 0.9
stop_sequences = ["END"]

[keys]
picker = "ctrl+y"
history = ["f4", "alt+h"]

[prices."us.amazon.nova-pro-v1:0"]
input = 0.7
output = 2.8
cache_write = 0.9

[prices."acme.custom-v1:0"]
input = 1
output = 2

[[guardrails]]
id = "abc123"
version = "3"
label = "strict"
trace = "enabled_full"
stream = "async"

[[guardrails]]
id = "arn:aws:bedrock:us-east-1:123456789012:guardrail/xyz9"
"#,
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.model.as_deref(), Some("us.amazon.nova-pro-v1:0"));
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.profile.as_deref(), Some("dev"));
        assert_eq!(c.system.as_deref(), Some("Be brief."));
        assert_eq!(c.theme.as_deref(), Some("Solarized (dark)"));
        assert_eq!(c.export_dir, Some(PathBuf::from("/tmp/exports")));
        assert_eq!(
            c.jobs_output.as_ref().map(ToString::to_string).as_deref(),
            Some("s3://my-videos/runs")
        );
        assert_eq!(c.download_dir, Some(PathBuf::from("/tmp/jobs")));
        assert_eq!(
            c.inference,
            Inference {
                max_tokens: Some(512),
                temperature: Some(0.2),
                top_p: Some(0.9),
                stop_sequences: vec!["END".into()],
                ..Inference::default()
            }
        );
        let k = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        assert_eq!(c.keys.action(&k), Some(Action::Picker));
        assert_eq!(c.keys.label(Action::History), "F4, Alt+H");
        assert_eq!(c.keys.label(Action::Send), "Enter");
        assert_eq!(
            c.prices["us.amazon.nova-pro-v1:0"],
            PriceOverride {
                input: 0.7,
                output: 2.8,
                cache_read: None,
                cache_write: Some(0.9),
                cache_write_1h: None,
            }
        );
        assert_eq!(c.prices["acme.custom-v1:0"].output, 2.0);
        assert_eq!(c.prices.len(), 2);
        assert_eq!(
            c.guardrails,
            vec![
                GuardrailChoice {
                    id: "abc123".into(),
                    version: "3".into(),
                    label: Some("strict".into()),
                    trace: TraceMode::EnabledFull,
                    stream: StreamMode::Async,
                },
                GuardrailChoice {
                    id: "arn:aws:bedrock:us-east-1:123456789012:guardrail/xyz9".into(),
                    version: "DRAFT".into(),
                    label: None,
                    trace: TraceMode::Enabled,
                    stream: StreamMode::Sync,
                },
            ]
        );
        assert_eq!(c.guardrail.as_deref(), Some("strict"));
        assert_eq!(c.default_guardrail(), c.guardrails.first());
        assert_eq!(
            c.api_key,
            Some(ApiKeySource::Command("pass show bedrock".into()))
        );
        assert_eq!(
            c.auth_refresh.as_deref(),
            Some("aws sso login --profile dev")
        );
    }

    #[test]
    fn an_api_key_is_read_from_somewhere_never_written_in_clear() {
        let c = parse("bearer_token = { file = \"~/k\" }\n", Path::new("/c")).unwrap();
        assert_eq!(c.api_key, Some(ApiKeySource::File("~/k".into())));
        let e = err("\napi_key = \"ABSKQmVkcm9ja0FQSUtleS1zZWNyZXQ=\"\n");
        assert!(
            e.starts_with("/cfg/config.toml:2:11: api_key: a key is not kept in clear"),
            "{e}"
        );
        assert!(!e.contains("ABSK"), "the key is not repeated: {e}");
        let e = err("api_key = { command = \"a\", file = \"b\" }\n");
        assert!(
            e.contains("api_key takes one non-empty command or one file"),
            "{e}"
        );
        let e = err("api_key = { command = \" \" }\n");
        assert!(e.contains("api_key takes one"), "{e}");
        let e = err("auth_refresh = \"\"\n");
        assert!(e.contains("auth_refresh: an empty command"), "{e}");
    }

    #[test]
    fn delivery_and_failover_are_read_and_bad_values_pointed_at() {
        let c = parse(
            "cache = \"1h\"\nservice_tier = \"priority\"\nlatency = \"optimized\"\n[failover]\n\"amazon.nova-pro-v1:0\" = [\"us.amazon.nova-pro-v1:0\", \"amazon.nova-pro-v1:0\"]\n",
            Path::new("/c"),
        )
        .unwrap();
        assert_eq!(c.inference.cache, crate::conversation::Cache::OneHour);
        assert_eq!(c.inference.tier, Some(crate::conversation::Tier::Priority));
        assert_eq!(c.inference.latency, crate::conversation::Latency::Optimized);
        assert_eq!(
            c.failover.get("amazon.nova-pro-v1:0"),
            Some(&vec![
                "us.amazon.nova-pro-v1:0".to_owned(),
                "amazon.nova-pro-v1:0".to_owned()
            ])
        );
        assert_eq!(
            err("cache = \"2h\"\n"),
            "/cfg/config.toml:1:9: cache must be \"off\", \"5m\" or \"1h\", got \"2h\""
        );
        assert!(err("service_tier = \"gold\"\n").contains("service_tier must be"));
        assert!(err("latency = \"fast\"\n").contains("latency must be"));
        assert!(
            err("[failover]\n\"amazon.nova-pro-v1:0\" = []\n").contains("list at least one route")
        );
        assert!(
            err("[failover]\n\"amazon.nova-pro-v1:0\" = [\"us.nova-typo\"]\n")
                .contains("[failover] amazon.nova-pro-v1:0:")
        );
    }

    #[test]
    fn bad_guardrails_are_pointed_at() {
        let e = err("[[guardrails]]\nid = \"ok1\"\nversion = \"draft\"\n");
        assert!(
            e.starts_with(
                "/cfg/config.toml:3:11: [[guardrails]]: 'draft' is not a guardrail version"
            ),
            "{e}"
        );
        let e = err("[[guardrails]]\nid = \"Bad_Id\"\n");
        assert!(
            e.starts_with(
                "/cfg/config.toml:2:6: [[guardrails]]: 'Bad_Id' is not a guardrail identifier"
            ),
            "{e}"
        );
        let e = err("[[guardrails]]\nid = \"g1\"\ntrace = \"full\"\n");
        assert!(e.starts_with("/cfg/config.toml:3:9:"), "{e}");
        assert!(e.contains("enabled_full"), "{e}");
        let e = err("guardrail = \"nope\"\n[[guardrails]]\nid = \"g1\"\nlabel = \"dev\"\n");
        assert_eq!(
            e,
            "/cfg/config.toml:1:13: guardrail 'nope' is not the label or id of a [[guardrails]] entry; entries: dev"
        );
        // A default named by id works too.
        let c = parse(
            "guardrail = \"g1\"\n[[guardrails]]\nid = \"g1\"\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!(c.default_guardrail().map(|g| g.id.as_str()), Some("g1"));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert_eq!(
            err("region = \"us-east-1\"\ncolour = \"red\"\n"),
            "/cfg/config.toml:2:1: unknown field `colour`, expected one of `model`, `region`, `profile`, `endpoint_url`, `system`, `theme`, `export_dir`, `inference`, `keys`, `prices`, `guardrails`, `guardrail`, `jobs_output`, `download_dir`, `api_key`, `bearer_token`, `auth_refresh`, `tools`, `mcp_servers`, `max_tool_rounds`, `max_result_bytes`, `failover`, `cache`, `service_tier`, `latency`"
        );
        assert_eq!(
            err("region = \"us-east-1\"\njobs_output = \"s3://My_Bucket/x\"\n"),
            "/cfg/config.toml:2:15: jobs_output: 's3://My_Bucket/x': bucket 'My_Bucket' is not valid: a bucket name has only lowercase letters, digits, dots and hyphens"
        );
        assert!(
            err("jobs_output = \"bucket/x\"\n")
                .starts_with("/cfg/config.toml:1:15: jobs_output: 'bucket/x' is not an S3 URI"),
        );
        assert!(
            err("[inference]\nmax_tokens = \"lots\"\n")
                .starts_with("/cfg/config.toml:2:14: invalid type: string \"lots\", expected u32"),
        );
        assert_eq!(
            err("[inference]\ntemperature = 3.5\n"),
            "/cfg/config.toml:2:15: inference.temperature must be between 0 and 2, got 3.5"
        );
        assert!(
            err("theme = \"neon\"\n").starts_with(
                "/cfg/config.toml:1:9: unknown theme 'neon'; themes: base16-ocean.dark"
            )
        );
        assert_eq!(
            err("[keys]\npicker = \"ctrl+hyper+p\"\n"),
            "/cfg/config.toml:2:10: [keys] picker: unknown modifier 'hyper' in 'ctrl+hyper+p' (modifiers: ctrl, alt, shift, super)"
        );
        assert!(
            err("[keys]\n\nfly = \"ctrl+f\"\n").starts_with(
                "/cfg/config.toml:3:7: unknown action 'fly' in [keys]; actions: send,"
            )
        );
        assert_eq!(
            err("[keys]\nhelp = \"ctrl+r\"\nregenerate = \"ctrl+r\"\n"),
            "/cfg/config.toml:2:8: [keys]: Ctrl+R is bound to both 'regenerate' and 'help'"
        );
        assert_eq!(
            err("[keys]\nhelp = [\"f1\", \"ctrl+c\", \"ctrl+d\"]\n"),
            "/cfg/config.toml:2:8: [keys]: 'quit' has no key left, and the app needs one to quit"
        );
        assert!(err("model = \"anthropic.claude-sonet-4-5\"\n").starts_with(
            "/cfg/config.toml:1:9: unknown model 'anthropic.claude-sonet-4-5'; did you mean"
        ));
        assert!(err("model = [\n").starts_with("/cfg/config.toml:1:"));
        assert_eq!(
            err("[prices.\"m\"]\ninput = 1.0\noutput = -2.5\n"),
            "/cfg/config.toml:3:10: [prices.\"m\"] output must be a price of 0 or more (USD per million tokens), got -2.5"
        );
        assert_eq!(
            err("[prices.\"m\"]\ninput = 1.0\noutput = 2.0\ncache_read = nan\n"),
            "/cfg/config.toml:4:14: [prices.\"m\"] cache_read must be a price of 0 or more (USD per million tokens), got NaN"
        );
        assert!(
            err("[prices.\"m\"]\ninput = 1.0\n")
                .starts_with("/cfg/config.toml:1:1: missing field `output`"),
        );
        assert!(
            err("[prices.\"m\"]\ninput = 1\noutput = 2\ncache_writ = 3\n")
                .starts_with("/cfg/config.toml:4:1: unknown field `cache_writ`")
        );
    }

    #[test]
    fn missing_default_file_is_empty_but_a_named_one_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = load(Some(&missing)).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
        assert!(e.to_string().contains("nope.toml"));
    }

    #[test]
    fn the_example_is_a_valid_config() {
        let c = parse(&example(), Path::new("example.toml")).unwrap();
        assert_eq!(c.keys, Keymap::default());
        // Uncommented, every line is still valid.
        let on: String = example()
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.contains(" = "))
                    .unwrap_or(l)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let c = parse(&on, Path::new("example.toml")).unwrap();
        assert_eq!(c.keys, Keymap::default());
        assert_eq!(c.inference.max_tokens, Some(2048));
        assert_eq!(
            c.prices["us.anthropic.claude-sonnet-4-5-20250929-v1:0"].cache_write,
            Some(4.125)
        );
        assert_eq!(
            c.default_guardrail().map(|g| (g.id.as_str(), g.trace)),
            Some(("abc123def456", TraceMode::EnabledFull))
        );
        assert!(c.jobs_output.is_some() && c.download_dir.is_some());
    }
}
