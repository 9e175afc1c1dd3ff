//! ListObjectsV2 (and V1's ListObjects) and ListBuckets. Keys are listed in S3's order (UTF-8
//! bytes) with the latest version of each; a delimiter rolls keys up into CommonPrefixes. An
//! object a pipeline wrote is left out for those who may not read the pipeline.
use super::xml::{element, iso_time, xml_response, S3Error, NAMESPACE};
use super::{authorize, query_value, Target};
use crate::auth::{sigv4, Caller};
use crate::AppState;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use engine::objects::{ObjectStore, ObjectVersion};

pub const LIST_BUCKET_ACTION: &str = "sluice:ListBucket";
const MAX_KEYS: usize = 1000;
/// Rows read from the store at a time while rolling keys up.
const PAGE: u32 = 1000;

pub async fn list_buckets(state: &AppState, caller: &Caller) -> Result<Response, S3Error> {
    let buckets = state.engine.objects().buckets().await?;
    let listed: String = buckets
        .iter()
        .filter(|(name, _)| caller.may(LIST_BUCKET_ACTION, &format!("arn:aws:s3:::{name}")))
        .map(|(name, created_ms)| {
            format!("<Bucket>{}{}</Bucket>", element("Name", name), element("CreationDate", &iso_time(*created_ms)))
        })
        .collect();
    let account = &state.engine.account().id;
    let owner = format!("<Owner>{}{}</Owner>", element("ID", account), element("DisplayName", account));
    let body = format!(
        "<ListAllMyBucketsResult xmlns=\"{NAMESPACE}\">{owner}<Buckets>{listed}</Buckets></ListAllMyBucketsResult>"
    );
    Ok(xml_response(StatusCode::OK, body))
}

/// One line of a listing.
enum Entry {
    Object(ObjectVersion),
    CommonPrefix(String),
}

impl Entry {
    /// What a listing continues after: `k` + key or `p` + common prefix, hex-encoded.
    fn token(&self) -> String {
        match self {
            Entry::Object(version) => hex::encode(format!("k{}", version.key)),
            Entry::CommonPrefix(prefix) => hex::encode(format!("p{prefix}")),
        }
    }

    fn marker(&self) -> &str {
        match self {
            Entry::Object(version) => &version.key,
            Entry::CommonPrefix(prefix) => prefix,
        }
    }
}

/// Where a listing starts: after `after`, skipping the keys of the common prefix `skip` (the
/// last one a previous page returned).
struct Start {
    after: String,
    skip: Option<String>,
}

struct Request {
    prefix: String,
    delimiter: String,
    max_keys: usize,
    url_encoded: bool,
}

/// The bucket's name is valid and the caller may list it.
pub(super) fn may_list(caller: &Caller, target: &Target) -> Result<(), S3Error> {
    engine::objects::validate_bucket(&target.bucket)?;
    authorize(caller, LIST_BUCKET_ACTION, &target.bucket_arn())
}

pub async fn list_objects(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    parts: &Parts,
) -> Result<Response, S3Error> {
    may_list(caller, target)?;
    let v2 = query_value(parts, "list-type").as_deref() == Some("2");
    let request = Request {
        prefix: query_value(parts, "prefix").unwrap_or_default(),
        delimiter: query_value(parts, "delimiter").unwrap_or_default(),
        max_keys: max_keys(parts)?,
        url_encoded: url_encoded(parts)?,
    };
    let token = query_value(parts, "continuation-token");
    let start = match (&token, v2) {
        (Some(token), true) => decode_token(token)?,
        (None, true) => Start { after: query_value(parts, "start-after").unwrap_or_default(), skip: None },
        (_, false) => {
            let marker = query_value(parts, "marker").unwrap_or_default();
            let rolled_up = !request.delimiter.is_empty() && marker.ends_with(&request.delimiter);
            Start { skip: rolled_up.then(|| marker.clone()), after: marker }
        }
    };
    let (entries, truncated) = collect(state.engine.objects(), caller, &target.bucket, &request, start).await?;
    let text = |value: &str| encoded(value, request.url_encoded);
    let mut body = format!("<ListBucketResult xmlns=\"{NAMESPACE}\">");
    body += &element("Name", &target.bucket);
    body += &element("Prefix", &text(&request.prefix));
    if !request.delimiter.is_empty() {
        body += &element("Delimiter", &text(&request.delimiter));
    }
    body += &element("MaxKeys", &request.max_keys.to_string());
    body += &element("IsTruncated", &truncated.to_string());
    if v2 {
        body += &element("KeyCount", &entries.len().to_string());
        if let Some(token) = &token {
            body += &element("ContinuationToken", token);
        }
        if let (true, Some(last)) = (truncated, entries.last()) {
            body += &element("NextContinuationToken", &last.token());
        }
        if let Some(start_after) = query_value(parts, "start-after") {
            body += &element("StartAfter", &text(&start_after));
        }
    } else {
        body += &element("Marker", &text(&query_value(parts, "marker").unwrap_or_default()));
        if let (true, Some(last), false) = (truncated, entries.last(), request.delimiter.is_empty()) {
            body += &element("NextMarker", &text(last.marker()));
        }
    }
    if request.url_encoded {
        body += &element("EncodingType", "url");
    }
    for entry in &entries {
        body += &match entry {
            Entry::Object(version) => format!("<Contents>{}</Contents>", object_fields(version, request.url_encoded)),
            Entry::CommonPrefix(prefix) => {
                format!("<CommonPrefixes>{}</CommonPrefixes>", element("Prefix", &text(prefix)))
            }
        };
    }
    body += "</ListBucketResult>";
    Ok(xml_response(StatusCode::OK, body))
}

