//! Who may use Sluice's own HTTP resources, `/objects/...` (the object store) and `/api/v1/...`
//! (action logs, event streams, the approvals list): a signed-in browser, or a request signed with
//! AWS SigV4 and a Sluice access key, for any method, path and query. Refusals answer in the
//! `{"__type", "message"}` shape both APIs use, never with a redirect.
//!
//! Their IAM actions: `sluice:GetObject` (download, list versions) and `sluice:PutObject` (upload)
//! on `arn:aws:s3:::bucket/key`; logs and streams need `codepipeline:GetPipelineState` on the
//! pipeline they belong to.
use super::{audit, sigv4, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::{Engine, StoreError};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

pub const GET_OBJECT_ACTION: &str = "sluice:GetObject";
pub const PUT_OBJECT_ACTION: &str = "sluice:PutObject";
/// What reading a pipeline's logs and events takes, as reading its state through the API does.
pub const READ_PIPELINE_ACTION: &str = "codepipeline:GetPipelineState";
const CONTENT_SHA256_HEADER: &str = "x-amz-content-sha256";
/// The audit trail's `eventSource` for the object store, as S3's is `s3.amazonaws.com`.
const OBJECTS_SOURCE: &str = "sluice.objects";

pub fn is_resource_path(path: &str) -> bool {
    path.starts_with("/objects/") || path.starts_with("/api/v1/")
}

/// The resource an object request acts on, S3's way.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// A `{"__type", "message"}` refusal.
pub fn refusal(status: StatusCode, error_type: &str, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "__type": error_type, "message": message.into() }))).into_response()
}

/// The answer to a request with neither a session nor a signature.
pub fn unauthenticated() -> Response {
    refusal(
        StatusCode::UNAUTHORIZED,
        "MissingAuthenticationTokenException",
        "Sign in, or sign the request with AWS Signature Version 4 and a Sluice access key.",
    )
}

/// `Ok` when the caller may do `action` on `resource`, else a 403 in IAM's words.
pub fn authorize(caller: &Caller, action: &str, resource: &str) -> Result<(), Response> {
    if caller.may(action, resource) {
        return Ok(());
    }
    Err(refusal(
        StatusCode::FORBIDDEN,
        "AccessDeniedException",
        format!("User: {} is not authorized to perform: {action} on resource: {resource}", caller.arn),
    ))
}

/// Whether the caller may read the pipeline's logs and events.
pub fn may_read_pipeline(caller: &Caller, engine: &Engine, pipeline: &str) -> bool {
    caller.may(READ_PIPELINE_ACTION, &engine.pipeline_arn(pipeline))
}

/// `may_read_pipeline` as a 403 refusal.
pub fn authorize_pipeline_read(caller: &Caller, engine: &Engine, pipeline: &str) -> Result<(), Response> {
    authorize(caller, READ_PIPELINE_ACTION, &engine.pipeline_arn(pipeline))
}

/// The pipeline an action execution belongs to; `None` when there is no such action.
pub async fn action_pipeline(engine: &Engine, action_execution_id: &str) -> Result<Option<String>, StoreError> {
    let mut conn = engine.store().conn().await?;
    let Some(action) = engine::store::executions::action(&mut conn, action_execution_id).await? else { return Ok(None) };
    let execution = engine::store::executions::execution(&mut conn, &action.execution_id).await?;
    Ok(execution.map(|e| e.pipeline_name))
}

/// Runs the request; an upload is recorded in the audit trail as `PutObject` (reads are not, as
/// Get*/List* API calls are not). The body streams through, unread here.
pub async fn run_recorded(state: &AppState, caller: &Caller, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::PUT {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let object = parts.uri.path().trim_start_matches("/objects/");
    let (bucket, key) = object.split_once('/').unwrap_or((object, ""));
    let parameters = serde_json::json!({ "bucketName": bucket, "key": key });
    let context = audit::CallContext::of_request(OBJECTS_SOURCE, "PutObject".into(), &parts, state.engine.account());
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    let error_code = format!("HTTP{}", status.as_u16());
    let failed = status.is_client_error() || status.is_server_error();
    let identity = audit::CallIdentity {
        user_name: Some(caller.user_name.clone()),
        arn: Some(caller.arn.clone()),
        access_key_id: caller.access_key_id.clone(),
    };
    audit::append(state.engine.store(), &context, &identity, &parameters, failed.then_some((error_code.as_str(), ""))).await;
    response
}

/// Verifies a SigV4-signed request and returns it with its `Caller` attached. The payload hash is
/// `x-amz-content-sha256` when sent (the body is then checked against it as it streams, so large
/// uploads are never held in memory), otherwise the hash of the body, read here.
pub async fn authenticate_signed(state: &AppState, request: Request) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    let declared = parts.headers.get(CONTENT_SHA256_HEADER).map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    let (payload_hash, body) = match declared {
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => (hash.clone(), checked_body(body, hash)),
        Some(_) => {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("{CONTENT_SHA256_HEADER} must be the hex SHA-256 of the body."),
            ))
        }
        None => {
            let Ok(bytes) = axum::body::to_bytes(body, crate::api::MAX_BODY_BYTES).await else {
                return Err(refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "EntityTooLarge",
                    format!("Bodies over {} bytes must be signed with {CONTENT_SHA256_HEADER}.", crate::api::MAX_BODY_BYTES),
                ));
            };
            (sigv4::payload_hash(&bytes), Body::from(bytes))
        }
    };
    let signed = sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &[],
    };
    match super::authenticate_payload(state.engine.store(), state.engine.account(), &signed, &payload_hash).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            Ok(Request::from_parts(parts, body))
        }
        Err(err) => {
            let (status, error_type, body) = err.parts();
            let status = if status == StatusCode::BAD_REQUEST { StatusCode::FORBIDDEN } else { status };
            Err(refusal(status, error_type, body["message"].as_str().unwrap_or_default()))
        }
    }
}

/// The body, failing at its end when its SHA-256 is not `expected`: the upload handler then
/// answers with an error instead of storing bytes the signature did not cover.
fn checked_body(body: Body, expected: String) -> Body {
    let chunks = body.into_data_stream();
    let checked = futures_util::stream::unfold((chunks, Some(Sha256::new()), expected), |(mut chunks, hasher, expected)| async move {
        let mut hasher = hasher?;
        match chunks.next().await {
            Some(Ok(chunk)) => {
                hasher.update(&chunk);
                Some((Ok(chunk), (chunks, Some(hasher), expected)))
            }
            Some(Err(err)) => Some((Err(std::io::Error::other(err)), (chunks, None, expected))),
            None if hex::encode(hasher.finalize()) == expected => None,
            None => {
                let mismatch = std::io::Error::other(format!("the body does not match its {CONTENT_SHA256_HEADER} ({expected})"));
                Some((Err(mismatch), (chunks, None, expected)))
            }
        }
    });
    Body::from_stream(checked)
}
