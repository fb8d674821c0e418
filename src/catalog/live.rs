//! What an account's region actually offers (from the control plane), next to the
//! built-in catalog, and a small on-disk cache of it so it need not be fetched each run.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How long a cached live list is used before it is fetched again.
pub const CACHE_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveModels {
    pub region: String,
    /// When the list was fetched, in milliseconds since the Unix epoch.
    pub fetched_ms: i64,
    pub models: Vec<LiveModel>,
    pub profiles: Vec<LiveProfile>,
}

/// A foundation model as ListFoundationModels reports it; enum values as the service
/// spells them (`TEXT`, `ON_DEMAND`, `ACTIVE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveModel {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub streaming: Option<bool>,
    pub inference_types: Vec<String>,
    pub lifecycle: Option<String>,
}

/// An inference profile as ListInferenceProfiles reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveProfile {
    pub id: String,
    pub name: String,
    /// `SYSTEM_DEFINED` or `APPLICATION`.
    pub kind: String,
    pub status: String,
    /// Bare foundation-model ids, each once, whatever the regions it routes to.
    pub model_ids: Vec<String>,
}

impl LiveModels {
    pub fn get(&self, id: &str) -> Option<&LiveModel> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The profiles that carry `model_id`.
    pub fn profiles_for(&self, model_id: &str) -> Vec<&LiveProfile> {
        self.profiles
            .iter()
            .filter(|p| p.model_ids.iter().any(|m| m == model_id))
            .collect()
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

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
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
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
            models: vec![LiveModel {
                id: "amazon.nova-lite-v1:0".into(),
                name: "Nova Lite".into(),
                provider: "Amazon".into(),
                input_modalities: vec!["TEXT".into(), "IMAGE".into()],
                output_modalities: vec!["TEXT".into()],
                streaming: Some(true),
                inference_types: vec!["ON_DEMAND".into(), "INFERENCE_PROFILE".into()],
                lifecycle: Some("ACTIVE".into()),
            }],
            profiles: vec![
                LiveProfile {
                    id: "us.amazon.nova-lite-v1:0".into(),
                    name: "US Nova Lite".into(),
                    kind: "SYSTEM_DEFINED".into(),
                    status: "ACTIVE".into(),
                    model_ids: vec!["amazon.nova-lite-v1:0".into()],
                },
                LiveProfile {
                    id: "us.amazon.nova-pro-v1:0".into(),
                    name: "US Nova Pro".into(),
                    kind: "SYSTEM_DEFINED".into(),
                    status: "ACTIVE".into(),
                    model_ids: vec!["amazon.nova-pro-v1:0".into()],
                },
            ],
        }
    }

    #[test]
    fn finds_models_and_their_profiles() {
        let live = sample(0);
        assert_eq!(
            live.get("amazon.nova-lite-v1:0").map(|m| m.streaming),
            Some(Some(true))
        );
        assert!(live.get("amazon.nova-pro-v1:0").is_none());
        let ids: Vec<&str> = live
            .profiles_for("amazon.nova-pro-v1:0")
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["us.amazon.nova-pro-v1:0"]);
        assert!(live.profiles_for("x").is_empty());
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
