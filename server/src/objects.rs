//! Sluice's object store over HTTP, S3-flavoured, so users can upload S3 source objects and fetch
//! artifacts with curl:
//!
//! - `PUT /objects/{bucket}/{*key}`: the raw body becomes a new version (streamed to disk, at most
//!   [`MAX_OBJECT_BYTES`]). Optional header `x-sluice-encryption-key-id` encrypts it at rest under
//!   that key. Answers 201 with `{"bucket","key","versionId","etag","size","sha256"}` and the
//!   `ETag` / `x-amz-version-id` headers.
//! - `GET /objects/{bucket}/{*key}[?versionId=...]`: the latest version or the given one, with
//!   `ETag` (quoted, as S3 sends it) and `x-amz-version-id`. HEAD works too.
//! - `GET /objects/{bucket}?key=...[&limit=N]`: that key's versions, newest first.
//!
//! Every request needs a session or a SigV4 signature (`auth::resources`); downloads and listings
//! need `sluice:GetObject` and uploads `sluice:PutObject` on `arn:aws:s3:::bucket/key`. An
//! artifact (a version a pipeline's action wrote) is read only by those who may read its
//! pipeline: `codepipeline:GetPipelineState` on it, as its logs are.
//!
//! Errors are `{"__type": "AccessDeniedException" | "NoSuchKey" | "NoSuchVersion" | "InvalidBucketName" | "InvalidArgument" |
//! "KMS.NotFoundException" | "EntityTooLarge" | "IncompleteBody" | "InternalError", "message"}`.
use crate::auth::{resources, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use engine::objects::{validate_bucket, validate_key, ObjectError, ObjectStore, ObjectVersion};
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// The largest upload accepted: S3's single-PUT limit.
pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Default and maximum page size of a version listing.
const DEFAULT_LIST_LIMIT: u32 = 1000;
const ENCRYPTION_KEY_HEADER: &str = "x-sluice-encryption-key-id";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/objects/{bucket}", get(list_versions))
        .route("/objects/{bucket}/{*key}", get(download).put(upload))
}

/// The object store over the data dir. (`Engine::objects()` hands out the same store once the
/// engine owns one; constructing it is free and touches nothing.)
fn objects(state: &AppState) -> ObjectStore {
    state.engine.objects().clone()
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((bucket, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    resources::authorize(&caller, resources::PUT_OBJECT_ACTION, &resources::object_arn(&bucket, &key))?;
    Ok(store_upload(&state, &caller, &bucket, &key, &headers, body).await.into_response())
}

async fn store_upload(
    state: &AppState,
    caller: &Caller,
    bucket: &str,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key_id = match headers.get(ENCRYPTION_KEY_HEADER) {
        Some(value) => Some(value.to_str().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("{ENCRYPTION_KEY_HEADER} must be printable ASCII"),
            )
        })?),
        None => None,
    };
    let version = receive_upload(state, caller, (bucket, key), key_id, headers, body).await?;
    let body = json!({
        "bucket": version.bucket,
        "key": version.key,
        "versionId": version.version_id,
        "etag": version.etag,
        "size": version.size,
        "sha256": version.sha256,
    });
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    set_version_headers(response.headers_mut(), &version);
    Ok(response)
}

/// Streams an upload's body to disk (at most [`MAX_OBJECT_BYTES`]) and stores it as a new version
/// of `bucket`/`key`, encrypted under `key_id` if given, written by the caller. The caller must
/// have been authorized already.
pub(crate) async fn receive_upload(
    state: &AppState,
    caller: &Caller,
    (bucket, key): (&str, &str),
    key_id: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<ObjectVersion, ApiError> {
    let objects = objects(state);
    // Refuse what will be refused anyway before reading a possibly huge body.
    validate_bucket(bucket)?;
    validate_key(key)?;
    if let Some(id) = key_id {
        if !objects.keys().has_key(id) {
            return Err(ObjectError::UnknownKey { id: id.to_owned() }.into());
        }
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_OBJECT_BYTES) {
        return Err(too_large());
    }

    let scratch = objects.scratch_file()?;
    let mut file = tokio::fs::File::create(scratch.path()).await.map_err(internal)?;
    let mut stream = body.into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::new(StatusCode::BAD_REQUEST, "IncompleteBody", format!("The upload did not complete: {err}"))
        })?;
        received += chunk.len() as u64;
        if received > MAX_OBJECT_BYTES {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    drop(file);

    // The uploader is kept: a run this version starts is theirs (self-approval).
    Ok(objects.put_file_by(bucket, key, scratch.path(), key_id, Some(&caller.arn)).await?)
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    #[serde(rename = "versionId")]
    version_id: Option<String>,
}

async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((bucket, key)): Path<(String, String)>,
    Query(query): Query<DownloadQuery>,
) -> Result<Response, Response> {
    resources::authorize(&caller, resources::GET_OBJECT_ACTION, &resources::object_arn(&bucket, &key))?;
    let version = objects(&state)
        .get(&bucket, &key, query.version_id.as_deref())
        .await
        .map_err(|err| ApiError::from(err).into_response())?;
    authorize_read(&caller, &version)?;
    Ok(send_download(&state, &version, None).await.into_response())
}

