//! `GET /metrics` in Prometheus's text format (version 0.0.4), for a scraper that presents the
//! server's metrics token (`--metrics-token`) as a bearer token; without one configured the page
//! is off (404), since its figures are no business of anyone who can reach the port.
//!
//! Two kinds of figures:
//! - the database's (executions and actions by status, finished actions' durations, jobs waiting
//!   for workers, lease takeovers), counted when scraped, so every server on one database reports
//!   the same totals;
//! - this process's own: HTTP requests by route (an API call by its operation, any S3 call as
//!   `s3`) and status with
//!   their durations, event streams open, actions running here, and the database pool.
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::figures::{Figures, DURATION_BUCKETS};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds (seconds) of the HTTP request duration buckets.
const HTTP_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0];

/// What this process counts as it serves. Shared by every request (`AppState::metrics`).
#[derive(Default)]
pub struct Counters {
    /// Per (route, status): requests, and per route the durations.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    streams: AtomicI64,
}

#[derive(Default, Clone)]
struct Histogram {
    /// Per bucket of HTTP_BUCKETS, observations up to its bound (not yet cumulative).
    buckets: [u64; HTTP_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Counters {
    fn observe(&self, route: String, status: u16, seconds: f64) {
        *self.requests.lock().unwrap_or_else(|e| e.into_inner()).entry((route.clone(), status)).or_default() += 1;
        let mut durations = self.durations.lock().unwrap_or_else(|e| e.into_inner());
        let histogram = durations.entry(route).or_default();
        if let Some(bucket) = HTTP_BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Counts an event stream as open until the returned guard is dropped.
    pub fn stream_opened(self: &std::sync::Arc<Self>) -> StreamGuard {
        self.streams.fetch_add(1, Ordering::Relaxed);
        StreamGuard(self.clone())
    }
}

/// An open event stream, counted until it ends.
pub struct StreamGuard(std::sync::Arc<Counters>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware: counts every request under its route's pattern, never its raw path, so the
/// number of series stays bounded whatever clients send.
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = match crate::api::operation_name(request.headers()) {
        _ if crate::s3::is_s3_request(&request) => "s3".to_owned(),
        Some(operation) if request.uri().path() == "/" => format!("api:{operation}"),
        _ => request.extensions().get::<MatchedPath>().map_or("unmatched".to_owned(), |p| p.as_str().to_owned()),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = &state.config.metrics_token else {
        return (StatusCode::NOT_FOUND, "Metrics are off: start the server with --metrics-token.").into_response();
    };
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !presented.is_some_and(|token| engine::secrets::same_secret(token, expected.expose())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "The metrics token is missing or wrong.",
        )
            .into_response();
    }
    match state.engine.figures().await {
        Ok(figures) => {
            let body = render(&figures, &state.metrics);
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not read the figures for /metrics");
            (StatusCode::SERVICE_UNAVAILABLE, "The database did not answer.").into_response()
        }
    }
}

/// The page: each family with its HELP and TYPE lines, then its samples.
fn render(figures: &Figures, counters: &Counters) -> String {
    let mut out = String::new();
    let stored = &figures.stored;
    family(&mut out, "sluice_pipeline_executions", "gauge", "Pipeline executions by status.");
    for (status, n) in &stored.executions_by_status {
        sample(&mut out, "sluice_pipeline_executions", &[("status", status)], *n as f64);
    }
    family(&mut out, "sluice_action_executions", "gauge", "Action executions by status.");
    for (status, n) in &stored.actions_by_status {
        sample(&mut out, "sluice_action_executions", &[("status", status)], *n as f64);
    }
    family(&mut out, "sluice_action_duration_seconds", "histogram", "How long finished actions took.");
    for (bound, n) in DURATION_BUCKETS.iter().zip(&stored.action_duration_buckets) {
        sample(&mut out, "sluice_action_duration_seconds_bucket", &[("le", &bound.to_string())], *n as f64);
    }
    let finished = stored.actions_finished as f64;
    sample(&mut out, "sluice_action_duration_seconds_bucket", &[("le", "+Inf")], finished);
    sample(&mut out, "sluice_action_duration_seconds_sum", &[], stored.action_duration_total_ms as f64 / 1000.0);
    sample(&mut out, "sluice_action_duration_seconds_count", &[], finished);
    family(&mut out, "sluice_jobs_queued", "gauge", "Jobs of custom and partner actions waiting for a worker.");
    sample(&mut out, "sluice_jobs_queued", &[], stored.jobs_queued as f64);
    family(&mut out, "sluice_lease_takeovers_total", "counter", "Actions and rules taken over from a stopped runner.");
    sample(&mut out, "sluice_lease_takeovers_total", &[], stored.lease_takeovers as f64);
    family(&mut out, "sluice_running_here", "gauge", "Actions and rules this server runs now.");
    sample(&mut out, "sluice_running_here", &[], figures.running_here as f64);
    family(&mut out, "sluice_db_connections", "gauge", "Database pool connections, by state.");
    let idle = figures.pool_idle as f64;
    sample(&mut out, "sluice_db_connections", &[("state", "idle")], idle);
    sample(&mut out, "sluice_db_connections", &[("state", "busy")], f64::from(figures.pool_size) - idle);
    family(&mut out, "sluice_event_streams", "gauge", "Server-sent event streams open on this server.");
    sample(&mut out, "sluice_event_streams", &[], counters.streams.load(Ordering::Relaxed) as f64);
    family(&mut out, "sluice_http_requests_total", "counter", "HTTP requests by route and status.");
    for ((route, status), n) in counters.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        sample(&mut out, "sluice_http_requests_total", &[("route", route), ("status", &status.to_string())], *n as f64);
    }
    family(&mut out, "sluice_http_request_duration_seconds", "histogram", "HTTP request durations by route.");
    for (route, histogram) in counters.durations.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let name = "sluice_http_request_duration_seconds";
        let mut cumulative = 0;
        for (bound, n) in HTTP_BUCKETS.iter().zip(histogram.buckets) {
            cumulative += n;
            sample(
                &mut out,
                &format!("{name}_bucket"),
                &[("route", route), ("le", &bound.to_string())],
                cumulative as f64,
            );
        }
        sample(&mut out, &format!("{name}_bucket"), &[("route", route), ("le", "+Inf")], histogram.count as f64);
        sample(&mut out, &format!("{name}_sum"), &[("route", route)], histogram.sum);
        sample(&mut out, &format!("{name}_count"), &[("route", route)], histogram.count as f64);
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
        let _ = write!(out, "{{{}}}", labels.join(","));
    }
    let _ = writeln!(out, " {value}");
}

/// A label value as the text format quotes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_with_cumulative_buckets() {
        let counters = Counters::default();
        counters.observe("/objects/{bucket}/{*key}".into(), 200, 0.003);
        counters.observe("/objects/{bucket}/{*key}".into(), 200, 2.0);
        counters.observe("api:GetPipeline".into(), 400, 0.0005);
        let figures = Figures { stored: Default::default(), running_here: 0, pool_size: 3, pool_idle: 2 };
        let page = render(&figures, &counters);
        assert!(
            page.contains("sluice_http_requests_total{route=\"/objects/{bucket}/{*key}\",status=\"200\"} 2\n"),
            "{page}"
        );
        assert!(page.contains("sluice_http_requests_total{route=\"api:GetPipeline\",status=\"400\"} 1\n"));
        let bucket = |le: &str| {
            format!("sluice_http_request_duration_seconds_bucket{{route=\"/objects/{{bucket}}/{{*key}}\",le=\"{le}\"}}")
        };
        assert!(page.contains(&format!("{} 0\n", bucket("0.001"))), "{page}");
        assert!(page.contains(&format!("{} 1\n", bucket("0.005"))));
        assert!(page.contains(&format!("{} 2\n", bucket("5"))));
        assert!(page.contains(&format!("{} 2\n", bucket("+Inf"))));
        assert!(page.contains("sluice_db_connections{state=\"busy\"} 1\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn an_open_stream_counts_until_it_ends() {
        let counters = std::sync::Arc::new(Counters::default());
        let guard = counters.stream_opened();
        assert_eq!(counters.streams.load(Ordering::Relaxed), 1);
        drop(guard);
        assert_eq!(counters.streams.load(Ordering::Relaxed), 0);
    }
}
