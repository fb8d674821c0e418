//! The config's `[[tools]]` and `[[mcp_servers]]` entries, checked as Converse and the
//! runner need them: names Converse accepts, object schemas that compile, argv without
//! a shell, and one transport per server. Errors carry the span they are about.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{CommandTool, McpServer, Settings, ToolSpec, Transport};

type Error = (Range<usize>, String);

/// A `[[tools]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTool {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    /// An inline table, or the path of a JSON file.
    input_schema: Spanned<toml::Value>,
    command: Spanned<Vec<String>>,
    timeout: Option<Spanned<f64>>,
    cwd: Option<PathBuf>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Variables of the app's environment passed on as they are.
    #[serde(default)]
    pass_env: Vec<String>,
    #[serde(default)]
    auto_approve: bool,
}

/// A `[[mcp_servers]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    name: Spanned<String>,
    command: Option<Spanned<String>>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    pass_env: Vec<String>,
    cwd: Option<PathBuf>,
    url: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout: Option<Spanned<f64>>,
    #[serde(default)]
    auto_approve: Vec<String>,
}

/// The whole tools part, from the raw entries; `dir` is the config file's folder, which
/// relative schema paths start from; `env` reads the app's environment for `pass_env`.
pub fn settings(
    tools: &[RawTool],
    servers: &[RawServer],
    max_rounds: Option<&Spanned<u32>>,
    max_result_bytes: Option<&Spanned<usize>>,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, Error> {
    let mut names = BTreeSet::new();
    let mut commands = Vec::new();
    for t in tools {
        let c = command_tool(t, dir, env)?;
        if !names.insert(c.spec.name.clone()) {
            return Err((
                t.name.span(),
                format!("[[tools]]: a second tool named '{}'", c.spec.name),
            ));
        }
        commands.push(c);
    }
    let mut out = Vec::new();
    let mut server_names = BTreeSet::new();
    for s in servers {
        let server = server(s, env)?;
        if !server_names.insert(server.name.clone()) {
            return Err((
                s.name.span(),
                format!("[[mcp_servers]]: a second server named '{}'", server.name),
            ));
        }
        out.push(server);
    }
    let max_rounds = match max_rounds {
        Some(n) if *n.get_ref() == 0 => {
            return Err((n.span(), "max_tool_rounds must be 1 or more".into()));
        }
        Some(n) => *n.get_ref(),
        None => super::DEFAULT_MAX_ROUNDS,
    };
    let max_result_bytes = match max_result_bytes {
        Some(n) if *n.get_ref() < 1024 => {
            return Err((n.span(), "max_result_bytes must be 1024 or more".into()));
        }
        Some(n) => *n.get_ref(),
        None => super::DEFAULT_MAX_RESULT_BYTES,
    };
    Ok(Settings {
        commands,
        servers: out,
        max_rounds,
        max_result_bytes,
    })
}

fn timeout(t: Option<&Spanned<f64>>, what: &str) -> Result<Duration, Error> {
    match t {
        None => Ok(super::DEFAULT_TIMEOUT),
        Some(s) => {
            let secs = *s.get_ref();
            if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
                Ok(Duration::from_secs_f64(secs))
            } else {
                Err((
                    s.span(),
                    format!("{what}: timeout must be a number of seconds above 0, up to 86400"),
                ))
            }
        }
    }
}

/// `env` with the `pass_env` variables the app has added.
fn environment(
    env: &BTreeMap<String, String>,
    pass: &[String],
    read: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut out = env.clone();
    for name in pass {
        if let Some(v) = read(name) {
            out.entry(name.clone()).or_insert(v);
        }
    }
    out
}

fn command_tool(
    t: &RawTool,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CommandTool, Error> {
    let name = t.name.get_ref();
    if !super::valid_name(name) {
        return Err((
            t.name.span(),
            format!(
                "[[tools]]: '{name}' is not a tool name Converse accepts: 1 to 64 letters, digits, '_' or '-'"
            ),
        ));
    }
    let what = format!("[[tools]] {name}");
    let argv = t.command.get_ref();
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return Err((
            t.command.span(),
            format!("{what}: command must name a program, as a list: [\"program\", \"arg\", ...]"),
        ));
    }
    let schema = schema(&t.input_schema, dir, &what)?;
    Ok(CommandTool {
        spec: ToolSpec {
            name: name.clone(),
            description: crate::sanitize::text(&t.description),
            input_schema: schema,
        },
        argv: argv.clone(),
        timeout: timeout(t.timeout.as_ref(), &what)?,
        cwd: t.cwd.as_deref().map(|p| dir.join(p)),
        env: environment(&t.env, &t.pass_env, env),
        auto_approve: t.auto_approve,
    })
}

/// The schema written inline, or read from the JSON file the string names.
fn schema(raw: &Spanned<toml::Value>, dir: &Path, what: &str) -> Result<serde_json::Value, Error> {
    let value = match raw.get_ref() {
        toml::Value::String(path) => {
            let path = dir.join(crate::paths::expand_home(path));
            let text = std::fs::read_to_string(&path).map_err(|e| {
                (
                    raw.span(),
                    format!("{what}: cannot read input_schema {}: {e}", path.display()),
                )
            })?;
            serde_json::from_str(&text).map_err(|e| {
                (
                    raw.span(),
                    format!("{what}: {} is not JSON: {e}", path.display()),
                )
            })?
        }
        toml::Value::Table(_) => serde_json::to_value(raw.get_ref())
            .map_err(|e| (raw.span(), format!("{what}: input_schema: {e}")))?,
        _ => {
            return Err((
                raw.span(),
                format!("{what}: input_schema is an inline table or the path of a JSON file"),
            ));
        }
    };
    super::check_schema(&value).map_err(|m| (raw.span(), format!("{what}: {m}")))?;
    Ok(value)
}

fn server(s: &RawServer, env: &dyn Fn(&str) -> Option<String>) -> Result<McpServer, Error> {
    let name = s.name.get_ref();
    if !super::valid_name(name) || name.contains("__") || name.len() > 30 {
        return Err((
            s.name.span(),
            format!(
                "[[mcp_servers]]: '{name}' is not a server name: 1 to 30 letters, digits, '_' or '-', without '__' (its tools are called {name}__tool)"
            ),
        ));
    }
    let what = format!("[[mcp_servers]] {name}");
    let transport = match (&s.command, &s.url) {
        (Some(c), None) if !c.get_ref().trim().is_empty() => Transport::Stdio {
            command: c.get_ref().clone(),
            args: s.args.clone(),
            env: environment(&s.env, &s.pass_env, env),
            cwd: s.cwd.clone(),
        },
        (None, Some(u)) => {
            let url = u.get_ref();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err((
                    u.span(),
                    format!("{what}: url must be an http:// or https:// address"),
                ));
            }
            Transport::Http {
                url: url.clone(),
                headers: s.headers.clone(),
            }
        }
        _ => {
            return Err((
                s.name.span(),
                format!("{what}: give either command (a stdio server) or url (streamable HTTP)"),
            ));
        }
    };
    Ok(McpServer {
        name: name.clone(),
        transport,
        timeout: timeout(s.timeout.as_ref(), &what)?,
        auto_approve: s.auto_approve.clone(),
    })
}
