//! HTTP: one shared `ureq` agent (over the sockets of `net`), auth and headers, the retry loop, and the mapping from HTTP
//! outcomes to [`Error`].
//!
//! Retry policy: 429, 5xx, timeouts and transport failures are retried with exponential backoff
//! and full jitter, honouring `Retry-After` (capped); every other 4xx fails at once. Attempts are
//! bounded by `max_retries`, and a whole call by an optional deadline. All attempts of one call
//! share one `X-Weave-Retry-Id`, as the SDK sends.

use std::fmt;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::failure::Failure;
use crate::ids;
use crate::net;
use crate::response;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("weave-feedback/", env!("CARGO_PKG_VERSION"), " (rust)");

/// The time one public call may take. Started when the call begins and shared by every request
/// it makes (id look-ups, retries and their backoff, halves of a split batch, per-item
/// fallbacks, the restore of a replaced row), so the caller's deadline bounds the whole call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    /// When the call started and how long it may take; `None`: no deadline.
    limit: Option<(Instant, Duration)>,
    /// At most this many attempts per request, when fewer than the client's retries allow
    /// (an outbox add tries once and leaves the row queued).
    max_attempts: Option<u32>,
}

impl Budget {
    /// The same budget, allowing at most `n` attempts per request.
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    pub(crate) fn attempts_at_most(self, n: u32) -> Budget {
        Budget {
            max_attempts: Some(n.max(1)),
            ..self
        }
    }

    /// Time left, `None` without a deadline.
    fn remaining(&self) -> Option<Duration> {
        self.limit
            .map(|(start, d)| d.saturating_sub(start.elapsed()))
    }

    fn exceeded(&self, attempts: u32, last_status: Option<u16>) -> Error {
        Error::Timeout {
            attempts,
            last_status,
            message: format!(
                "call deadline of {} ms exceeded",
                self.limit.map_or(0, |(_, d)| d.as_millis())
            ),
            feedback_ids: Vec::new(),
        }
    }
}

/// What the retry loop tells each attempt.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// 1 for the first attempt.
    #[cfg_attr(not(test), allow(dead_code))]
    pub number: u32,
    /// How the previous attempt failed, if there was one and it may have reached the server.
    pub previous_ambiguous: bool,
    /// Every request of this attempt (an id look-up and the write itself) ends by then: the
    /// per-attempt timeout, or the call's deadline when that comes first.
    ends_at: Instant,
    retry_id: String,
}

impl Attempt {
    /// The time left for the next request of this attempt; a timeout failure once none is.
    fn time_left(&self) -> std::result::Result<Duration, Failure> {
        let left = self.ends_at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(Failure::Timeout("attempt timeout reached".into()))
        } else {
            Ok(left)
        }
    }
}

