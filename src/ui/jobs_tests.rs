//! Snapshots of the jobs pane: empty, mixed statuses, the details of a failed and of a
//! downloaded job, and the start form.

use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::jobs::Download;
use crate::app::jobs::tests::job;
use crate::app::state::Link;
use crate::app::{App, Overlay};
use crate::jobs::Status;

/// 2026-12-01T19:02:30Z: the running jobs of the fixtures have run 2m 30s.
fn clock() -> i64 {
    1_796_151_750_000
}

fn screen(app: &App, w: u16, h: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut view = super::View {
        now_ms: clock(),
        ..super::View::default()
    };
    terminal.draw(|f| view.draw(f, app)).unwrap();
    terminal.backend().clone()
}

fn app() -> App {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app.overlay = Overlay::Jobs;
    app.jobs.listed = true;
    app.jobs.session = "4f1c0b9e".into();
    app
}

fn mixed() -> App {
    let mut app = app();
    app.jobs.jobs = vec![
        job("r1inprogress", Status::InProgress, None),
        job("c1completed", Status::Completed, None),
        job(
            "f1failed",
            Status::Failed,
            Some("The model could not process the input and the invocation failed."),
        ),
    ];
    app
}

#[test]
fn empty_and_listing() {
    let mut app = app();
    insta::assert_snapshot!("jobs_empty_120x30", screen(&app, 120, 30));
    app.jobs.listed = false;
    let s = format!("{:?}", screen(&app, 120, 30));
    assert!(s.contains("listing…"), "{s}");
}

#[test]
fn mixed_statuses_and_a_filter() {
    let mut app = mixed();
    insta::assert_snapshot!("jobs_mixed_120x30", screen(&app, 120, 30));
    // Narrower: the submit time goes, model and output share the rest, nothing is cut
    // at the pane's edge without an ellipsis.
    insta::assert_snapshot!("jobs_mixed_80x24", screen(&app, 80, 24));
    app.jobs.filter = Some(Status::Failed);
    let s = format!("{:?}", screen(&app, 120, 30));
    assert!(s.contains("filter: Failed · 1 jobs"), "{s}");
    assert!(!s.contains("r1inprogress"), "{s}");
}

#[test]
fn details_of_a_failed_and_of_a_downloaded_job() {
    let mut app = mixed();
    app.jobs.details = true;
    app.jobs.selected = 2;
    insta::assert_snapshot!("jobs_details_failed_120x30", screen(&app, 120, 30));
    app.jobs.selected = 1;
    let arn = app.jobs.jobs[1].invocation_arn.clone();
    app.jobs.downloads.insert(
        arn.clone(),
        Download::Running {
            file: 1,
            files: 2,
            name: "output.mp4".into(),
            done: 1_200_000,
            total: Some(3_400_000),
        },
    );
    let s = format!("{:?}", screen(&app, 120, 30));
    assert!(
        s.contains("downloading output.mp4 (1/2): 1.2 MB of 3.4 MB"),
        "{s}"
    );
    app.jobs.downloads.insert(
        arn,
        Download::Done(vec![
            (
                PathBuf::from("/home/me/jobs/c1completed/manifest.json"),
                Some("{\n  \"outputs\": 1\n}".into()),
            ),
            (PathBuf::from("/home/me/jobs/c1completed/output.mp4"), None),
        ]),
    );
    insta::assert_snapshot!("jobs_details_downloaded_120x30", screen(&app, 120, 30));
}

#[test]
fn the_start_form() {
    let mut app = mixed();
    crate::app::update(
        &mut app,
        crate::app::Msg::NewJob("A red fox running through snow".into()),
    );
    app.jobs.form.as_mut().unwrap().output = "s3://Bad_Bucket".into();
    app.jobs.form.as_mut().unwrap().error =
        Some("output: 'Bad_Bucket' is not a valid bucket name".into());
    insta::assert_snapshot!("jobs_form_100x30", screen(&app, 100, 30));
}

fn with_batch() -> App {
    use crate::app::batch_jobs::tests::batch;
    let mut app = mixed();
    let mut partly = batch("b2partly0000", "PartiallyCompleted", 1000, 1000);
    partly.records.success = Some(988);
    partly.records.error = Some(12);
    partly.message = Some("12 records failed validation".into());
    app.jobs.batch = vec![
        batch("b1running000", "InProgress", 512, 1000),
        partly,
        batch("b3submitted0", "Submitted", 0, 0),
    ];
    app
}

#[test]
fn batch_jobs_beside_the_invocations() {
    let mut app = with_batch();
    insta::assert_snapshot!("jobs_batch_120x30", screen(&app, 120, 30));
    // Narrow: the model column gives way, the records bar stays.
    insta::assert_snapshot!("jobs_batch_80x24", screen(&app, 80, 24));
    // The running one's details, asking before it is stopped.
    app.jobs.selected = 3;
    app.jobs.details = true;
    app.jobs.stop = Some(app.jobs.batch[0].arn.clone());
    insta::assert_snapshot!("jobs_batch_stop_120x30", screen(&app, 120, 30));
    app.jobs.stop = None;
    app.jobs.selected = 4;
    let s = format!("{:?}", screen(&app, 120, 30));
    assert!(s.contains("12 records failed validation"), "{s}");
    assert!(s.contains("d downloads the outputs"), "{s}");
    assert!(
        s.contains("1000/1000 processed (100%), 988 succeeded, 12 failed"),
        "{s}"
    );
}

#[test]
fn batch_jobs_alone_have_their_own_header_only() {
    let mut app = with_batch();
    app.jobs.jobs.clear();
    let s = format!("{:?}", screen(&app, 120, 30));
    assert!(!s.contains("SUBMITTED (UTC)"), "{s}");
    assert!(s.contains("BATCH JOB"), "{s}");
    assert!(
        s.contains("▶ ● InProgress         eval-b1running000"),
        "{s}"
    );
}
