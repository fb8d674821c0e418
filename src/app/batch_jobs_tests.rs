//! Reducer tests for batch inference jobs in the jobs pane: listed beside the async
//! invocations and polled while they run, told when they end, filtered, downloaded
//! from their job folder, and stopped only after a yes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;

use crate::app::jobs::tests::{connected, job, list_request, poll_after, poll_now};
use crate::app::jobs::{JobsKey, ListFailure};
use crate::app::*;
use crate::jobs::Status;
use crate::jobs::batch::BatchJob;

pub(crate) use crate::jobs::batch::tests::sample as batch;

/// The jobs pane open on an invocation, a running batch job and a completed one.
fn running_and_completed() -> App {
    let (mut app, request) = connected();
    listing(
        &mut app,
        request,
        Ok(vec![
            batch("b1", "InProgress", 5, 10),
            batch("b2", "Completed", 10, 10),
        ]),
    );
    app.overlay = Overlay::Jobs;
    app
}

/// The ids of the pane's rows, in order.
fn ids(app: &App) -> Vec<String> {
    app.jobs
        .rows()
        .iter()
        .map(|r| r.arn().rsplit('/').next().unwrap().to_owned())
        .collect()
}

fn listing(app: &mut App, request: u64, batch: Result<Vec<BatchJob>, ListFailure>) -> Vec<Effect> {
    update(
        app,
        Msg::JobsListed {
            request,
            at: Instant::now(),
            result: Ok(vec![job("v1", Status::Completed, None)]),
            batch,
        },
    )
}

#[test]
fn batch_jobs_are_listed_after_the_invocations_and_polled_until_they_end() {
    let (mut app, request) = connected();
    let e = listing(
        &mut app,
        request,
        Ok(vec![batch("b1", "InProgress", 40, 100)]),
    );
    assert_eq!(poll_after(&e).map(|(_, d)| d), Some(Duration::from_secs(5)));
    assert_eq!(ids(&app), ["v1", "b1"]);
    // A listing that changed nothing backs off.
    let request = poll_now(&mut app);
    let e = listing(
        &mut app,
        request,
        Ok(vec![batch("b1", "InProgress", 40, 100)]),
    );
    assert_eq!(poll_after(&e).unwrap().1, Duration::from_secs(10));
    let request = poll_now(&mut app);
    let e = listing(
        &mut app,
        request,
        Ok(vec![batch("b1", "Completed", 100, 100)]),
    );
    assert_eq!(poll_after(&e), None, "nothing runs any more");
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Batch job eval-b1 (b1) completed in 2m 05s: 100 records succeeded, 0 failed. F5 shows it, d downloads its outputs.".into()
        ))
    );
}

#[test]
fn a_batch_job_that_ends_badly_is_an_error_and_several_are_counted() {
    let (mut app, request) = connected();
    listing(
        &mut app,
        request,
        Ok(vec![
            batch("b1", "InProgress", 1, 9),
            batch("b2", "Scheduled", 0, 9),
        ]),
    );
    let request = poll_now(&mut app);
    let failed = BatchJob {
        message: Some("The input file has no valid records.".into()),
        ..batch("b1", "Failed", 0, 9)
    };
    listing(
        &mut app,
        request,
        Ok(vec![failed, batch("b2", "InProgress", 3, 9)]),
    );
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "Batch job eval-b1 (b1) failed: The input file has no valid records.".into()
        ))
    );
    let request = poll_now(&mut app);
    let mut partly = batch("b2", "PartiallyCompleted", 9, 9);
    partly.records.success = Some(7);
    partly.records.error = Some(2);
    let stopped = batch("b3", "Stopped", 4, 9);
    let before = BatchJob {
        status: "Stopping".into(),
        ..stopped.clone()
    };
    app.jobs.batch.push(before);
    listing(&mut app, request, Ok(vec![partly, stopped]));
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "2 jobs ended: 1 completed, 1 failed. F5 shows them.".into()
        ))
    );
}

