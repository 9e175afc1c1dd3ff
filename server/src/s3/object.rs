//! GetObject, HeadObject, PutObject and DeleteObject. Uploads and downloads go through the object
//! routes' own code (`crate::objects`), so both APIs store and verify bytes the same way.
//!
//! Deletes: Sluice's store keeps no delete markers. DeleteObject with `versionId` removes that
//! version, as S3 does; without one it removes the key with every version (S3 would add a delete
//! marker and keep them), so a deleted key is gone from reads and listings alike.
use super::xml::{http_date, S3Error};
use super::{query_value, Target};
use crate::auth::{resources, Caller};
use crate::objects::{receive_upload, send_download, set_version_headers, ByteRange};
use crate::AppState;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::objects::{key_id_of, ObjectVersion};

pub const DELETE_OBJECT_ACTION: &str = "sluice:DeleteObject";
const SSE_HEADER: &str = "x-amz-server-side-encryption";
const SSE_KEY_HEADER: &str = "x-amz-server-side-encryption-aws-kms-key-id";

pub async fn get(state: &AppState, caller: &Caller, target: &Target, parts: &Parts) -> Result<Response, S3Error> {
    super::authorize(caller, resources::GET_OBJECT_ACTION, &target.object_arn())?;
    let version_id = query_value(parts, "versionId");
    let version = state.engine.objects().get(&target.bucket, &target.key, version_id.as_deref()).await?;
    super::authorize_read(caller, &version)?;
    let mut response = if parts.method == Method::HEAD {
        let mut response = StatusCode::OK.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(version.size));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        set_version_headers(headers, &version);
        response
    } else {
        let range = requested_range(&parts.headers, version.size)?;
        send_download(state, &version, range).await?
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(date) = HeaderValue::from_str(&http_date(version.created_ms)) {
        headers.insert(header::LAST_MODIFIED, date);
    }
    Ok(response)
}

pub async fn put(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    parts: &Parts,
    body: Body,
) -> Result<Response, S3Error> {
    super::authorize(caller, resources::PUT_OBJECT_ACTION, &target.object_arn())?;
    let key_id = requested_key(&parts.headers)?;
    let version = receive_upload(state, caller, (&target.bucket, &target.key), key_id, &parts.headers, body).await?;
    let mut response = StatusCode::OK.into_response();
    set_version_headers(response.headers_mut(), &version);
    Ok(response)
}

pub async fn delete(state: &AppState, caller: &Caller, target: &Target, parts: &Parts) -> Result<Response, S3Error> {
    super::authorize(caller, DELETE_OBJECT_ACTION, &target.object_arn())?;
    let version_id = query_value(parts, "versionId");
    let objects = state.engine.objects();
    // An artifact is removed only by those who may read its pipeline, as it is read.
    let existing: Vec<ObjectVersion> = match &version_id {
        Some(id) => objects.version(&target.bucket, &target.key, id).await?.into_iter().collect(),
        None => objects.versions(&target.bucket, &target.key, 1000).await?,
    };
    existing.iter().try_for_each(|version| super::authorize_read(caller, version))?;
    objects.delete(&target.bucket, &target.key, version_id.as_deref()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(id) = version_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert("x-amz-version-id", id);
    }
    Ok(response)
}

/// The key an upload asks to be encrypted under (`x-amz-server-side-encryption: aws:kms` with a
/// key of Sluice's key store). Other encryption would be a promise the store does not keep.
fn requested_key(headers: &HeaderMap) -> Result<Option<&str>, S3Error> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    match (text(SSE_HEADER), text(SSE_KEY_HEADER)) {
        (None, None) => Ok(None),
        (Some("aws:kms") | None, Some(key)) => Ok(Some(key_id_of(key))),
        (Some("aws:kms"), None) => Err(S3Error::invalid_argument(format!(
            "Name the key of Sluice's key store with {SSE_KEY_HEADER}: there is no default key."
        ))),
        (Some(other), _) => Err(S3Error::invalid_argument(format!(
            "{SSE_HEADER}: {other} is not supported; Sluice encrypts with aws:kms and a key of its key store."
        ))),
    }
}

/// `Range: bytes=START-END`, `bytes=START-` or `bytes=-LAST` within an object of `size` bytes;
/// `None` (the whole object) without one or for several ranges, which S3 does not serve either.
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<ByteRange>, S3Error> {
    let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
    let unsatisfiable =
        || S3Error::new(StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange", "The requested range is not satisfiable");
    let Some(spec) = value.to_str().ok().and_then(|v| v.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let range = match (number(first), number(last)) {
        (Some(start), end) => {
            let end = match end {
                Some(end) => end.min(size.saturating_sub(1)),
                None if last.trim().is_empty() => size.saturating_sub(1),
                None => return Ok(None),
            };
            if start >= size || end < start {
                return Err(unsatisfiable());
            }
            ByteRange { start, end }
        }
        (None, Some(suffix)) if first.trim().is_empty() => {
            if suffix == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            ByteRange { start: size.saturating_sub(suffix), end: size - 1 }
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<(u64, u64)>, &'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&headers, size).map(|r| r.map(|r| (r.start, r.end))).map_err(|err| err.code)
    }

    #[test]
    fn ranges_are_read_as_s3_reads_them() {
        assert_eq!(range("bytes=0-4", 10), Ok(Some((0, 4))));
        assert_eq!(range("bytes=5-", 10), Ok(Some((5, 9))));
        assert_eq!(range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(range("bytes=2-100", 10), Ok(Some((2, 9))));
        assert_eq!(range("bytes=-30", 10), Ok(Some((0, 9))));
        assert_eq!(range("bytes=10-", 10), Err("InvalidRange"));
        assert_eq!(range("bytes=0-1,3-4", 10), Ok(None));
        assert_eq!(range("items=0-1", 10), Ok(None));
        assert_eq!(range("bytes=x-1", 10), Ok(None));
    }
}
