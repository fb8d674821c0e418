//! `bedrock-tui ask --compare A,B[,C[,D]]`: one prompt sent to two to four models or
//! profiles at once. Each answer is printed in turn under its model, then a table of
//! the figures (time to first token, output speed, tokens, stop reason, cost) naming
//! the cheapest and the fastest; `--json` prints one object. A model that fails shows
//! its error and does not stop the others; the exit code is 1 when any failed.

use std::io::Write;
use std::time::Instant;

use serde_json::json;

use super::output;
use crate::app::turn::{TurnEvent, TurnRequest};
use crate::bedrock::{self, Connection};
use crate::catalog::{Catalog, invocation_id};
use crate::conversation::{StopReason, Usage};
use crate::pricing::{Prices, cost, format_usd};

pub use crate::app::compare::MODELS;

/// One model's answer and figures.
#[derive(Debug, Clone, Default)]
struct Column {
    model: String,
    text: String,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    ttft_ms: Option<u64>,
    total_ms: u64,
    error: Option<String>,
    usd: Option<f64>,
}

impl Column {
    /// Output tokens per second after the first token.
    fn rate(&self) -> Option<f64> {
        let out = self.usage?.output;
        let ms = self.total_ms.checked_sub(self.ttft_ms?)?;
        (ms > 0 && out > 0).then(|| f64::from(out) * 1000.0 / ms as f64)
    }
}

/// The names `--compare` was given, checked: two to four known ids, each once.
pub fn check(models: &[String]) -> anyhow::Result<()> {
    if !MODELS.contains(&models.len()) {
        anyhow::bail!(
            "--compare takes {} to {} models, comma-separated; got {}",
            MODELS.start(),
            MODELS.end(),
            models.len()
        );
    }
    for (i, m) in models.iter().enumerate() {
        crate::catalog::check_model_id(m).map_err(|e| anyhow::anyhow!("--compare: {e}"))?;
        if models[..i].contains(m) {
            anyhow::bail!("--compare: {m} is named twice");
        }
    }
    Ok(())
}

/// Streams `base` to one model, timing it as the meter does.
async fn one(conn: Connection, mut req: TurnRequest, model: String, prices: &Prices) -> Column {
    let mut col = Column {
        model: model.clone(),
        ..Column::default()
    };
    req.model_id = invocation_id(Catalog::builtin(), &model, &conn.region);
    crate::app::adapt::fit_citations(&mut req.messages, &req.model_id);
    if let Err(e) = crate::attach::rules::check(Catalog::builtin(), &req.model_id, &req.messages) {
        col.error = Some(e.to_string());
        return col;
    }
    let started = Instant::now();
    let result = bedrock::stream_turn(&conn, &req, |e| match e {
        TurnEvent::Text(t) => {
            col.ttft_ms
                .get_or_insert(started.elapsed().as_millis() as u64);
            col.text.push_str(&t);
        }
        TurnEvent::Stop(s) => col.stop = Some(s),
        TurnEvent::Metadata { usage, .. } => col.usage = Some(usage),
        _ => {}
    })
    .await;
    col.total_ms = started.elapsed().as_millis() as u64;
    if let Err(e) = result {
        col.error = Some(e.to_string());
    }
    col.usd = col
        .usage
        .zip(prices.lookup(&req.model_id, &conn.region))
        .map(|(u, p)| cost(&u, &p));
    col.model = req.model_id;
    col
}

