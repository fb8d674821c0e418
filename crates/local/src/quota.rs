//! On-demand quotas (`--rpm`, `--tpm`): requests and tokens per minute, per model and
//! Region, for the runtime operations that invoke a model. Past a quota a request gets
//! the service's ThrottlingException.
//!
//! The window slides: a use counts for `window` (a minute) after it was admitted. Like
//! the service, a request reserves its input tokens plus its maximum output (`max_tokens`,
//! or the model's default maximum when the request gives none) when it is admitted, and
//! the reservation is replaced by what it really used (input plus output) once the answer
//! is known, so an answer shorter than its maximum frees the difference.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::{ErrorKind, ServiceError};

/// The length of a quota window as the service counts it.
pub(crate) const MINUTE: Duration = Duration::from_secs(60);

/// One admitted request: when, and how many tokens it holds.
struct Use {
    at: Instant,
    id: u64,
    tokens: u64,
}

/// The quotas of an endpoint and what each model used within the window.
pub(crate) struct Quotas {
    rpm: Option<u64>,
    tpm: Option<u64>,
    window: Duration,
    uses: Mutex<HashMap<String, VecDeque<Use>>>,
    next: AtomicU64,
}

/// A request admitted under a quota, to settle once its real usage is known.
#[derive(Debug)]
pub(crate) struct Ticket {
    key: String,
    id: u64,
}

impl Quotas {
    pub(crate) fn new(rpm: Option<u64>, tpm: Option<u64>, window: Duration) -> Quotas {
        Quotas {
            rpm,
            tpm,
            window,
            uses: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        }
    }

    fn active(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some()
    }

    /// Admits a request to `model` in `region` reserving `tokens`, or throttles it. `None`
    /// when no quota is set (nothing to settle).
    pub(crate) fn admit(
        &self,
        region: &str,
        model: &str,
        tokens: u64,
        now: Instant,
    ) -> Result<Option<Ticket>, ServiceError> {
        if !self.active() {
            return Ok(None);
        }
        let key = format!("{region}/{model}");
        let mut all = self.uses.lock().unwrap_or_else(|p| p.into_inner());
        let uses = all.entry(key.clone()).or_default();
        while uses
            .front()
            .is_some_and(|u| now.saturating_duration_since(u.at) >= self.window)
        {
            uses.pop_front();
        }
        if self.rpm.is_some_and(|rpm| uses.len() as u64 >= rpm) {
            return Err(ServiceError::of(ErrorKind::Throttling));
        }
        let held: u64 = uses.iter().map(|u| u.tokens).sum();
        if self
            .tpm
            .is_some_and(|tpm| held.saturating_add(tokens) > tpm)
        {
            return Err(ServiceError::of(ErrorKind::Throttling));
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        uses.push_back(Use {
            at: now,
            id,
            tokens,
        });
        Ok(Some(Ticket { key, id }))
    }

    /// Replaces a request's reservation with the tokens it really used.
    pub(crate) fn settle(&self, ticket: &Ticket, tokens: u64) {
        let mut all = self.uses.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = all
            .get_mut(&ticket.key)
            .and_then(|uses| uses.iter_mut().find(|u| u.id == ticket.id))
        {
            u.tokens = tokens;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttled(r: Result<Option<Ticket>, ServiceError>) -> bool {
        matches!(r, Err(e) if e.kind == ErrorKind::Throttling
            && e.message == "Too many requests, please wait before trying again.")
    }

    #[test]
    fn no_quota_admits_everything() {
        let q = Quotas::new(None, None, MINUTE);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(q.admit("us-east-1", "m", u64::MAX, t0).unwrap().is_none());
        }
    }

    #[test]
    fn requests_per_minute_slide_with_the_window() {
        let q = Quotas::new(Some(5), None, MINUTE);
        let t0 = Instant::now();
        for i in 0..5 {
            let at = t0 + Duration::from_secs(i * 10);
            assert!(q.admit("us-east-1", "m", 10, at).unwrap().is_some());
        }
        assert!(throttled(q.admit(
            "us-east-1",
            "m",
            10,
            t0 + Duration::from_secs(45)
        )));
        // Another model and another Region have quotas of their own.
        assert!(q.admit("us-east-1", "other", 10, t0).is_ok());
        assert!(q.admit("eu-west-1", "m", 10, t0).is_ok());
        // The first use leaves the window a minute after it was admitted, and one slot frees.
        let later = t0 + Duration::from_secs(60);
        assert!(q.admit("us-east-1", "m", 10, later).is_ok());
        assert!(throttled(q.admit("us-east-1", "m", 10, later)));
    }

    #[test]
    fn tokens_are_reserved_then_settled() {
        let q = Quotas::new(None, Some(1000), MINUTE);
        let t0 = Instant::now();
        // input 100 + max_tokens 800 reserved.
        let a = q.admit("r", "m", 900, t0).unwrap().unwrap();
        assert!(throttled(q.admit("r", "m", 200, t0)));
        // It answered with 50 output tokens: 150 held, room for 850 more.
        q.settle(&a, 150);
        assert!(q.admit("r", "m", 850, t0).unwrap().is_some());
        assert!(throttled(q.admit("r", "m", 1, t0)));
        // A reservation larger than the quota never fits.
        assert!(throttled(q.admit("r", "m2", 1001, t0)));
        assert!(q.admit("r", "m", 1000, t0 + MINUTE).is_ok());
    }

    #[tokio::test]
    async fn the_runtime_operations_are_throttled_past_the_quota() {
        use crate::service::tests::exchange;
        let settings = crate::Settings {
            rpm: Some(2),
            quota_window: Duration::from_millis(300),
            ..crate::Settings::default()
        };
        let ep = crate::LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
            .await
            .unwrap();
        // A profile and its model's bare id share the model's quota.
        let model = "anthropic.claude-haiku-4-5-20251001-v1%3A0";
        let converse = format!("POST /model/us.{model}/converse HTTP/1.1");
        let body = r#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}]}"#;
        let started = Instant::now();
        for _ in 0..2 {
            assert_eq!(exchange(&ep, &converse, body).await.0, 200);
        }
        let (status, answer) = exchange(&ep, &converse, body).await;
        assert_eq!(status, 429, "{answer}");
        assert!(answer.contains("Too many requests"), "{answer}");
        // Counting tokens invokes nothing and is not throttled.
        let count = format!("POST /model/{model}/count-tokens HTTP/1.1");
        let counted = format!(r#"{{"input": {{"converse": {body}}}}}"#);
        assert_eq!(exchange(&ep, &count, &counted).await.0, 200);
        // Once the first uses leave the window, requests are admitted again.
        let again = loop {
            let (status, _) = exchange(&ep, &converse, body).await;
            if status == 200 || started.elapsed() > Duration::from_secs(10) {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(again, 200);
        assert!(started.elapsed() >= Duration::from_millis(300));
        ep.shutdown().await;
    }
}
