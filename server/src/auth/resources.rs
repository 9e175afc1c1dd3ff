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
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Engine;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

pub use engine::access::{object_arn, GET_OBJECT_ACTION, PUT_OBJECT_ACTION, READ_PIPELINE_ACTION};
const CONTENT_SHA256_HEADER: &str = "x-amz-content-sha256";
/// What `x-amz-content-sha256` and the canonical request carry for a body the signature skips.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The audit trail's `eventSource` for the object store, as S3's is `s3.amazonaws.com`.
pub const OBJECTS_SOURCE: &str = "sluice.objects";
/// The audit trail's `eventSource` for the log and event API.
const EVENTS_SOURCE: &str = "sluice.events";

pub fn is_resource_path(path: &str) -> bool {
    path.starts_with("/objects/") || path.starts_with("/api/v1/")
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

/// The build `id` (or ARN) when the caller may read it: `codebuild:BatchGetBuilds` on its
/// project, as BatchGetBuilds checks.
pub async fn readable_build(caller: &Caller, engine: &Engine, id: &str) -> Result<engine::builds::Build, Response> {
    let not_found =
        || refusal(StatusCode::NOT_FOUND, "ResourceNotFoundException", format!("Build {id} does not exist"));
    let build = match engine.build(id).await {
        Ok(Some(build)) => build,
        Ok(None) => return Err(not_found()),
        Err(err) => {
            tracing::error!(error = %err, "reading a build failed");
            return Err(refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "An internal error occurred."));
        }
    };
    authorize(caller, "codebuild:BatchGetBuilds", &engine.build_project_arn(&build.project))?;
    Ok(build)
}

/// Runs the request and records it in the audit trail: every signed call (an API call, reads
/// included, as CodePipeline's are) and a browser's uploads (changes). The body streams through.
pub async fn run_recorded(state: &AppState, caller: &Caller, request: Request, next: Next) -> Response {
    if caller.access_key_id.is_none() && request.method() != axum::http::Method::PUT {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let context = call_context(state, &parts);
    let parameters = parameters(&parts);
    let (response, error) = with_error_code(next.run(Request::from_parts(parts, body)).await).await;
    let identity = audit::CallIdentity::from(caller);
    let error = error.as_ref().map(|(code, message)| (code.as_str(), message.as_str()));
    audit::append(&state.engine, &context, &identity, &parameters, error).await;
    response
}

/// The call's context, named as CloudTrail names S3's calls (`GetObject`, `PutObject`,
/// `ListObjectVersions`) and, for the log and event API, `GetEvents`, `GetActionLog`, `ListApprovals`.
fn call_context(state: &AppState, parts: &axum::http::request::Parts) -> audit::CallContext {
    let path = parts.uri.path();
    let (source, name) = match path.strip_prefix("/objects/") {
        Some(_) if parts.method == axum::http::Method::PUT => (OBJECTS_SOURCE, "PutObject"),
        Some(object) if object.trim_end_matches('/').contains('/') => (OBJECTS_SOURCE, "GetObject"),
        Some(_) => (OBJECTS_SOURCE, "ListObjectVersions"),
        None if path.ends_with("/events") => (EVENTS_SOURCE, "GetEvents"),
        None if path.ends_with("/log") || path.ends_with("/log.txt") => (EVENTS_SOURCE, "GetActionLog"),
        None => (EVENTS_SOURCE, "ListApprovals"),
    };
    audit::CallContext::of_request(source, name.into(), parts, state.engine.account())
}

fn parameters(parts: &axum::http::request::Parts) -> serde_json::Value {
    match parts.uri.path().strip_prefix("/objects/") {
        Some(object) => {
            let (bucket, key) = object.split_once('/').unwrap_or((object, ""));
            serde_json::json!({ "bucketName": bucket, "key": key })
        }
        None => serde_json::json!({ "path": parts.uri.path(), "query": parts.uri.query().unwrap_or_default() }),
    }
}

/// A failed response's `(__type, message)` (or `HTTPnnn` when it has none), read from its small
/// body, which is put back; a successful response streams on untouched.
async fn with_error_code(response: Response) -> (Response, Option<(String, String)>) {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let code = answer["__type"].as_str().map(str::to_owned).unwrap_or_else(|| format!("HTTP{}", status.as_u16()));
    let message = answer["message"].as_str().unwrap_or_default().to_owned();
    (Response::from_parts(parts, Body::from(bytes)), Some((code, message)))
}

/// Verifies a SigV4-signed request and returns it with its `Caller` attached. The payload hash is
/// `x-amz-content-sha256` when sent (the body is then checked against it as it streams, so large
/// uploads are never held in memory), otherwise the hash of the body, read here.
pub async fn authenticate_signed(state: &AppState, request: Request) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    match signed_caller(state, &parts, body, sigv4::SERVICE).await {
        Ok((caller, body)) => {
            parts.extensions.insert(caller);
            Ok(Request::from_parts(parts, body))
        }
        Err(refused) => {
            record_refusal(state, call_context(state, &parts), &parts, parameters(&parts), &refused).await;
            Err(refusal(refused.status, refused.code, refused.message))
        }
    }
}

