//! A folder of jobs, one JSON file each, so that async invocations and batch jobs
//! outlive a restart of the endpoint; and the wait of the loops that move them on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

/// A job kept on disk under its id.
pub(crate) trait Saved: Serialize + DeserializeOwned {
    fn id(&self) -> &str;
}

/// Where jobs of one kind are persisted.
pub(crate) struct Disk {
    dir: PathBuf,
    /// What the jobs are called in the log when a file does not read.
    what: &'static str,
}

impl Disk {
    pub(crate) fn open(dir: &Path, what: &'static str) -> std::io::Result<Disk> {
        std::fs::create_dir_all(dir)?;
        Ok(Disk {
            dir: dir.to_path_buf(),
            what,
        })
    }

    /// Every job saved in the folder; files that do not parse are reported and skipped.
    pub(crate) fn load<T: Saved>(&self) -> std::io::Result<BTreeMap<String, T>> {
        let mut jobs = BTreeMap::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<T>(&b).map_err(|e| e.to_string()))
            {
                Ok(job) => {
                    jobs.insert(job.id().to_owned(), job);
                }
                Err(e) => tracing::warn!("skipping {} {}: {e}", self.what, path.display()),
            }
        }
        Ok(jobs)
    }

    /// Replaces the job's file in one step: a crash leaves the old or the new version.
    pub(crate) fn save<T: Saved>(&self, job: &T) -> std::io::Result<()> {
        let path = self.dir.join(format!("{}.json", job.id()));
        let tmp = self.dir.join(format!(".{}.json.tmp", job.id()));
        let bytes = serde_json::to_vec_pretty(job).map_err(std::io::Error::other)?;
        crate::state::replace_file(&path, &tmp, &bytes)
    }
}

/// Waits `wait` (for ever when `None`: nothing is due), or until `wake` is notified
/// (a job was added or changed); false when `stop` changed instead.
pub(crate) async fn wait_due(
    wait: Option<Duration>,
    wake: &Notify,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        _ = async {
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        } => true,
        _ = wake.notified() => true,
        _ = stop.changed() => false,
    }
}
