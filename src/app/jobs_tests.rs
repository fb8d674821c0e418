//! Reducer tests for async jobs: polling that backs off and pauses, notices when a job
//! ends, the start form's checks and kept token, and downloads that ask before
//! overwriting.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;

use crate::jobs::{Job, S3Uri, Status};

use crate::app::jobs::{Download, DownloadFailure, JobInput, JobsKey, ListFailure};
use crate::app::state::Link;
use crate::app::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

pub fn job(id: &str, status: Status, failure: Option<&str>) -> Job {
    let ended = status != Status::InProgress;
    serde_json::from_value(serde_json::json!({
        "invocationArn": format!("arn:aws:bedrock:us-east-1:123456789012:async-invoke/{id}"),
        "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
        "clientRequestToken": format!("tok-{id}"),
        "status": status,
        "failureMessage": failure,
        "submitTime": "2026-12-01T19:00:00Z",
        "endTime": if ended { Some("2026-12-01T19:01:05Z") } else { None },
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": format!("s3://b/videos/{id}")}},
    }))
    .unwrap()
}

pub(crate) fn list_request(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::ListJobs { request } => Some(*request),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ListJobs in {effects:?}"))
}

pub(crate) fn poll_after(effects: &[Effect]) -> Option<(u64, Duration)> {
    effects.iter().find_map(|e| match e {
        Effect::ScheduleJobsPoll { poll, after } => Some((*poll, *after)),
        _ => None,
    })
}

/// Lets the scheduled poll run; returns the listing it asks for.
pub(crate) fn poll_now(app: &mut App) -> u64 {
    let poll = app.jobs.poll;
    list_request(&update(app, Msg::JobsPollDue(poll)))
}

pub(crate) fn connected() -> (App, u64) {
    let mut app = App::new(HAIKU);
    app.jobs.session = "s".into();
    let effects = update(
        &mut app,
        Msg::Connected(Link::Local {
            url: "http://127.0.0.1:1".into(),
            reason: None,
        }),
    );
    let request = list_request(&effects);
    (app, request)
}

fn answer(app: &mut App, request: u64, at: Instant, jobs: Vec<Job>) -> Vec<Effect> {
    update(
        app,
        Msg::JobsListed {
            request,
            at,
            result: Ok(jobs),
            batch: Ok(Vec::new()),
        },
    )
}

#[test]
fn polling_backs_off_while_nothing_changes_and_more_when_throttled_then_pauses() {
    let (mut app, request) = connected();
    let t0 = Instant::now();
    let running = vec![job("a1", Status::InProgress, None)];
    let e = answer(&mut app, request, t0, running.clone());
    let (poll, after) = poll_after(&e).expect("polls while a job runs");
    assert_eq!(after, Duration::from_secs(5));
    // A stale wake-up does nothing; the due one lists again.
    assert_eq!(update(&mut app, Msg::JobsPollDue(poll - 1)), vec![]);
    let request = list_request(&update(&mut app, Msg::JobsPollDue(poll)));
    let e = answer(&mut app, request, t0, running.clone());
    assert_eq!(poll_after(&e).unwrap().1, Duration::from_secs(10));
    // Throttled: at least 20 s, then doubling.
    let request = poll_now(&mut app);
    let throttled = |request| Msg::JobsListed {
        request,
        at: t0,
        result: Err(ListFailure {
            throttled: true,
            message: "Rate exceeded".into(),
        }),
        batch: Ok(Vec::new()),
    };
    let e = update(&mut app, throttled(request));
    assert_eq!(poll_after(&e).unwrap().1, Duration::from_secs(20));
    assert_eq!(app.jobs.error.as_deref(), Some("Rate exceeded"));
    assert_eq!(app.jobs.jobs, running, "the last listing stays");
    let request = poll_now(&mut app);
    let e = update(&mut app, throttled(request));
    assert_eq!(poll_after(&e).unwrap().1, Duration::from_secs(40));
    // The job ends: the user is told, and polling stops.
    let request = poll_now(&mut app);
    let e = answer(
        &mut app,
        request,
        t0,
        vec![job("a1", Status::Completed, None)],
    );
    assert_eq!(poll_after(&e), None);
    assert!(app.jobs.schedule.is_paused());
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Job a1 (amazon.nova-reel-v1:0) completed in 1m 05s: F5 shows it, d downloads its outputs.".into()
        ))
    );
}