/// Sends `base` to every model at once and prints the answers and their figures;
/// fails, after printing, when any model failed.
pub async fn run(
    conn: &Connection,
    base: TurnRequest,
    models: &[String],
    prices: &Prices,
    as_json: bool,
) -> anyhow::Result<()> {
    let columns = futures_util::future::join_all(
        models
            .iter()
            .map(|m| one(conn.clone(), base.clone(), m.clone(), prices)),
    )
    .await;
    let mut out = output::stdout();
    if as_json {
        output::json(&mut out, &to_json(&columns))?;
    } else {
        write!(out, "{}", text(&columns))?;
    }
    out.flush()?;
    let failed: Vec<&Column> = columns.iter().filter(|c| c.error.is_some()).collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} models failed: {}",
            failed.len(),
            columns.len(),
            failed
                .iter()
                .map(|c| c.model.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// The model answering cheapest and the one whose answer came whole soonest.
fn best(columns: &[Column]) -> (Option<&Column>, Option<&Column>) {
    let ok = || columns.iter().filter(|c| c.error.is_none());
    let cheapest = ok().filter(|c| c.usd.is_some()).min_by(|a, b| {
        a.usd
            .partial_cmp(&b.usd)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let fastest = ok().min_by_key(|c| c.total_ms);
    (cheapest, fastest)
}

fn stop_name(s: &StopReason) -> String {
    crate::store::converse_json::stop_reason_str(s).to_owned()
}

fn text(columns: &[Column]) -> String {
    let mut s = String::new();
    for c in columns {
        s.push_str(&format!("── {} ──\n", c.model));
        match &c.error {
            Some(e) => s.push_str(&format!("error: {e}\n\n")),
            None => {
                s.push_str(c.text.trim_end());
                s.push_str("\n\n");
            }
        }
    }
    let header: Vec<String> = ["model", "ttft", "tok/s", "in", "out", "stop", "cost"]
        .map(String::from)
        .to_vec();
    let rows: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            vec![
                c.model.clone(),
                c.ttft_ms.map_or("–".into(), |ms| format!("{ms} ms")),
                c.rate().map_or("–".into(), |r| format!("{r:.0}")),
                c.usage.map_or("–".into(), |u| u.input.to_string()),
                c.usage.map_or("–".into(), |u| u.output.to_string()),
                match (&c.error, &c.stop) {
                    (Some(_), _) => "failed".into(),
                    (None, Some(stop)) => stop_name(stop),
                    (None, None) => "–".into(),
                },
                c.usd.map_or("price unknown".into(), format_usd),
            ]
        })
        .collect();
    s.push_str(&super::table::columns(
        &header,
        &rows,
        super::table::terminal_width(),
    ));
    let (cheapest, fastest) = best(columns);
    if let (Some(c), Some(f)) = (cheapest, fastest) {
        s.push_str(&format!(
            "cheapest: {} ({}) · fastest: {} ({} ms)\n",
            c.model,
            c.usd.map(format_usd).unwrap_or_default(),
            f.model,
            f.total_ms
        ));
    }
    s
}

fn to_json(columns: &[Column]) -> serde_json::Value {
    let (cheapest, fastest) = best(columns);
    json!({
        "answers": columns.iter().map(|c| json!({
            "model": c.model,
            "text": c.text,
            "stopReason": c.stop.as_ref().map(stop_name),
            "usage": c.usage.map(|u| json!({"inputTokens": u.input, "outputTokens": u.output})),
            "ttftMs": c.ttft_ms,
            "totalMs": c.total_ms,
            "outputTokensPerSecond": c.rate(),
            "costUsd": c.usd,
            "error": c.error,
        })).collect::<Vec<_>>(),
        "cheapest": cheapest.map(|c| &c.model),
        "fastest": fastest.map(|c| &c.model),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(model: &str, usd: Option<f64>, total_ms: u64, error: bool) -> Column {
        Column {
            model: model.into(),
            usd,
            total_ms,
            ttft_ms: Some(100),
            usage: Some(Usage {
                input: 10,
                output: 90,
                ..Usage::default()
            }),
            error: error.then(|| "Throttled".into()),
            ..Column::default()
        }
    }

    #[test]
    fn the_cheapest_and_fastest_leave_out_failures_and_unknown_prices() {
        let cols = [
            col("a", Some(0.002), 900, false),
            col("b", Some(0.0001), 300, true),
            col("c", None, 400, false),
            col("d", Some(0.001), 1200, false),
        ];
        let (cheapest, fastest) = best(&cols);
        assert_eq!(cheapest.unwrap().model, "d");
        assert_eq!(fastest.unwrap().model, "c");
        // 90 tokens in the 800 ms after the first.
        assert_eq!(cols[0].rate(), Some(112.5));
    }

    #[test]
    fn two_to_four_known_models_each_once() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check(&ids(&["amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"])).is_ok());
        assert!(check(&ids(&["amazon.nova-lite-v1:0"])).is_err());
        let e = check(&ids(&["amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"])).unwrap_err();
        assert!(e.to_string().contains("named twice"), "{e}");
        let e = check(&ids(&["amazon.nova-lite-v1:0", "acme.nope-v1"])).unwrap_err();
        assert!(e.to_string().starts_with("--compare:"), "{e}");
    }
}
