//! Server-sent events from the engine's outbox, for the live views and for `curl -N`:
//!
//! - `GET /api/v1/events`: every state change;
//! - `GET /api/v1/pipelines/{name}/events`: one pipeline's;
//! - `GET /api/v1/pipelines/{name}/executions/{id}/events`: one execution's;
//! - `GET /api/v1/approvals/events`: approvals becoming pending (`Sluice Manual Approval Pending`)
//!   and their actions' later state changes; `GET /api/v1/approvals` lists the pending ones;
//! - `GET /api/v1/action-executions/{id}/log/events`: an action's log lines, then `event: end`.
//!
//! Each event's `id` is its outbox id (a log line's number for logs) and its data the
//! EventBridge-shaped JSON. A client resumes with `Last-Event-ID` (browsers send it on reconnect)
//! or `?after=ID` (a page that has just loaded state up to ID); without either a stream starts
//! with the next event. Streams and the approvals list carry only events of pipelines the caller
//! may read (`codepipeline:GetPipelineState`); asking for one pipeline's, execution's or action's
//! stream without that permission is refused. A stream ends within `RECHECK` of its caller's
//! session ending (sign-out, a password change) or their key or user being revoked or disabled.
//! Comments every 15 s keep proxies from closing an idle stream;
//! `X-Accel-Buffering: no` asks nginx not to hold events back. Bad input answers in the
//! CodePipeline error shape.
mod feed;
mod log_stream;

pub use feed::{Feed, Filter};
pub use log_stream::{Followed, LogFollower, LogItem};

use crate::api::error::ApiError;
use crate::auth::{resources, Caller};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use engine::events::StoredEvent;
use engine::EngineError;
use futures_util::Stream;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often an open stream checks that its caller may still read it.
const RECHECK: Duration = Duration::from_secs(5);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(all_events))
        .route("/api/v1/pipelines/{name}/events", get(pipeline_events))
        .route("/api/v1/pipelines/{name}/executions/{id}/events", get(execution_events))
        .route("/api/v1/approvals", get(pending_approvals))
        .route("/api/v1/approvals/events", get(approval_events))
        .route("/api/v1/action-executions/{id}/log/events", get(log_events))
        .route("/api/v1/builds/{id}/log/events", get(build_log_events))
}

#[derive(Deserialize)]
struct Resume {
    after: Option<String>,
}

async fn all_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    outbox_stream(state, caller, Filter::All, &headers, resume).await
}

async fn pipeline_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    if let Err(refused) = resources::authorize_pipeline_read(&caller, &state.engine, &name) {
        return refused;
    }
    if let Err(err) = state.engine.pipeline(&name, None).await {
        return error_response(err.into());
    }
    outbox_stream(state, caller, Filter::Pipeline(name), &headers, resume).await
}

async fn execution_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    if let Err(refused) = resources::authorize_pipeline_read(&caller, &state.engine, &name) {
        return refused;
    }
    if let Err(err) = state.engine.execution(&name, &id).await {
        return error_response(err.into());
    }
    outbox_stream(state, caller, Filter::Execution(id), &headers, resume).await
}

async fn approval_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    outbox_stream(state, caller, Filter::Approvals, &headers, resume).await
}

async fn pending_approvals(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    match state.engine.pending_approvals().await {
        Ok(approvals) => {
            let readable: Vec<_> = approvals
                .into_iter()
                .filter(|a| resources::may_read_pipeline(&caller, &state.engine, &a.pipeline_name))
                .collect();
            Json(serde_json::json!({ "approvals": readable })).into_response()
        }
        Err(err) => error_response(err.into()),
    }
}

async fn outbox_stream(
    state: AppState,
    caller: Caller,
    filter: Filter,
    headers: &HeaderMap,
    resume: Resume,
) -> Response {
    let after = match resume_point(headers, resume) {
        Ok(after) => after,
        Err(err) => return error_response(err),
    };
    // Subscribed before answering: whatever commits after the headers reach the client is in it.
    let feed = match Feed::subscribe(state.engine.clone(), filter, after).await {
        Ok(feed) => feed,
        Err(err) => return error_response(err.into()),
    };
    let revoked = revoked(state.engine.clone(), caller.clone());
    let events = futures_util::stream::unfold((feed, caller, state.engine), |(mut feed, caller, engine)| async move {
        loop {
            let item = feed.next().await?;
            // Checked per event: the caller's permission may cover only some pipelines.
            if let Ok(event) = &item {
                if !resources::may_read_pipeline(&caller, &engine, &event.pipeline_name) {
                    continue;
                }
            }
            return Some((item.map(outbox_event), (feed, caller, engine)));
        }
    });
    sse(events, revoked, state.metrics.stream_opened())
}