#[test]
fn a_failed_job_is_told_with_its_message_but_jobs_ended_before_the_app_are_not() {
    let (mut app, request) = connected();
    let t0 = Instant::now();
    answer(
        &mut app,
        request,
        t0,
        vec![
            job("old", Status::Failed, Some("old failure")),
            job("b2", Status::InProgress, None),
        ],
    );
    assert_eq!(app.notice, None, "the first listing tells nothing");
    let request = poll_now(&mut app);
    answer(
        &mut app,
        request,
        t0,
        vec![
            job("old", Status::Failed, Some("old failure")),
            job(
                "b2",
                Status::Failed,
                Some("The model could not process the input."),
            ),
        ],
    );
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "Job b2 (amazon.nova-reel-v1:0) failed: The model could not process the input.".into()
        ))
    );
}

#[test]
fn the_form_checks_before_sending_and_a_retry_keeps_the_token() {
    let (mut app, _) = connected();
    update(&mut app, Msg::OpenJobs);
    assert_eq!(app.overlay, Overlay::Jobs);
    update(&mut app, Msg::NewJob("  A fox in the snow ".into()));
    let token = app.jobs.form.as_ref().unwrap().token.clone();
    assert_eq!(token, "s-1");
    assert_eq!(app.jobs.form.as_ref().unwrap().prompt, "A fox in the snow");
    // No output location: refused, nothing sent.
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Enter)), vec![]);
    let err = app.jobs.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.starts_with("output:"), "{err}");
    for _ in 0..3 {
        update(&mut app, Msg::Jobs(JobsKey::Tab));
    }
    for c in "s3://Bad_Bucket".chars() {
        update(&mut app, Msg::Jobs(JobsKey::Char(c)));
    }
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Enter)), vec![]);
    for _ in "Bad_Bucket".chars() {
        update(&mut app, Msg::Jobs(JobsKey::Backspace));
    }
    for c in "my-bucket/videos".chars() {
        update(&mut app, Msg::Jobs(JobsKey::Char(c)));
    }
    let start = match update(&mut app, Msg::Jobs(JobsKey::Enter)).as_slice() {
        [Effect::StartJob(s)] => s.clone(),
        other => panic!("expected StartJob, got {other:?}"),
    };
    assert_eq!(start.model_id, "amazon.nova-reel-v1:0");
    assert_eq!(start.input, JobInput::Prompt("A fox in the snow".into()));
    assert_eq!(start.output, S3Uri::parse("s3://my-bucket/videos").unwrap());
    assert_eq!(start.token, token);
    // While it is in flight, Enter does nothing; after a failure it sends the same token.
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Enter)), vec![]);
    let t0 = Instant::now();
    update(
        &mut app,
        Msg::JobStarted {
            at: t0,
            result: Err("Throttled by Bedrock: slow down".into()),
        },
    );
    let again = match update(&mut app, Msg::Jobs(JobsKey::Enter)).as_slice() {
        [Effect::StartJob(s)] => s.clone(),
        other => panic!("expected StartJob, got {other:?}"),
    };
    assert_eq!(again, start);
    let effects = update(
        &mut app,
        Msg::JobStarted {
            at: t0,
            result: Ok("arn:aws:bedrock:us-east-1:123456789012:async-invoke/new1".into()),
        },
    );
    assert_eq!(app.jobs.form, None);
    list_request(&effects);
    // A new form gets a new token.
    update(&mut app, Msg::NewJob(String::new()));
    assert_eq!(app.jobs.form.as_ref().unwrap().token, "s-2");
    update(&mut app, Msg::Jobs(JobsKey::Back));
    assert_eq!(app.jobs.form, None);
    assert_eq!(app.overlay, Overlay::Jobs);
}