/// Sends requests; cheap to share behind an `Arc`.
pub(crate) struct Transport {
    agent: ureq::Agent,
    base_url: String,
    authorization: Option<String>,
    timeout: Duration,
    max_retries: u32,
    deadline: Option<Duration>,
    retry_base_delay: Duration,
    retry_max_delay: Duration,
    /// Reads answers: the size cap, and the key's forms to scrub from messages.
    reader: response::Reader,
    /// Where requests go: HTTP, or the local store.
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    backend: crate::config::Backend,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Transport {
    pub(crate) fn new(s: Settings) -> Transport {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .no_delay(true)
            .user_agent(USER_AGENT)
            .timeout_global(Some(s.timeout))
            .build();
        // ureq's default chain, with our TCP link: CONNECT proxy, TCP, then TLS for https.
        let names = Arc::new(net::Names::default());
        let connector =
            ().chain(ConnectProxyConnector::default())
                .chain(net::TcpConnector::new(names.clone()))
                .chain(RustlsConnector::default());
        let agent = ureq::Agent::with_parts(config, connector, net::Resolver::new(names));
        Transport {
            agent,
            authorization: s
                .api_key
                .as_ref()
                .map(|k| format!("Basic {}", k.basic_token())),
            reader: response::Reader::new(s.max_response_bytes, s.api_key.as_ref()),
            backend: s.backend,
            base_url: s.base_url,
            timeout: s.timeout,
            max_retries: s.max_retries,
            deadline: s.deadline,
            retry_base_delay: s.retry_base_delay,
            retry_max_delay: s.retry_max_delay,
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A new call's time budget: the configured deadline, starting now.
    pub(crate) fn budget(&self) -> Budget {
        Budget {
            limit: self.deadline.map(|d| (Instant::now(), d)),
            max_attempts: None,
        }
    }

    /// A budget starting now that ends after `limit`, or sooner when the configured deadline
    /// is shorter (bounds a flush, and an outbox's claim by its lease).
    #[cfg_attr(not(feature = "local-store"), allow(dead_code))]
    pub(crate) fn budget_within(&self, limit: Duration) -> Budget {
        Budget {
            limit: Some((
                Instant::now(),
                self.deadline.map_or(limit, |d| d.min(limit)),
            )),
            max_attempts: None,
        }
    }

    /// POSTs JSON to `route` with the retry policy within `budget`; returns the 2xx body.
    pub(crate) fn post_json(&self, budget: &Budget, route: &str, body: &Value) -> Result<Vec<u8>> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Internal(format!("encoding a request: {e}")))?;
        self.run(budget, |attempt| self.post(route, &bytes, attempt))
    }

    /// GETs `route` with the retry policy; returns the 2xx body.
    pub(crate) fn get(&self, route: &str) -> Result<Vec<u8>> {
        self.run(&self.budget(), |attempt| self.send(route, None, attempt))
    }

    /// The retry loop. `attempt` performs one try; the loop decides whether to try again,
    /// and never lets the attempts and the sleeps between them outlast `budget`.
    pub(crate) fn run<T>(
        &self,
        budget: &Budget,
        mut attempt: impl FnMut(&Attempt) -> std::result::Result<T, Failure>,
    ) -> Result<T> {
        let retry_id = ids::new_uuid_v7();
        let mut last_status = None;
        let mut previous_ambiguous = false;
        let mut number = 1;
        loop {
            let remaining = budget.remaining();
            let span = remaining.map_or(self.timeout, |r| r.min(self.timeout));
            if span.is_zero() {
                return Err(budget.exceeded(number - 1, last_status));
            }
            let a = Attempt {
                number,
                previous_ambiguous,
                ends_at: Instant::now() + span,
                retry_id: retry_id.clone(),
            };
            let failure = match attempt(&a) {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            if let Failure::Status { status, .. } = &failure {
                last_status = Some(*status);
            }
            let out_of_time = budget.remaining().is_some_and(|r| r.is_zero());
            if out_of_time && matches!(failure, Failure::Timeout(_)) {
                return Err(budget.exceeded(number, last_status));
            }
            let last =
                number > self.max_retries || budget.max_attempts.is_some_and(|m| number >= m);
            if !failure.retryable() || last {
                return Err(failure.into_error(number, last_status));
            }
            previous_ambiguous |= failure.ambiguous();
            let sleep = self.delay_before_retry(number, &failure);
            if budget.remaining().is_some_and(|r| sleep >= r) {
                // The deadline ends the call, whether it runs out during an attempt or before
                // the next one: one kind for both (the last status is kept).
                return Err(budget.exceeded(number, last_status));
            }
            thread::sleep(sleep);
            number += 1;
        }
    }

    /// The sleep before retry `retry` (1 = the first retry): the jittered backoff, but never
    /// less than the server's `Retry-After`, which is capped by `retry_max_delay`.
    fn delay_before_retry(&self, retry: u32, failure: &Failure) -> Duration {
        let backoff = self.backoff(retry);
        match failure {
            Failure::Status {
                retry_after: Some(ra),
                ..
            } => backoff.max((*ra).min(self.retry_max_delay)),
            _ => backoff,
        }
    }

    /// Full jitter: uniform in `[0, min(max, base * 2^(n-1))]`.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self.retry_base_delay.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        exp.min(self.retry_max_delay).mul_f64(ids::random_unit())
    }

    /// One POST of `body` to `route` as part of `attempt` (no retry of its own).
    pub(crate) fn post(
        &self,
        route: &str,
        body: &[u8],
        attempt: &Attempt,
    ) -> std::result::Result<Vec<u8>, Failure> {
        self.send(route, Some(body), attempt)
    }

    /// Headers every request carries, and the time left in its attempt as its timeout.
    fn prepare<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        attempt: &Attempt,
    ) -> std::result::Result<ureq::RequestBuilder<B>, Failure> {
        let timeout = attempt.time_left()?;
        let mut req = req
            .header("Accept", "application/json")
            .header("X-Weave-Retry-Id", &attempt.retry_id);
        if let Some(auth) = &self.authorization {
            req = req.header("Authorization", auth);
        }
        Ok(req.config().timeout_global(Some(timeout)).build())
    }

