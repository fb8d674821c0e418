//! Snapshots of the guardrail trace pane for each policy type, folded and expanded,
//! with PII masked and revealed, of a pre-send check, and of an intervention on screen.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::json;

use crate::app::guardrail::{Check, CheckState, Pane};
use crate::app::state::Link;
use crate::app::{App, Entry, EntryState};
use crate::conversation::{Block, Message, Role, StopReason};
use crate::guardrail::*;

fn metrics(ms: i64, units: i32, chars: i32) -> Option<Metrics> {
    Some(Metrics {
        guardrail_processing_latency: Some(ms),
        usage: Some(GuardrailUsage {
            topic_policy_units: units,
            ..GuardrailUsage::default()
        }),
        guardrail_coverage: Some(Coverage {
            text_characters: Some(TextCoverage {
                guarded: Some(chars),
                total: Some(chars),
            }),
        }),
    })
}

fn acted_or_not(action: &str) -> (String, Option<bool>) {
    (action.to_owned(), Some(action != "NONE"))
}

fn topics() -> Assessment {
    let topic = |name: &str, action: &str| {
        let (action, detected) = acted_or_not(action);
        Topic {
            name: name.into(),
            kind: "DENY".into(),
            action,
            detected,
        }
    };
    Assessment {
        topic_policy: Some(TopicPolicy {
            topics: vec![
                topic("Investment advice", "BLOCKED"),
                topic("Medical advice", "NONE"),
            ],
        }),
        ..Assessment::default()
    }
}

fn content() -> Assessment {
    let filter = |kind: &str, confidence: &str, action: &str| {
        let (action, detected) = acted_or_not(action);
        ContentFilter {
            kind: kind.into(),
            confidence: confidence.into(),
            filter_strength: Some("HIGH".into()),
            action,
            detected,
        }
    };
    Assessment {
        content_policy: Some(ContentPolicy {
            filters: vec![
                filter("INSULTS", "HIGH", "BLOCKED"),
                filter("VIOLENCE", "NONE", "NONE"),
            ],
        }),
        ..Assessment::default()
    }
}

fn words() -> Assessment {
    let word = |m: &str, kind: Option<&str>, action: &str| {
        let (action, detected) = acted_or_not(action);
        Word {
            matched: m.into(),
            kind: kind.map(str::to_owned),
            action,
            detected,
        }
    };
    Assessment {
        word_policy: Some(WordPolicy {
            custom_words: vec![word("Project Falcon", None, "BLOCKED")],
            managed_word_lists: vec![word("darn", Some("PROFANITY"), "NONE")],
        }),
        ..Assessment::default()
    }
}

fn pii() -> Assessment {
    let entity = |m: &str, kind: &str, action: &str| {
        let (action, detected) = acted_or_not(action);
        PiiEntity {
            matched: m.into(),
            kind: kind.into(),
            action,
            detected,
        }
    };
    Assessment {
        sensitive_information_policy: Some(SensitiveInformationPolicy {
            pii_entities: vec![
                entity("jane.doe@example.com", "EMAIL", "ANONYMIZED"),
                entity("", "PHONE", "NONE"),
            ],
            regexes: vec![RegexMatch {
                name: Some("EmployeeId".into()),
                matched: Some("EMP-123456".into()),
                regex: Some("EMP-\\d{6}".into()),
                action: "ANONYMIZED".into(),
                detected: Some(true),
            }],
        }),
        ..Assessment::default()
    }
}

fn grounding() -> Assessment {
    let filter = |kind: &str, score: f64, threshold: f64, action: &str| {
        let (action, detected) = acted_or_not(action);
        GroundingFilter {
            kind: kind.into(),
            threshold,
            score,
            action,
            detected,
        }
    };
    Assessment {
        contextual_grounding_policy: Some(ContextualGroundingPolicy {
            filters: vec![
                filter("GROUNDING", 0.42, 0.75, "BLOCKED"),
                filter("RELEVANCE", 0.91, 0.5, "NONE"),
            ],
        }),
        ..Assessment::default()
    }
}

fn reasoning() -> Assessment {
    Assessment {
        automated_reasoning_policy: Some(AutomatedReasoningPolicy {
            findings: vec![
                json!({"invalid": {"translation": {"confidence": 0.9}}}),
                json!({"valid": {"translation": {"confidence": 0.8}}}),
            ],
        }),
        ..Assessment::default()
    }
}

/// A trace with `a` on the prompt (`input`) or on the answer, and a clean other side.
fn trace(mut a: Assessment, input: bool) -> Trace {
    a.invocation_metrics = metrics(3, 2, 48);
    let clean = Assessment {
        invocation_metrics: metrics(1, 1, 20),
        ..Assessment::default()
    };
    let (prompt, answer) = if input { (a, clean) } else { (clean, a) };
    Trace {
        guardrail: Some("demo:1".into()),
        input: vec![("demo".into(), prompt)],
        outputs: if input { vec![] } else { vec![answer] },
        action_reason: Some("Guardrail blocked.".into()),
        model_output: vec![],
    }
}

fn app_with(trace: Option<Trace>, stop: StopReason, answer: &str) -> App {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app.guardrail = Some(GuardrailChoice::parse("demo:1").unwrap());
    app.entries.push(Entry::new(
        Message::user("Should I buy Tesla stock?"),
        EntryState::Done,
    ));
    let mut a = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(answer.into())],
            model: Some("anthropic.claude-3-haiku-20240307-v1:0".into()),
        },
        EntryState::Done,
    );
    a.stop = Some(stop);
    a.guardrail = Some("demo:1".into());
    a.trace = trace.map(Box::new);
    app.entries.push(a);
    app
}