/// Why a signed request was refused before its caller was known.
#[derive(Debug)]
pub struct SignedRefusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// Records a refused signed request with the key it claimed, as no one is known yet.
pub async fn record_refusal(
    state: &AppState,
    context: audit::CallContext,
    parts: &axum::http::request::Parts,
    parameters: serde_json::Value,
    refused: &SignedRefusal,
) {
    let claimed_key = sigv4::parse_authorization(&parts.headers).ok().map(|claim| claim.access_key_id);
    let identity = audit::CallIdentity { access_key_id: claimed_key, ..Default::default() };
    let error = Some((refused.code, refused.message.as_str()));
    audit::append(&state.engine, &context, &identity, &parameters, error).await;
}

/// Who signed a request for `service`, and its body. The payload hash is `x-amz-content-sha256`
/// when sent: a hex hash is checked against the body as it streams (so large uploads are never
/// held in memory), `UNSIGNED-PAYLOAD` signs no body, as S3 allows; without it the body is read
/// here and hashed. aws-chunked payloads (`STREAMING-...`) are refused as not implemented.
pub async fn signed_caller(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    service: &str,
) -> Result<(Caller, Body), SignedRefusal> {
    let refuse = |status, code, message: String| SignedRefusal { status, code, message };
    let declared =
        parts.headers.get(CONTENT_SHA256_HEADER).map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    let (payload_hash, body) = match declared {
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (hash.clone(), checked_body(body, hash))
        }
        Some(hash) if hash == "unsigned-payload" => (UNSIGNED_PAYLOAD.to_owned(), body),
        Some(hash) if hash.starts_with("streaming-") => {
            return Err(refuse(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!(
                    "aws-chunked uploads ({CONTENT_SHA256_HEADER}: {}) are not supported; sign the body's \
                     SHA-256 or send UNSIGNED-PAYLOAD.",
                    hash.to_ascii_uppercase()
                ),
            ))
        }
        Some(_) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("{CONTENT_SHA256_HEADER} must be the hex SHA-256 of the body or UNSIGNED-PAYLOAD."),
            ))
        }
        None => {
            let Ok(bytes) = axum::body::to_bytes(body, crate::api::MAX_BODY_BYTES).await else {
                return Err(refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "EntityTooLarge",
                    format!(
                        "Bodies over {} bytes must be signed with {CONTENT_SHA256_HEADER}.",
                        crate::api::MAX_BODY_BYTES
                    ),
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
    match super::authenticate_payload(&state.engine, &signed, service, &payload_hash).await {
        Ok(caller) => Ok((caller, body)),
        Err(err) => {
            let (status, code, body) = err.parts();
            let status = if status == StatusCode::BAD_REQUEST { StatusCode::FORBIDDEN } else { status };
            Err(refuse(status, code, body["message"].as_str().unwrap_or_default().to_owned()))
        }
    }
}

/// The body, failing at its end when its SHA-256 is not `expected`: the upload handler then
/// answers with an error instead of storing bytes the signature did not cover.
fn checked_body(body: Body, expected: String) -> Body {
    let chunks = body.into_data_stream();
    let checked = futures_util::stream::unfold(
        (chunks, Some(Sha256::new()), expected),
        |(mut chunks, hasher, expected)| async move {
            let mut hasher = hasher?;
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    Some((Ok(chunk), (chunks, Some(hasher), expected)))
                }
                Some(Err(err)) => Some((Err(std::io::Error::other(err)), (chunks, None, expected))),
                None if hex::encode(hasher.finalize()) == expected => None,
                None => {
                    let mismatch = std::io::Error::other(format!(
                        "the body does not match its {CONTENT_SHA256_HEADER} ({expected})"
                    ));
                    Some((Err(mismatch), (chunks, None, expected)))
                }
            }
        },
    );
    Body::from_stream(checked)
}