    fn send(
        &self,
        route: &str,
        body: Option<&[u8]>,
        attempt: &Attempt,
    ) -> std::result::Result<Vec<u8>, Failure> {
        // The one place the backends part: the local store answers as the server would.
        #[cfg(feature = "local-store")]
        if let crate::config::Backend::Local(store) = &self.backend {
            let (status, answer) = store.handle(route, body.unwrap_or_default());
            return self.reader.local(status, answer);
        }
        let url = format!("{}{route}", self.base_url);
        let result = match body {
            Some(body) => self
                .prepare(
                    self.agent
                        .post(&url)
                        .header("Content-Type", "application/json"),
                    attempt,
                )?
                .send(body),
            None => self.prepare(self.agent.get(&url), attempt)?.call(),
        };
        self.reader.finish(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKey, ClientBuilder};

    fn transport(max_retries: u32, deadline: Option<Duration>) -> Transport {
        let b = ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .max_retries(max_retries)
            .deadline(deadline)
            .retry_base_delay(Duration::from_millis(1))
            .retry_max_delay(Duration::from_millis(2));
        Transport::new(b.settings().unwrap())
    }

    fn status(s: u16) -> Failure {
        Failure::Status {
            status: s,
            message: format!("status {s}"),
            retry_after: None,
            route_missing: false,
        }
    }

    #[test]
    fn retries_5xx_then_succeeds_with_one_retry_id() {
        let t = transport(2, None);
        let mut ids = Vec::new();
        let r = t.run(&t.budget(), |a| {
            ids.push(a.retry_id.clone());
            if a.number < 3 {
                Err(status(500))
            } else {
                Ok(a.number)
            }
        });
        assert_eq!(r.unwrap(), 3);
        assert_eq!(ids.len(), 3);
        assert!(ids.iter().all(|i| i == &ids[0]));
    }

    #[test]
    fn other_4xx_is_not_retried() {
        let t = transport(5, None);
        let mut n = 0;
        let e = t
            .run(&t.budget(), |_| -> std::result::Result<(), _> {
                n += 1;
                Err(status(400))
            })
            .unwrap_err();
        assert_eq!(n, 1);
        assert!(matches!(e, Error::Rejected { status: 400, .. }));
    }

    #[test]
    fn exhausted_retries_report_attempts_and_last_status() {
        let t = transport(2, None);
        let e = t
            .run(&t.budget(), |a| -> std::result::Result<(), _> {
                if a.number == 1 {
                    Err(status(503))
                } else {
                    Err(Failure::Transport {
                        message: "reset".into(),
                        sent: true,
                    })
                }
            })
            .unwrap_err();
        assert_eq!(e.attempts(), Some(3));
        assert_eq!(e.http_status(), Some(503));
        assert!(matches!(e, Error::Transport { .. }));
        let e = t
            .run(&t.budget(), |_| -> std::result::Result<(), _> {
                Err(status(429))
            })
            .unwrap_err();
        assert!(matches!(e, Error::RateLimited { attempts: 3, .. }), "{e}");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let b = ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .retry_base_delay(Duration::from_millis(10))
            .retry_max_delay(Duration::from_secs(30));
        let t = Transport::new(b.settings().unwrap());
        let with = |ra: Option<Duration>| Failure::Status {
            status: 429,
            message: String::new(),
            retry_after: ra,
            route_missing: false,
        };
        for retry in 1..5 {
            let d = t.delay_before_retry(retry, &with(Some(Duration::from_secs(5))));
            assert_eq!(
                d,
                Duration::from_secs(5),
                "Retry-After wins over a shorter backoff"
            );
            let d = t.delay_before_retry(retry, &with(Some(Duration::from_secs(3600))));
            assert_eq!(d, Duration::from_secs(30), "capped by retry_max_delay");
            let d = t.delay_before_retry(retry, &with(None));
            assert!(d <= Duration::from_millis(10) * (1 << (retry - 1)), "{d:?}");
        }
        // The backoff ceiling itself is capped too.
        assert!(t.backoff(40) <= Duration::from_secs(30));
    }

    #[test]
    fn ambiguity_is_remembered_for_later_attempts() {
        let t = transport(3, None);
        let mut seen = Vec::new();
        let _ = t.run(&t.budget(), |a| -> std::result::Result<(), _> {
            seen.push(a.previous_ambiguous);
            match a.number {
                1 => Err(Failure::Transport {
                    message: "refused".into(),
                    sent: false,
                }),
                2 => Err(Failure::Timeout("t".into())),
                _ => Err(status(400)),
            }
        });
        assert_eq!(seen, [false, false, true]);
    }

    #[test]
    fn deadline_stops_retrying_as_a_timeout_keeping_the_last_status() {
        // Unbounded retries: only the deadline can end this loop.
        let t = transport(u32::MAX, Some(Duration::from_millis(50)));
        let mut attempts = 0;
        let e = t
            .run(&t.budget(), |_| -> std::result::Result<(), _> {
                attempts += 1;
                Err(status(503))
            })
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e}");
        assert_eq!(e.http_status(), Some(503));
        assert!(e.to_string().contains("call deadline of 50 ms"), "{e}");
        assert_eq!(e.attempts(), Some(attempts));
        assert!(attempts > 1);
    }

    #[test]
    fn debug_redacts_the_key() {
        let b = ClientBuilder::new()
            .base_url("http://127.0.0.1:9")
            .api_key("sekrit-123");
        let t = Transport::new(b.settings().unwrap());
        let d = format!("{t:?}");
        assert!(
            !d.contains("sekrit-123") && !d.contains(&ApiKey::new("sekrit-123").basic_token()),
            "{d}"
        );
    }
}
