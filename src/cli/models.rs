//! `bedrock-tui models`: the catalog as a table or JSON, merged with what the account's
//! region lists (ListFoundationModels, ListInferenceProfiles) when credentials allow.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::common::{CREDENTIAL_CHOICES, ConnectArgs};
use super::{output, table};
use crate::bedrock::{self, NoCredentials};
use crate::catalog::live::LiveModels;
use crate::catalog::{Catalog, Geo, Model};
use crate::local::Pacing;

#[derive(Debug, Args)]
pub struct Models {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Require the live list: fail if it cannot be fetched (no credentials, a missing
    /// permission) instead of printing the catalog alone with a note on stderr.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// One row: a catalog model, a model only the account lists, or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub context_window: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub capabilities: Vec<&'static str>,
    /// Whether the bare id cannot be invoked on demand.
    pub needs_profile: bool,
    /// The inference profile for the region, if the model has one there.
    pub profile: Option<String>,
    pub in_catalog: bool,
    /// Whether the region lists it; `None` without a live list.
    pub listed: Option<bool>,
    pub note: Option<String>,
}

fn capabilities(m: &Model) -> Vec<&'static str> {
    let c = &m.capabilities;
    [
        (c.converse, "converse"),
        (c.streaming, "streaming"),
        (c.system_prompt, "system"),
        (c.tools, "tools"),
        (c.images, "images"),
        (c.documents, "documents"),
        (c.reasoning, "reasoning"),
        (c.count_tokens, "count-tokens"),
        (c.async_invoke, "async"),
        (
            m.output_modalities.iter().any(|o| o == "embedding"),
            "embeddings",
        ),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// The profile a caller in `region` would use: its geography's, else the global one.
fn region_profile(m: &Model, region: &str) -> Option<String> {
    Geo::for_region(region)
        .filter(|g| m.has_profile(*g))
        .or_else(|| {
            (m.has_profile(Geo::Global) && Geo::Global.serves_region(region)).then_some(Geo::Global)
        })
        .map(|g| m.profile_id(g))
}

/// The catalog's rows for `region`, merged with `live` when there is one.
pub fn rows(catalog: &Catalog, region: &str, live: Option<&LiveModels>) -> Vec<Row> {
    let mut rows: Vec<Row> = catalog
        .models
        .iter()
        .map(|m| {
            let listed = live.map(|l| l.get(&m.id).is_some());
            let mut profile = region_profile(m, region);
            if let Some(l) = live {
                // The region's own list says which profiles exist there.
                let offered: Vec<&str> = l
                    .profiles_for(&m.id)
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect();
                profile = profile
                    .filter(|p| offered.contains(&p.as_str()))
                    .or_else(|| offered.first().map(|p| (*p).to_owned()));
            }
            Row {
                id: m.id.clone(),
                provider: m.provider.clone(),
                name: m.name.clone(),
                context_window: Some(m.context_window),
                max_output_tokens: Some(m.max_output_tokens),
                capabilities: capabilities(m),
                needs_profile: !m.on_demand,
                profile,
                in_catalog: true,
                listed,
                note: (listed == Some(false)).then(|| format!("not listed in {region}")),
            }
        })
        .collect();
    for m in live.iter().flat_map(|l| &l.models) {
        if catalog.get(&m.id).is_some() {
            continue;
        }
        let profiles = live.map(|l| l.profiles_for(&m.id)).unwrap_or_default();
        rows.push(Row {
            id: m.id.clone(),
            provider: m.provider.clone(),
            name: m.name.clone(),
            context_window: None,
            max_output_tokens: None,
            capabilities: Vec::new(),
            needs_profile: !m.inference_types.iter().any(|t| t == "ON_DEMAND"),
            profile: profiles.first().map(|p| p.id.clone()),
            in_catalog: false,
            listed: Some(true),
            note: Some("live only".into()),
        });
    }
    rows
}

/// A token limit for the table; the catalog has none (0) for video models.
fn count(n: Option<u32>) -> String {
    n.filter(|n| *n > 0)
        .map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// The rows as an aligned table with a header line, cut to `width` columns when given.
fn models_table(rows: &[Row], width: Option<usize>) -> String {
    let dash = || "-".to_owned();
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.provider.clone(),
                r.name.clone(),
                count(r.context_window),
                count(r.max_output_tokens),
                if r.capabilities.is_empty() {
                    dash()
                } else {
                    r.capabilities.join(",")
                },
                match (&r.profile, r.needs_profile) {
                    (Some(p), true) => format!("required: {p}"),
                    (Some(p), false) => format!("optional: {p}"),
                    (None, true) => "required: none in region".to_owned(),
                    (None, false) => dash(),
                },
                r.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "ID",
        "PROVIDER",
        "NAME",
        "CONTEXT",
        "MAX OUT",
        "CAPABILITIES",
        "PROFILE",
        "NOTE",
    ]
    .map(str::to_owned);
    table::columns(&header, &cells, width)
}

/// Prints the rows. Without credentials (and without an endpoint) that is the catalog
/// alone, said on stderr: the simulated model's list would pass for an account's.
pub async fn run(args: Models) -> anyhow::Result<()> {
    let (region, live) = match bedrock::connect(&args.connect.options(Some(Pacing::OFF))).await {
        Ok(conn) => match bedrock::control::fetch_and_cache(&conn).await {
            Ok(l) => (conn.region, Some(l)),
            Err(e) if !args.live => {
                output::note(format!("showing the built-in catalog only: {e}"));
                (conn.region, None)
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => match e.downcast::<NoCredentials>() {
            Ok(_) if args.live => {
                anyhow::bail!("the live model list needs AWS credentials: {CREDENTIAL_CHOICES}")
            }
            Ok(NoCredentials { region }) => {
                output::note(format!(
                    "showing the built-in catalog only; the live list needs credentials: \
                     {CREDENTIAL_CHOICES}"
                ));
                (region, None)
            }
            Err(e) => return Err(e),
        },
    };
    let rows = rows(Catalog::builtin(), &region, live.as_ref());
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, &rows)?;
    } else {
        out.write_all(models_table(&rows, table::terminal_width()).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::live::{LiveModel, LiveProfile};

    const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

    fn live() -> LiveModels {
        LiveModels {
            region: "eu-west-1".into(),
            fetched_ms: 0,
            models: vec![
                LiveModel {
                    id: HAIKU3.into(),
                    name: "Claude 3 Haiku".into(),
                    provider: "Anthropic".into(),
                    input_modalities: vec!["TEXT".into()],
                    output_modalities: vec!["TEXT".into()],
                    streaming: Some(true),
                    inference_types: vec!["ON_DEMAND".into()],
                    lifecycle: Some("ACTIVE".into()),
                },
                LiveModel {
                    id: "acme.new-model-v1:0".into(),
                    name: "New".into(),
                    provider: "Acme".into(),
                    input_modalities: vec!["TEXT".into()],
                    output_modalities: vec!["TEXT".into()],
                    streaming: None,
                    inference_types: vec!["INFERENCE_PROFILE".into()],
                    lifecycle: None,
                },
            ],
            profiles: vec![LiveProfile {
                id: "eu.acme.new-model-v1:0".into(),
                name: "EU New".into(),
                kind: "SYSTEM_DEFINED".into(),
                status: "ACTIVE".into(),
                model_ids: vec!["acme.new-model-v1:0".into()],
            }],
        }
    }

    #[test]
    fn merges_the_live_list_into_the_catalog() {
        let c = Catalog::builtin();
        let rows = rows(c, "eu-west-1", Some(&live()));
        assert_eq!(rows.len(), c.models.len() + 1);
        let haiku = rows.iter().find(|r| r.id == HAIKU3).unwrap();
        assert_eq!(
            (
                haiku.listed,
                haiku.note.as_deref(),
                haiku.profile.as_deref()
            ),
            (Some(true), None, None)
        );
        let nova = rows
            .iter()
            .find(|r| r.id == "amazon.nova-pro-v1:0")
            .unwrap();
        assert_eq!(nova.note.as_deref(), Some("not listed in eu-west-1"));
        let new = rows.last().unwrap();
        assert_eq!(new.id, "acme.new-model-v1:0");
        assert_eq!(new.note.as_deref(), Some("live only"));
        assert!(new.needs_profile);
        assert_eq!(new.profile.as_deref(), Some("eu.acme.new-model-v1:0"));
    }

    #[test]
    fn catalog_rows_name_the_region_profile_and_align() {
        let c = Catalog::builtin();
        let rows = rows(c, "ap-south-1", None);
        let sonnet = rows
            .iter()
            .find(|r| r.id == "anthropic.claude-sonnet-4-5-20250929-v1:0")
            .unwrap();
        assert!(sonnet.needs_profile);
        assert_eq!(
            sonnet.profile.as_deref(),
            Some("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert_eq!(sonnet.listed, None);
        let text = models_table(&rows, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), c.models.len() + 1);
        assert!(lines[0].starts_with("ID "));
        let col = lines[0].find("PROVIDER").unwrap();
        assert!(lines[1..].iter().all(|l| l[col - 2..col].trim().is_empty()));
        assert!(text.contains("required: global.anthropic.claude-sonnet-4-5-20250929-v1:0"));
    }
}
