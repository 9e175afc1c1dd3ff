//! ListObjectVersions: every version of the keys under a prefix, by key then newest first, paged
//! with `key-marker` and `version-id-marker`. The store keeps no delete markers, so there are none
//! to list; a delimiter is not supported here.
use super::list::{encoded, max_keys, may_list, object_fields, url_encoded};
use super::xml::{element, xml_response, S3Error, NAMESPACE};
use super::{authorize_read, query_value, Target};
use crate::auth::Caller;
use crate::AppState;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;

/// Rows read from the store at a time.
const PAGE: u32 = 1000;

pub async fn list_versions(
    state: &AppState,
    caller: &Caller,
    target: &Target,
    parts: &Parts,
) -> Result<Response, S3Error> {
    may_list(caller, target)?;
    if query_value(parts, "delimiter").is_some_and(|d| !d.is_empty()) {
        return Err(S3Error::not_implemented("ListObjectVersions with a delimiter"));
    }
    let (max, url) = (max_keys(parts)?, url_encoded(parts)?);
    let prefix = query_value(parts, "prefix").unwrap_or_default();
    let key_marker = query_value(parts, "key-marker").unwrap_or_default();
    let version_marker = query_value(parts, "version-id-marker").unwrap_or_default();
    let objects = state.engine.objects();
    let (mut shown, mut after) = (Vec::new(), (key_marker.clone(), version_marker.clone()));
    // Keys are in byte order from the prefix on: the first without it ends the listing.
    let truncated = 'pages: loop {
        let page = objects.versions_from(&target.bucket, &prefix, (&after.0, &after.1), PAGE).await?;
        let exhausted = page.len() < PAGE as usize;
        for (version, latest) in page {
            if !version.key.starts_with(&prefix) {
                break 'pages false;
            }
            after = (version.key.clone(), version.version_id.clone());
            if authorize_read(caller, &version).is_err() {
                continue;
            }
            if shown.len() == max {
                break 'pages true;
            }
            shown.push((version, latest));
        }
        if exhausted {
            break false;
        }
    };
    let mut body = format!("<ListVersionsResult xmlns=\"{NAMESPACE}\">");
    body += &element("Name", &target.bucket);
    body += &element("Prefix", &encoded(&prefix, url));
    body += &element("KeyMarker", &encoded(&key_marker, url));
    body += &element("VersionIdMarker", &version_marker);
    if let (true, Some((last, _))) = (truncated, shown.last()) {
        body += &element("NextKeyMarker", &encoded(&last.key, url));
        body += &element("NextVersionIdMarker", &last.version_id);
    }
    body += &element("MaxKeys", &max.to_string());
    body += &element("IsTruncated", &truncated.to_string());
    if url {
        body += &element("EncodingType", "url");
    }
    for (version, latest) in &shown {
        body += &format!(
            "<Version>{}{}{}</Version>",
            element("VersionId", &version.version_id),
            element("IsLatest", &latest.to_string()),
            object_fields(version, url)
        );
    }
    body += "</ListVersionsResult>";
    Ok(xml_response(StatusCode::OK, body))
}