/// `max-keys`, at most 1000 (S3's own limit), 1000 when not given.
pub fn max_keys(parts: &Parts) -> Result<usize, S3Error> {
    match query_value(parts, "max-keys") {
        Some(text) => Ok(text
            .parse::<usize>()
            .map_err(|_| S3Error::invalid_argument(format!("max-keys must be a whole number, not {text:?}")))?
            .min(MAX_KEYS)),
        None => Ok(MAX_KEYS),
    }
}

/// Whether the listing asked for `encoding-type=url` (botocore always does).
pub fn url_encoded(parts: &Parts) -> Result<bool, S3Error> {
    match query_value(parts, "encoding-type").as_deref() {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(S3Error::invalid_argument(format!("Invalid Encoding Method specified in Request: {other}"))),
    }
}

/// A key or prefix as a listing sends it: URL-encoded when asked to be.
pub fn encoded(value: &str, url_encoded: bool) -> String {
    if url_encoded {
        sigv4::uri_encode(value, false)
    } else {
        value.to_owned()
    }
}

/// A version's Key, LastModified, ETag, Size and StorageClass, as listings show them.
pub fn object_fields(version: &ObjectVersion, url_encoded: bool) -> String {
    format!(
        "{}{}{}{}<StorageClass>STANDARD</StorageClass>",
        element("Key", &encoded(&version.key, url_encoded)),
        element("LastModified", &iso_time(version.created_ms)),
        element("ETag", &format!("\"{}\"", version.etag)),
        element("Size", &version.size.to_string()),
    )
}

fn decode_token(token: &str) -> Result<Start, S3Error> {
    let invalid = || S3Error::invalid_argument("The continuation token provided is incorrect");
    let text = hex::decode(token).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(invalid)?;
    match text.split_at_checked(1) {
        Some(("k", key)) => Ok(Start { after: key.to_owned(), skip: None }),
        Some(("p", prefix)) => Ok(Start { after: prefix.to_owned(), skip: Some(prefix.to_owned()) }),
        _ => Err(invalid()),
    }
}

/// Up to `max_keys` entries from `start`, and whether more follow.
async fn collect(
    objects: &ObjectStore,
    caller: &Caller,
    bucket: &str,
    request: &Request,
    start: Start,
) -> Result<(Vec<Entry>, bool), S3Error> {
    let (prefix, delimiter) = (request.prefix.as_str(), request.delimiter.as_str());
    let mut entries = Vec::new();
    let (mut marker, mut last_prefix) = (start.after, start.skip);
    loop {
        let page = objects.latest_from(bucket, prefix, &marker, PAGE).await?;
        let exhausted = page.len() < PAGE as usize;
        for version in page {
            // Keys are in byte order from the prefix on: the first without it ends the listing.
            let Some(rest) = version.key.strip_prefix(prefix) else { return Ok((entries, false)) };
            marker.clone_from(&version.key);
            let common = (!delimiter.is_empty())
                .then(|| rest.find(delimiter).map(|at| format!("{prefix}{}", &rest[..at + delimiter.len()])))
                .flatten();
            let entry = match common {
                Some(common) if last_prefix.as_ref() == Some(&common) => continue,
                Some(common) => {
                    last_prefix = Some(common.clone());
                    Entry::CommonPrefix(common)
                }
                None if super::authorize_read(caller, &version).is_err() => continue,
                None => Entry::Object(version),
            };
            if entries.len() == request.max_keys {
                return Ok((entries, true));
            }
            entries.push(entry);
        }
        if exhausted {
            return Ok((entries, false));
        }
    }
}
