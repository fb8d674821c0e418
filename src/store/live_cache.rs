//! The on-disk cache of the live model list (what the control plane offers a
//! connection), so it need not be fetched on each run: one private JSON file per
//! endpoint, region and profile in the user's cache folder.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::files::create_private_dir;
use crate::catalog::live::LiveModels;
use crate::clock::now_ms;

/// How long a cached live list is used before it is fetched again.
pub const CACHE_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The folder of the cache, beside the project's data and log folders.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bedrock-tui").map(|d| d.cache_dir().to_path_buf())
}

/// The cache key of a connection: what it talks to (`aws`, `local`, or a custom
/// endpoint), the region and the AWS profile. Never anything secret.
pub fn cache_key(endpoint: &str, region: &str, profile: Option<&str>) -> String {
    format!("{endpoint}-{region}-{}", profile.unwrap_or("default"))
}

fn cache_file(dir: &Path, key: &str) -> PathBuf {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("live-models-{safe}.json"))
}

/// The cached list of `key` if it is younger than `max_age`. A missing, unreadable,
/// corrupt or future-dated file is no cache.
pub fn load_cached(dir: &Path, key: &str, max_age: Duration) -> Option<LiveModels> {
    let text = std::fs::read_to_string(cache_file(dir, key)).ok()?;
    let live: LiveModels = serde_json::from_str(&text).ok()?;
    let age = now_ms().checked_sub(live.fetched_ms)?;
    (0..=max_age.as_millis() as i64)
        .contains(&age)
        .then_some(live)
}

/// Writes the list of `key` atomically (a private temporary file renamed over the old
/// one), creating the folder private if needed.
pub fn store_cached(dir: &Path, key: &str, live: &LiveModels) -> io::Result<()> {
    create_private_dir(dir)?;
    // NamedTempFile is created 0600 and removed again if anything below fails.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, live)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(cache_file(dir, key)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(fetched_ms: i64) -> LiveModels {
        LiveModels {
            region: "us-east-1".into(),
            fetched_ms,
            models: Vec::new(),
            profiles: Vec::new(),
        }
    }

    #[test]
    fn cache_round_trips_expires_and_ignores_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("cache");
        let key = cache_key("aws", "us-east-1", Some("dev/team"));
        let live = sample(now_ms());
        store_cached(&dir, &key, &live).unwrap();
        assert_eq!(load_cached(&dir, &key, CACHE_MAX_AGE), Some(live.clone()));
        assert_eq!(
            load_cached(&dir, &cache_key("aws", "eu-west-1", None), CACHE_MAX_AGE),
            None
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache_file(&dir, &key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1, "no temporary file is left behind");

        let old = sample(now_ms() - 2 * CACHE_MAX_AGE.as_millis() as i64);
        store_cached(&dir, &key, &old).unwrap();
        assert_eq!(load_cached(&dir, &key, CACHE_MAX_AGE), None);
        assert_eq!(load_cached(&dir, &key, 3 * CACHE_MAX_AGE), Some(old));

        std::fs::write(cache_file(&dir, &key), "{\"region\": ").unwrap();
        assert_eq!(load_cached(&dir, &key, CACHE_MAX_AGE), None);
        store_cached(&dir, &key, &live).unwrap();
        assert_eq!(load_cached(&dir, &key, CACHE_MAX_AGE), Some(live));
    }
}