async fn log_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    match state.engine.action_pipeline(&id).await {
        Ok(Some(pipeline)) => {
            if let Err(refused) = resources::authorize_pipeline_read(&caller, &state.engine, &pipeline) {
                return refused;
            }
        }
        Ok(None) => {
            return error_response(ApiError::new(
                "ActionExecutionNotFoundException",
                format!("No action execution with id '{id}'."),
            ))
        }
        Err(err) => return error_response(err.into()),
    }
    follow_log(state, caller, Followed::Action(id), &headers, resume)
}

/// A CodeBuild build's log, for its page: as an action's, but checked on the build's project.
async fn build_log_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    let build = match resources::readable_build(&caller, &state.engine, &id).await {
        Ok(build) => build,
        Err(refused) => return refused,
    };
    follow_log(state, caller, Followed::Build { id: build.id, log_key: build.log_key }, &headers, resume)
}

/// The log's lines after the resume point, then each new one as it is stored.
fn follow_log(state: AppState, caller: Caller, followed: Followed, headers: &HeaderMap, resume: Resume) -> Response {
    let after = match resume_point(headers, resume) {
        Ok(after) => after.unwrap_or(0),
        Err(err) => return error_response(err),
    };
    let revoked = revoked(state.engine.clone(), caller);
    let follower = LogFollower::new(state.engine.clone(), followed, after);
    let lines = futures_util::stream::unfold(follower, |mut follower| async move {
        let item = follower.next().await?;
        Some((item.map(log_event), follower))
    });
    sse(lines, revoked, state.metrics.stream_opened())
}

/// `Last-Event-ID` (a reconnect) wins over `?after=` (the first connection of a page).
fn resume_point(headers: &HeaderMap, resume: Resume) -> Result<Option<i64>, ApiError> {
    let header = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("?").to_owned());
    let Some(text) = header.or(resume.after) else { return Ok(None) };
    match text.trim().parse::<i64>() {
        Ok(id) if id >= 0 => Ok(Some(id)),
        _ => Err(ApiError::validation(format!(
            "The event id to resume after must be a whole number of 0 or more, not {text:?}."
        ))),
    }
}

/// Copies the frame serialized once at the commit; nothing is serialized per subscriber.
fn outbox_event(event: Arc<StoredEvent>) -> Event {
    Event::default().id(event.id.to_string()).data(&*event.wire)
}

fn log_event(item: LogItem) -> Event {
    match item {
        LogItem::Line { n, text } => {
            Event::default().id(n.to_string()).data(serde_json::json!({ "n": n, "text": text }).to_string())
        }
        LogItem::End { status } => {
            Event::default().event("end").data(serde_json::json!({ "status": status }).to_string())
        }
    }
}

/// Resolves once the caller's session, key or user no longer holds, checked every `RECHECK`. A
/// store error keeps the stream open: a database hiccup is no reason to drop every stream.
async fn revoked(engine: engine::Engine, caller: Caller) {
    let mut ticks = tokio::time::interval(RECHECK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match engine.identity().still_valid(&caller).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(error = %err, user = %caller.user_name, "could not re-check an event stream's caller")
            }
        }
    }
}

/// The stream, until `revoked` resolves, with heartbeats and the headers that keep proxies from
/// buffering it. A store error ends the stream (logged); the client reconnects with its last id
/// and loses nothing.
fn sse(
    events: impl Stream<Item = Result<Event, EngineError>> + Send + 'static,
    revoked: impl std::future::Future<Output = ()> + Send + 'static,
    open: crate::metrics::StreamGuard,
) -> Response {
    use futures_util::StreamExt;
    // The guard lives as long as the stream: `/metrics` counts the stream open until then.
    let events = events.take_until(revoked).map(move |item| {
        let _open = &open;
        item.map_err(|err| {
            tracing::error!(error = %err, "event stream ended by a store error");
            err
        })
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response();
    response.headers_mut().insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    response
}

fn error_response(err: ApiError) -> Response {
    let (status, _, body) = err.parts();
    (status, Json(body)).into_response()
}