/// Refuses unless the caller may read `version`: `sluice:GetObject` on it and, for an artifact,
/// `codepipeline:GetPipelineState` on the pipeline that wrote it (objects follow pipelines).
fn authorize_read(caller: &Caller, version: &ObjectVersion) -> Result<(), Response> {
    let grants = engine::access::object_read_grants(&version.bucket, &version.key, version.created_by.as_deref());
    grants.iter().try_for_each(|(action, resource)| resources::authorize(caller, action, resource))
}

/// The bytes `start..=end` of an object, as `Range: bytes=START-END` asks (S3's GetObject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// The object's bytes, all of them (200) or `range` of them (206 with `Content-Range`).
pub(crate) async fn send_download(
    state: &AppState,
    version: &ObjectVersion,
    range: Option<ByteRange>,
) -> Result<Response, ApiError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let objects = objects(state);
    // Decrypt and verify completely before the first byte goes out: a corrupt object becomes an
    // error response, never a 200 with wrong bytes.
    let scratch = objects.scratch_file()?;
    objects.read_to_file(version, scratch.path()).await?;
    let mut file = tokio::fs::File::open(scratch.path()).await.map_err(internal)?;
    // Unlinking now is fine: the open handle keeps the bytes readable until the body is sent.
    drop(scratch);
    let length = match range {
        Some(range) => {
            file.seek(std::io::SeekFrom::Start(range.start)).await.map_err(internal)?;
            range.end - range.start + 1
        }
        None => version.size,
    };
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(length))).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(range) = range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {}-{}/{}", range.start, range.end, version.size);
        if let Ok(value) = HeaderValue::from_str(&content_range) {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    set_version_headers(response.headers_mut(), version);
    Ok(response)
}

#[derive(serde::Deserialize)]
struct ListQuery {
    key: Option<String>,
    limit: Option<u32>,
}

async fn list_versions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(bucket): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, Response> {
    let Some(key) = query.key else {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "InvalidArgument", "Name the object with ?key=...").into_response()
        );
    };
    resources::authorize(&caller, resources::GET_OBJECT_ACTION, &resources::object_arn(&bucket, &key))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIST_LIMIT).clamp(1, DEFAULT_LIST_LIMIT);
    let versions =
        objects(&state).versions(&bucket, &key, limit).await.map_err(|err| ApiError::from(err).into_response())?;
    versions.iter().try_for_each(|version| authorize_read(&caller, version))?;
    Ok(list_key_versions(bucket, key, &versions))
}

fn list_key_versions(bucket: String, key: String, versions: &[ObjectVersion]) -> Response {
    let listed: Vec<_> = versions
        .iter()
        .enumerate()
        .map(|(index, v)| {
            json!({
                "versionId": v.version_id,
                "etag": v.etag,
                "size": v.size,
                "sha256": v.sha256,
                "encryptionKeyId": v.encryption_key_id,
                "createdMs": v.created_ms,
                "isLatest": index == 0,
            })
        })
        .collect();
    Json(json!({ "bucket": bucket, "key": key, "versions": listed })).into_response()
}

pub(crate) fn set_version_headers(headers: &mut HeaderMap, version: &ObjectVersion) {
    // Both values are hex by construction, so they always make valid header values.
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", version.etag)) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(id) = HeaderValue::from_str(&version.version_id) {
        headers.insert("x-amz-version-id", id);
    }
    if let Some(key_id) = version.encryption_key_id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
        headers.insert("x-amz-server-side-encryption", HeaderValue::from_static("aws:kms"));
        headers.insert("x-amz-server-side-encryption-aws-kms-key-id", key_id);
    }
}

/// An S3-style error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// The status, the S3 error code and the message, for answers in S3's XML.
    pub(crate) fn into_parts(self) -> (StatusCode, &'static str, String) {
        (self.status, self.code, self.message)
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "EntityTooLarge",
        format!("Objects are at most {MAX_OBJECT_BYTES} bytes."),
    )
}

/// Our failure, not the caller's: logged in full, reported without details.
fn internal(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "object store request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "An internal error occurred; the server log has the details.",
    )
}

impl From<ObjectError> for ApiError {
    fn from(err: ObjectError) -> Self {
        let message = err.to_string();
        let (status, code) = match &err {
            ObjectError::InvalidBucket { .. } => (StatusCode::BAD_REQUEST, "InvalidBucketName"),
            ObjectError::InvalidKey { .. }
            | ObjectError::InvalidVersionId(_)
            | ObjectError::InvalidKeyId { .. }
            | ObjectError::UnsafeArchive(_)
            | ObjectError::ArchiveLimit(_)
            | ObjectError::Archive(_) => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            ObjectError::NotFound { version_id: None, .. } => (StatusCode::NOT_FOUND, "NoSuchKey"),
            ObjectError::NotFound { version_id: Some(_), .. } => (StatusCode::NOT_FOUND, "NoSuchVersion"),
            ObjectError::UnknownKey { .. } => (StatusCode::BAD_REQUEST, "KMS.NotFoundException"),
            ObjectError::KeyExists { .. } => (StatusCode::CONFLICT, "KMS.AlreadyExistsException"),
            ObjectError::Corrupt(_) | ObjectError::Io { .. } | ObjectError::Store(_) => return internal(err),
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "__type": self.code, "message": self.message }))).into_response()
    }
}