#[test]
fn the_filter_groups_the_batch_stages() {
    let (mut app, request) = connected();
    listing(
        &mut app,
        request,
        Ok(vec![
            batch("b1", "Validating", 0, 10),
            batch("b2", "PartiallyCompleted", 10, 10),
            batch("b3", "Stopped", 2, 10),
        ]),
    );
    app.overlay = Overlay::Jobs;
    update(&mut app, Msg::Jobs(JobsKey::Char('f')));
    assert_eq!(ids(&app), ["b1"]);
    update(&mut app, Msg::Jobs(JobsKey::Char('f')));
    assert_eq!(ids(&app), ["v1", "b2"]);
    update(&mut app, Msg::Jobs(JobsKey::Char('f')));
    assert_eq!(ids(&app), ["b3"]);
}

#[test]
fn a_batch_job_downloads_from_its_own_folder_once_it_has_outputs() {
    let mut app = running_and_completed();
    app.jobs.download_dir = PathBuf::from("/dl");
    update(&mut app, Msg::Jobs(JobsKey::Down));
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('d'))), vec![]);
    assert!(
        matches!(&app.notice, Some(Notice::Error(m)) if m.contains("written when it completes or stops")),
        "{:?}",
        app.notice
    );
    update(&mut app, Msg::Jobs(JobsKey::Down));
    assert_eq!(
        update(&mut app, Msg::Jobs(JobsKey::Char('d'))),
        vec![Effect::DownloadJob {
            arn: batch("b2", "Completed", 0, 0).arn,
            folder: "s3://out/results/b2/".into(),
            dir: PathBuf::from("/dl/b2"),
            overwrite: false,
        }]
    );
}

#[test]
fn a_running_batch_job_is_stopped_only_after_a_yes() {
    let mut app = running_and_completed();
    // An invocation cannot be stopped.
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('s'))), vec![]);
    assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("cannot be stopped")));
    update(&mut app, Msg::Jobs(JobsKey::Down));
    let arn = batch("b1", "InProgress", 0, 0).arn;
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('s'))), vec![]);
    assert_eq!(app.jobs.stop.as_deref(), Some(arn.as_str()));
    assert!(app.jobs.details);
    // Any other key keeps it running.
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('n'))), vec![]);
    assert_eq!(app.jobs.stop, None);
    update(&mut app, Msg::Jobs(JobsKey::Char('s')));
    assert_eq!(
        update(&mut app, Msg::Jobs(JobsKey::Char('y'))),
        vec![Effect::StopBatchJob { arn: arn.clone() }]
    );
    let e = update(
        &mut app,
        Msg::BatchStopped {
            arn: arn.clone(),
            result: Ok(()),
        },
    );
    list_request(&e);
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Stopping batch job b1; you are told when it has stopped.".into()
        ))
    );
    update(
        &mut app,
        Msg::BatchStopped {
            arn,
            result: Err("ValidationException: the job has ended".into()),
        },
    );
    assert!(
        matches!(&app.notice, Some(Notice::Error(m)) if m.contains("b1 was not stopped: ValidationException"))
    );
    // A job that has ended has nothing to stop.
    update(&mut app, Msg::Jobs(JobsKey::Down));
    assert_eq!(update(&mut app, Msg::Jobs(JobsKey::Char('s'))), vec![]);
    assert_eq!(app.jobs.stop, None);
}

#[test]
fn batch_jobs_that_cannot_be_listed_leave_the_invocations_shown() {
    let (mut app, request) = connected();
    let e = listing(
        &mut app,
        request,
        Err(ListFailure {
            throttled: false,
            message: "Access denied: bedrock:ListModelInvocationJobs".into(),
        }),
    );
    assert_eq!(app.jobs.rows().len(), 1);
    assert_eq!(
        app.jobs.batch_error.as_deref(),
        Some("Access denied: bedrock:ListModelInvocationJobs")
    );
    assert_eq!(poll_after(&e), None, "nothing known to run: not retried");
}

#[test]
fn a_job_stopped_before_its_input_was_read_is_told_without_counts() {
    let (mut app, request) = connected();
    let unread = |status: &str| BatchJob {
        records: Default::default(),
        ..batch("b9", status, 0, 0)
    };
    listing(&mut app, request, Ok(vec![unread("Stopping")]));
    let request = poll_now(&mut app);
    listing(&mut app, request, Ok(vec![unread("Stopped")]));
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Batch job eval-b9 (b9) stopped in 2m 05s.".into()
        ))
    );
}
