//! An action execution's log over HTTP, for the UI and for `curl`:
//!
//! - `GET /api/v1/action-executions/{id}/log?after=N&limit=M`: the lines numbered above `after`
//!   (default 0), at most `limit` of them (default and maximum 1000), as
//!   `{"lines": [{"n": 1, "text": "..."}], "next": N}`. `next` is the number of the last line
//!   returned (or `after` when none was), so a follower asks again with `after=next`.
//! - `GET /api/v1/action-executions/{id}/log.txt`: the whole log as plain text, one line each, for
//!   the web app's "Raw" and "Download" links and for `curl`.
//!
//! - `GET /api/v1/builds/{id}/log.txt`: a CodeBuild build's whole log, the same way.
//!
//! Reading a log needs `codepipeline:GetPipelineState` on the action's pipeline, and a build's
//! `codebuild:BatchGetBuilds` on its project.
//!
//! Errors are `{"__type": "AccessDeniedException" | "ActionExecutionNotFoundException" | "InvalidArgument" | "InternalError", "message"}`.
use crate::auth::{resources, Caller};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

const MAX_LINES: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/action-executions/{id}/log", get(log))
        .route("/api/v1/action-executions/{id}/log.txt", get(log_text))
        .route("/api/v1/builds/{id}/log.txt", get(build_log_text))
}

#[derive(Deserialize)]
struct LogQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: Result<Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return error(StatusCode::BAD_REQUEST, "InvalidArgument", "after and limit must be whole numbers.");
    };
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(MAX_LINES);
    if after < 0 || !(1..=MAX_LINES).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("after must be 0 or more and limit 1 to {MAX_LINES}."),
        );
    }
    if let Err(refused) = may_read(&state, &caller, &id).await {
        return refused;
    }
    match state.engine.action_log(&id, after, limit).await {
        Ok(lines) => {
            let next = lines.last().map(|(n, _)| *n).unwrap_or(after);
            let lines: Vec<_> = lines.into_iter().map(|(n, text)| json!({ "n": n, "text": text })).collect();
            Json(json!({ "lines": lines, "next": next })).into_response()
        }
        Err(err) => internal(err),
    }
}

/// The whole log as text. Read page by page, so a long log is never one query.
async fn log_text(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = may_read(&state, &caller, &id).await {
        return refused;
    }
    whole_log(&state, &id).await
}

async fn build_log_text(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match crate::auth::resources::readable_build(&caller, &state.engine, &id).await {
        Ok(build) => whole_log(&state, &build.log_key).await,
        Err(refused) => refused,
    }
}

async fn whole_log(state: &AppState, id: &str) -> Response {
    let mut text = String::new();
    let mut after = 0;
    loop {
        match state.engine.action_log(id, after, MAX_LINES).await {
            Ok(lines) if lines.is_empty() => break,
            Ok(lines) => {
                for (n, line) in lines {
                    text.push_str(&line);
                    text.push('\n');
                    after = n;
                }
            }
            Err(err) => return internal(err),
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// Whether the caller may read the log of action execution `id`: refused with the answer to send
/// when not, or when there is no such action (one that has not logged yet has no lines either, so
/// only the action row tells them apart).
async fn may_read(state: &AppState, caller: &Caller, id: &str) -> Result<(), Response> {
    match state.engine.action_pipeline(id).await {
        Ok(Some(pipeline)) => resources::authorize_pipeline_read(caller, &state.engine, &pipeline),
        Ok(None) => Err(error(
            StatusCode::NOT_FOUND,
            "ActionExecutionNotFoundException",
            format!("No action execution with id '{id}'."),
        )),
        Err(err) => Err(internal(err)),
    }
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({ "__type": code, "message": message.into() }))).into_response()
}

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "reading an action log failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "An internal error occurred; the server log has the details.",
    )
}