fn pane(app: &App, w: u16) -> String {
    let (title, lines) = super::trace::content(app, w).expect("the pane has content");
    let h = u16::try_from(lines.len() + 1).unwrap();
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    super::trace::render(&title, lines, area, &mut buf);
    buf.content
        .chunks(usize::from(w))
        .map(|row| {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            line.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn both(name: &str, app: &mut App) {
    app.pane = Pane::default();
    insta::assert_snapshot!(format!("trace_{name}_folded"), pane(app, 90));
    app.pane.expanded = true;
    insta::assert_snapshot!(format!("trace_{name}_expanded"), pane(app, 90));
}

const BLOCKED: &str = "Sorry, I can't help with that request.";

#[test]
fn each_policy_type_folded_and_expanded() {
    let cases = [
        ("topic", topics(), true),
        ("content", content(), true),
        ("words", words(), true),
        ("pii", pii(), false),
        ("grounding", grounding(), false),
        ("reasoning", reasoning(), false),
    ];
    for (name, a, input) in cases {
        let mut app = app_with(
            Some(trace(a, input)),
            StopReason::GuardrailIntervened,
            BLOCKED,
        );
        both(name, &mut app);
    }
}

#[test]
fn a_clean_turn_folds_to_one_line() {
    let mut app = app_with(
        Some(trace(Assessment::default(), false)),
        StopReason::EndTurn,
        "Paris.",
    );
    app.entries[1].trace.as_mut().unwrap().action_reason = None;
    app.pane = Pane::default();
    let folded = pane(&app, 90);
    assert_eq!(folded.lines().count(), 2, "{folded}");
    both("clean", &mut app);
}

#[test]
fn pii_is_masked_unless_revealed() {
    let mut t = trace(pii(), false);
    t.model_output = vec!["Write to jane.doe@example.com about EMP-123456.".into()];
    let mut app = app_with(Some(t), StopReason::GuardrailIntervened, "Write to {EMAIL}");
    let masked = pane(&app, 90);
    assert!(!masked.contains("jane.doe@example.com"), "{masked}");
    assert!(!masked.contains("EMP-123456"), "{masked}");
    app.pane.reveal = true;
    let revealed = pane(&app, 90);
    assert!(revealed.contains("jane.doe@example.com"), "{revealed}");
    insta::assert_snapshot!("trace_pii_revealed", revealed);
}

#[test]
fn a_check_shows_its_outcome_and_assessment() {
    let mut app = app_with(None, StopReason::EndTurn, "Paris.");
    app.check = Some(Check {
        request: 1,
        source: Source::Input,
        guardrail: "demo:1".into(),
        subject: "the draft".into(),
        state: CheckState::Running,
    });
    insta::assert_snapshot!("trace_check_running", pane(&app, 90));
    let mut a = words();
    a.invocation_metrics = metrics(2, 1, 30);
    app.check.as_mut().unwrap().state = CheckState::Done(ApplyResult {
        action: INTERVENED.into(),
        action_reason: Some("Guardrail blocked.".into()),
        outputs: vec![OutputText {
            text: BLOCKED.into(),
        }],
        assessments: vec![a],
        ..ApplyResult::default()
    });
    insta::assert_snapshot!("trace_check_intervened", pane(&app, 90));
}

fn screen(app: &App, w: u16, h: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut view = super::View::default();
    terminal.draw(|f| view.draw(f, app)).unwrap();
    terminal.backend().clone()
}

#[test]
fn an_intervention_on_screen() {
    let app = app_with(
        Some(trace(topics(), true)),
        StopReason::GuardrailIntervened,
        BLOCKED,
    );
    insta::assert_snapshot!("guardrail_blocked_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("guardrail_blocked_120x40", screen(&app, 120, 40));
    let masked = app_with(
        Some(trace(pii(), false)),
        StopReason::GuardrailIntervened,
        "Write to {EMAIL} about {EmployeeId}.",
    );
    insta::assert_snapshot!("guardrail_masked_120x40", screen(&masked, 120, 40));
    let mut hidden = app;
    hidden.pane.shown = false;
    let s = format!("{:?}", screen(&hidden, 80, 24));
    assert!(!s.contains("guardrail trace"), "{s}");
    assert!(s.contains("blocked the prompt"), "{s}");
}

#[test]
fn the_guardrail_picker() {
    let mut app = app_with(None, StopReason::EndTurn, "Paris.");
    let mut strict = GuardrailChoice::parse("abc123def456:3").unwrap();
    strict.label = Some("strict".into());
    strict.trace = TraceMode::EnabledFull;
    app.guardrails = vec![strict];
    crate::app::guardrail::open_picker(&mut app);
    insta::assert_snapshot!("guardrail_picker_100x24", screen(&app, 100, 24));
}

#[test]
fn with_tools_on_the_pane_says_tools_are_not_screened() {
    let mut app = app_with(
        Some(trace(Assessment::default(), false)),
        StopReason::EndTurn,
        "Paris.",
    );
    app.tools.enabled = true;
    insta::assert_snapshot!("trace_with_tools", pane(&app, 90));
    app.tools.enabled = false;
    assert!(!pane(&app, 90).contains("tools are on"));
}
