//! Runs a native console request: InvokeModelWithResponseStream where the family
//! streams, InvokeModel otherwise. The answer's text comes back as the events of a turn,
//! parsed from the family's chunks, with the usage the service reported and the record
//! of the exchange (its raw chunks among it).

use crate::app::meter::Timing;
use crate::app::native::{NativeRequest, operation};
use crate::app::turn::TurnEvent;
use crate::app::{Msg, TurnId};
use crate::bedrock::{invoke, wire::Recorder};
use crate::conversation::{StopReason, Usage};

use super::executor::{Conn, Tx, connection};

/// The app's stop reason for a family's own (`end_turn`, `stop`, `COMPLETE`, `length`...).
fn stop_reason(s: &str) -> StopReason {
    match s.to_ascii_lowercase().as_str() {
        "end_turn" | "stop" | "complete" | "finish" | "finished" | "eos" => StopReason::EndTurn,
        "max_tokens" | "length" | "max_tokens_reached" => StopReason::MaxTokens,
        "stop_sequence" | "stop_sequence_reached" => StopReason::StopSequence,
        "content_filtered" => StopReason::ContentFiltered,
        other => StopReason::Other(other.to_owned()),
    }
}

pub(super) async fn turn(id: TurnId, req: NativeRequest, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    let send = |event: TurnEvent| {
        let _ = tx.send(Msg::Turn { id, event });
    };
    let recorder = Recorder::new(&conn, operation(req.stream), &req.model_id);
    let started = std::time::Instant::now();
    let mut first_token_ms = None;
    let result = if req.stream {
        let mut chunks = crate::native::Chunks::new(req.family);
        let mut bad = None;
        let counts = invoke::invoke_stream_recorded(
            &conn,
            &req.model_id,
            req.body.clone(),
            &recorder,
            |bytes| match chunks.push(bytes) {
                Ok(text) if !text.is_empty() => {
                    if first_token_ms.is_none() {
                        first_token_ms = Some(started.elapsed().as_millis() as u64);
                        recorder.event(crate::inspect::EventKind::FirstToken);
                    }
                    send(TurnEvent::Text(text));
                }
                Ok(_) => {}
                Err(e) => {
                    bad.get_or_insert(e.to_string());
                }
            },
        )
        .await;
        counts.map(|c| (chunks.finish(), c, bad))
    } else {
        invoke::invoke_recorded(&conn, &req.model_id, req.body.clone(), &recorder)
            .await
            .map(
                |(body, c)| match crate::native::parse_response(req.family, &body) {
                    Ok(reply) => {
                        first_token_ms = Some(started.elapsed().as_millis() as u64);
                        send(TurnEvent::Text(reply.text.clone()));
                        (reply, c, None)
                    }
                    Err(e) => (crate::native::Reply::default(), c, Some(e.to_string())),
                },
            )
    };
    let total_ms = started.elapsed().as_millis() as u64;
    let mut response = crate::inspect::Response {
        latency_ms: Some(total_ms),
        ..crate::inspect::Response::default()
    };
    let end = match result {
        Ok((reply, counts, bad)) => {
            response.stop_reason = reply.stop.clone();
            if let Some(s) = &reply.stop {
                send(TurnEvent::Stop(stop_reason(s)));
            }
            let usage = match (counts.input, counts.output, reply.usage) {
                (Some(input), Some(output), _) => Some(Usage {
                    input,
                    output,
                    ..Usage::default()
                }),
                (_, _, usage) => usage,
            };
            if let Some(usage) = usage {
                response.usage = Some(serde_json::json!({
                    "inputTokens": usage.input,
                    "outputTokens": usage.output,
                }));
                send(TurnEvent::Metadata {
                    usage,
                    latency_ms: total_ms,
                });
            }
            match bad {
                // The call went through but its answer could not be read: shown as a
                // failure, with the raw response kept in the inspector.
                Some(why) => {
                    let message = format!("The response could not be read: {why}");
                    recorder.failed(&message);
                    Err(crate::app::error::BedrockError::Other {
                        code: "NativeResponse".into(),
                        message,
                    })
                }
                None => Ok(()),
            }
        }
        Err(e) => {
            recorder.failed(&e.to_string());
            Err(e)
        }
    };
    recorder.update(|x| x.response = Some(response));
    send(TurnEvent::Exchange(Box::new(recorder.snapshot())));
    let _ = tx.send(Msg::TurnTiming {
        id,
        timing: Timing {
            first_token_ms,
            total_ms,
            service_ms: None,
        },
    });
    let _ = tx.send(match end {
        Ok(()) => Msg::TurnDone { id },
        Err(error) => Msg::TurnFailed { id, error },
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_familys_stop_reasons_map_to_the_apps() {
        for s in ["end_turn", "stop", "COMPLETE", "FINISH"] {
            assert_eq!(stop_reason(s), StopReason::EndTurn, "{s}");
        }
        for s in ["max_tokens", "length", "LENGTH", "MAX_TOKENS"] {
            assert_eq!(stop_reason(s), StopReason::MaxTokens, "{s}");
        }
        assert_eq!(stop_reason("stop_sequence"), StopReason::StopSequence);
        assert_eq!(stop_reason("odd"), StopReason::Other("odd".into()));
    }
}