#[test]
fn a_download_asks_before_overwriting_and_only_completed_jobs_have_outputs() {
    let (mut app, request) = connected();
    app.jobs.download_dir = PathBuf::from("/dl");
    answer(
        &mut app,
        request,
        Instant::now(),
        vec![
            job("run1", Status::InProgress, None),
            job("done1", Status::Completed, None),
        ],
    );
    app.overlay = Overlay::Jobs;
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('d'))), vec![]);
    assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("only a completed job")));
    update(&mut app, Msg::Jobs(JobsKey::Down));
    let arn = app.jobs.selected_job().unwrap().invocation_arn.clone();
    let effects = update(&mut app, Msg::Jobs(JobsKey::Char('d')));
    assert_eq!(
        effects,
        vec![Effect::DownloadJob {
            arn: arn.clone(),
            folder: "s3://b/videos/done1".into(),
            dir: PathBuf::from("/dl/done1"),
            overwrite: false,
        }]
    );
    let in_the_way = PathBuf::from("/dl/done1/output.mp4");
    update(
        &mut app,
        Msg::Downloaded {
            arn: arn.clone(),
            result: Err(DownloadFailure::Exists(in_the_way.clone())),
        },
    );
    assert_eq!(app.jobs.confirm, Some((arn.clone(), in_the_way)));
    let effects = update(&mut app, Msg::Jobs(JobsKey::Char('y')));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::DownloadJob {
                overwrite: true,
                ..
            }]
        ),
        "{effects:?}"
    );
    update(
        &mut app,
        Msg::DownloadProgress {
            arn: arn.clone(),
            progress: Download::Running {
                file: 1,
                files: 2,
                name: "output.mp4".into(),
                done: 10,
                total: Some(20),
            },
        },
    );
    assert!(matches!(
        app.jobs.downloads.get(&arn),
        Some(Download::Running { done: 10, .. })
    ));
    let files = vec![(PathBuf::from("/dl/done1/output.mp4"), None)];
    update(
        &mut app,
        Msg::Downloaded {
            arn: arn.clone(),
            result: Ok(files.clone()),
        },
    );
    assert_eq!(app.jobs.downloads.get(&arn), Some(&Download::Done(files)));
    // A late progress report does not undo the finished download.
    update(
        &mut app,
        Msg::DownloadProgress {
            arn: arn.clone(),
            progress: Download::Running {
                file: 2,
                files: 2,
                name: "x".into(),
                done: 1,
                total: None,
            },
        },
    );
    assert!(matches!(
        app.jobs.downloads.get(&arn),
        Some(Download::Done(_))
    ));
    // The filter cycles through the statuses.
    update(&mut app, Msg::Jobs(JobsKey::Char('f')));
    assert_eq!(app.jobs.shown().len(), 1);
    assert_eq!(app.jobs.shown()[0].id(), "run1");
}

#[test]
fn the_input_written_in_the_editor_is_sent_as_it_is() {
    let (mut app, _) = connected();
    app.jobs.output = Some(S3Uri::parse("s3://my-bucket/videos").unwrap());
    update(&mut app, Msg::NewJob("A fox".into()));
    let template = crate::app::jobs::template(&app).expect("a template");
    let mut input: serde_json::Value = serde_json::from_str(&template).unwrap();
    assert_eq!(input["textToVideoParams"]["text"], "A fox");
    update(
        &mut app,
        Msg::Edited {
            target: EditorTarget::JobInput,
            result: Ok("{ not json".into()),
        },
    );
    let err = app.jobs.form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("line 1, column 3"), "{err}");
    input["videoGenerationConfig"]["seed"] = serde_json::json!(7);
    update(
        &mut app,
        Msg::Edited {
            target: EditorTarget::JobInput,
            result: Ok(input.to_string()),
        },
    );
    assert_eq!(app.jobs.form.as_ref().unwrap().error, None);
    // Editing again starts from what was edited.
    let again: serde_json::Value =
        serde_json::from_str(&crate::app::jobs::template(&app).unwrap()).unwrap();
    assert_eq!(again, input);
    match update(&mut app, Msg::Jobs(JobsKey::Enter)).as_slice() {
        [Effect::StartJob(s)] => assert_eq!(s.input, JobInput::Json(input)),
        other => panic!("expected StartJob, got {other:?}"),
    }
}
