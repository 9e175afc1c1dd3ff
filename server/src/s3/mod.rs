//! A subset of the S3 REST API over Sluice's versioned object store, path-style, so the aws CLI
//! (`aws --endpoint-url URL s3 cp|ls|rm`) and boto3's `client("s3", endpoint_url=URL)` work.
//!
//! A request is S3's when its SigV4 `Authorization` header is scoped to service `s3`: whatever its
//! path, it is answered here and never reaches the app's own routes, so `/` and `/objects/...`
//! keep their meaning for everyone else. Then `GET /` is ListBuckets, `/{bucket}` a bucket
//! operation and `/{bucket}/{key}` an object operation (`object`, `list`, `versions`).
//!
//! Payloads: a signed SHA-256 or `UNSIGNED-PAYLOAD`. aws-chunked uploads
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`) are refused with
//! `NotImplemented`: botocore (the aws CLI, boto3) signs the whole body over plain HTTP, and over
//! HTTPS uses aws-chunked only to send a CRC32 trailer, which
//! `AWS_REQUEST_CHECKSUM_CALCULATION=when_required` turns off. Presigned URLs and multipart uploads
//! are not implemented either.
//!
//! Permissions are the object routes' (`auth::resources`): `sluice:GetObject`, `sluice:PutObject`
//! and `sluice:DeleteObject` on `arn:aws:s3:::bucket/key`, `sluice:ListBucket` on
//! `arn:aws:s3:::bucket`; an object a pipeline wrote is read only by those who may read the
//! pipeline, and is left out of listings for others. Every call is in the audit trail.
mod list;
mod object;
mod versions;
pub mod xml;

use crate::auth::{audit, resources, sigv4, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use xml::S3Error;

/// In front of everything: answers the requests signed for S3, passes the others on.
pub async fn dispatch(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_s3_request(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let target = Target::of(&parts);
    let operation = target.operation(&parts);
    let context =
        audit::CallContext::of_request(resources::OBJECTS_SOURCE, operation.to_owned(), &parts, state.engine.account());
    let parameters = serde_json::json!({ "bucketName": target.bucket, "key": target.key });
    if query_has(&parts, "X-Amz-Credential") {
        return S3Error::not_implemented("Presigned URLs").with_resource(parts.uri.path()).into_response();
    }
    let (caller, body) = match resources::signed_caller(&state, &parts, body, sigv4::S3_SERVICE).await {
        Ok(signed) => signed,
        Err(refused) => {
            resources::record_refusal(&state, context, &parts, parameters, &refused).await;
            let code = s3_code(refused.code);
            return S3Error::new(refused.status, code, refused.message).with_resource(parts.uri.path()).into_response();
        }
    };
    let answer = match operation {
        "ListBuckets" => list::list_buckets(&state, &caller).await,
        "ListObjectsV2" | "ListObjects" => list::list_objects(&state, &caller, &target, &parts).await,
        "HeadBucket" | "CreateBucket" => bucket_exists(&caller, &target),
        "GetObject" | "HeadObject" => object::get(&state, &caller, &target, &parts).await,
        "PutObject" => object::put(&state, &caller, &target, &parts, body).await,
        "DeleteObject" => object::delete(&state, &caller, &target, &parts).await,
        "ListObjectVersions" => versions::list_versions(&state, &caller, &target, &parts).await,
        other => Err(S3Error::not_implemented(other)),
    };
    let (response, error) = match answer {
        Ok(response) => (response, None),
        Err(err) => {
            let error = Some((err.code.to_owned(), err.message.clone()));
            (err.with_resource(parts.uri.path()).into_response(), error)
        }
    };
    let identity = audit::CallIdentity::from(&caller);
    let error = error.as_ref().map(|(code, message)| (code.as_str(), message.as_str()));
    audit::append(&state.engine, &context, &identity, &parameters, error).await;
    response
}

/// Signed for S3 in the `Authorization` header, or presigned for it in the query.
pub(crate) fn is_s3_request(request: &Request) -> bool {
    let header_scope =
        sigv4::parse_authorization(request.headers()).is_ok_and(|claim| claim.service == sigv4::S3_SERVICE);
    let presigned = request.uri().query().is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.strip_prefix("X-Amz-Credential=").is_some_and(|credential| {
                sigv4::percent_decode(credential).ends_with(&format!("/{}/aws4_request", sigv4::S3_SERVICE))
            })
        })
    });
    header_scope || presigned
}

/// The S3 error codes for the signature refusals `auth` words as the JSON APIs do.
fn s3_code(code: &'static str) -> &'static str {
    match code {
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "UnrecognizedClientException" => "InvalidAccessKeyId",
        "IncompleteSignatureException" | "MissingAuthenticationTokenException" => "AuthorizationHeaderMalformed",
        other => other,
    }
}

/// What a path-style request names: `/`, `/{bucket}` or `/{bucket}/{key}` (decoded).
pub(crate) struct Target {
    pub bucket: String,
    pub key: String,
}

impl Target {
    fn of(parts: &Parts) -> Target {
        let path = parts.uri.path().trim_start_matches('/');
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        Target { bucket: sigv4::percent_decode_path(bucket), key: sigv4::percent_decode_path(key) }
    }

    /// The operation's name, as S3 and its audit records call it (a sub-resource this API does
    /// not answer is named by itself: `acl`, `tagging`, ...).
    fn operation(&self, parts: &Parts) -> &'static str {
        let sub = SUBRESOURCES.iter().copied().find(|name| query_has(parts, name));
        let method = &parts.method;
        match (self.bucket.is_empty(), self.key.is_empty(), sub) {
            (true, _, _) if method == Method::GET => "ListBuckets",
            (true, _, _) => "UnknownOperation",
            (false, false, Some("uploads" | "uploadId")) => "MultipartUpload",
            (false, true, Some("versions")) => "ListObjectVersions",
            (false, true, Some("delete")) => "DeleteObjects",
            (false, _, Some(sub)) => sub,
            (false, true, None) => match *method {
                Method::GET if query_value(parts, "list-type").as_deref() == Some("2") => "ListObjectsV2",
                Method::GET => "ListObjects",
                Method::HEAD => "HeadBucket",
                Method::PUT => "CreateBucket",
                _ => "UnknownOperation",
            },
            (false, false, None) => match *method {
                Method::GET => "GetObject",
                Method::HEAD => "HeadObject",
                Method::PUT if parts.headers.contains_key("x-amz-copy-source") => "CopyObject",
                Method::PUT => "PutObject",
                Method::DELETE => "DeleteObject",
                _ => "UnknownOperation",
            },
        }
    }

    pub fn object_arn(&self) -> String {
        resources::object_arn(&self.bucket, &self.key)
    }

    pub fn bucket_arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.bucket)
    }
}

/// Query parameters that name a sub-resource of a bucket or an object rather than the thing itself.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versions",
    "website",
];

/// Buckets exist as soon as they are named: HeadBucket and CreateBucket succeed for a valid name
/// the caller may list, and create nothing.
fn bucket_exists(caller: &Caller, target: &Target) -> Result<Response, S3Error> {
    engine::objects::validate_bucket(&target.bucket)?;
    authorize(caller, list::LIST_BUCKET_ACTION, &target.bucket_arn())?;
    Ok((StatusCode::OK, [("location", format!("/{}", target.bucket))], Body::empty()).into_response())
}

/// Whether the query has a parameter `name` (with or without a value).
fn query_has(parts: &Parts, name: &str) -> bool {
    query_pairs(parts).any(|(key, _)| key == name)
}

/// The decoded value of the query parameter `name`.
fn query_value(parts: &Parts, name: &str) -> Option<String> {
    query_pairs(parts).find(|(key, _)| key == name).map(|(_, value)| value)
}

fn query_pairs(parts: &Parts) -> impl Iterator<Item = (String, String)> + '_ {
    parts.uri.query().unwrap_or_default().split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (sigv4::percent_decode(key), sigv4::percent_decode(value))
    })
}

/// `Ok` when the caller may do `action` on `resource`, else `AccessDenied`.
pub(crate) fn authorize(caller: &Caller, action: &str, resource: &str) -> Result<(), S3Error> {
    if caller.may(action, resource) {
        Ok(())
    } else {
        Err(S3Error::access_denied(&caller.arn, action, resource))
    }
}

/// Whether the caller may read `version`: for an artifact, also its pipeline (objects follow pipelines).
pub(crate) fn authorize_read(caller: &Caller, version: &engine::objects::ObjectVersion) -> Result<(), S3Error> {
    let grants = engine::access::object_read_grants(&version.bucket, &version.key, version.created_by.as_deref());
    grants.iter().try_for_each(|(action, resource)| authorize(caller, action, resource))
}
