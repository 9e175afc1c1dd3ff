//! AWS Signature Version 4 verification for the CodePipeline API.
//!
//! The server recomputes the signature the client should have made with the stored secret and
//! compares. The payload hash it signs is computed from the body, or, for streamed uploads, taken
//! from `x-amz-content-sha256` and checked against the body as it arrives (see `auth::resources`).
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name CodePipeline requests are signed for, and tools that sign requests use.
pub const SERVICE: &str = "codepipeline";
/// The name S3 requests are signed for.
pub const S3_SERVICE: &str = "s3";
/// How far the request's clock may be from ours, as AWS allows.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Why a request's signature was refused; `exception` gives the name CodePipeline uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// No `Authorization` header at all.
    Missing,
    /// An `Authorization` header that is not a complete SigV4 header.
    Incomplete(String),
    /// The scope, the date or the signature itself is wrong.
    Invalid(String),
}

impl SigV4Error {
    pub fn exception(&self) -> &'static str {
        match self {
            SigV4Error::Missing => "MissingAuthenticationTokenException",
            SigV4Error::Incomplete(_) => "IncompleteSignatureException",
            SigV4Error::Invalid(_) => "InvalidSignatureException",
        }
    }

    pub fn message(&self) -> String {
        match self {
            SigV4Error::Missing => "Missing Authentication Token".to_owned(),
            SigV4Error::Incomplete(message) | SigV4Error::Invalid(message) => message.clone(),
        }
    }
}

/// What the `Authorization` header claims; nothing in it is trusted until `verify` passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub access_key_id: String,
    scope_date: String,
    region: String,
    /// The service the request is signed for (`codepipeline`, `events`, ...).
    pub service: String,
    signed_headers: Vec<String>,
    signature: String,
}

/// The parts of an HTTP request that SigV4 covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a axum::http::HeaderMap,
    pub body: &'a [u8],
}

/// Reads the `Authorization` header.
pub fn parse_authorization(headers: &axum::http::HeaderMap) -> Result<Claim, SigV4Error> {
    let header = headers.get("authorization").ok_or(SigV4Error::Missing)?;
    let header =
        header.to_str().map_err(|_| SigV4Error::Incomplete("The Authorization header is not ASCII.".into()))?;
    let Some(fields) = header.strip_prefix(ALGORITHM).filter(|rest| rest.starts_with(' ')) else {
        return Err(SigV4Error::Incomplete(format!("Authorization header requires the {ALGORITHM} algorithm.")));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Credential", value)) => credential = Some(value),
            Some(("SignedHeaders", value)) => signed_headers = Some(value),
            Some(("Signature", value)) => signature = Some(value),
            _ => {}
        }
    }
    let missing = |name: &str| SigV4Error::Incomplete(format!("Authorization header requires '{name}' parameter."));
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = parts[..] else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should have the form <key>/<date>/<region>/<service>/aws4_request, not '{credential}'."
        )));
    };
    if terminator != "aws4_request" {
        return Err(SigV4Error::Invalid("Credential should be scoped with a valid terminator: 'aws4_request'.".into()));
    }
    Ok(Claim {
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed_headers.split(';').map(str::to_owned).collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// The hex SHA-256 of a body, as the canonical request and `x-amz-content-sha256` carry it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Checks the claim's scope, the request's date against `now` (epoch seconds) and the signature
/// made over `payload_hash` (the request's body is not read here).
pub fn verify(
    claim: &Claim,
    secret: &str,
    (region, service): (&str, &str),
    request: &SignedRequest,
    payload_hash: &str,
    now: i64,
) -> Result<(), SigV4Error> {
    if claim.service != service {
        return Err(SigV4Error::Invalid(format!("Credential should be scoped to correct service: '{service}'.")));
    }
    if claim.region != region {
        return Err(SigV4Error::Invalid(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            claim.region
        )));
    }
    if !claim.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::Incomplete("'Host' must be a signed header.".into()));
    }
    // The signature covers only the headers it names: an unsigned `X-Amz-Target` added to a
    // signed request would otherwise choose the operation (a signed GetPipeline sent as
    // DeletePipeline). Every `x-amz-*` header sent must be signed, as AWS requires.
    let unsigned: Vec<&str> = request
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-amz-") && !claim.signed_headers.iter().any(|signed| signed == name))
        .collect();
    if !unsigned.is_empty() {
        return Err(SigV4Error::Invalid(format!(
            "There were headers present in the request which were not signed: {}",
            unsigned.join(", ")
        )));
    }
    let amz_date = header_text(request.headers, "x-amz-date").ok_or_else(|| {
        SigV4Error::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        )
    })?;
    let signed_at = parse_amz_date(&amz_date).ok_or_else(|| {
        SigV4Error::Incomplete(format!("X-Amz-Date '{amz_date}' is not of the form yyyyMMddTHHmmssZ."))
    })?;
    if !amz_date.starts_with(&claim.scope_date) {
        return Err(SigV4Error::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'.",
            claim.scope_date,
            &amz_date[..8]
        )));
    }
    if signed_at < now - MAX_SKEW_SECONDS {
        return Err(SigV4Error::Invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - MAX_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    if signed_at > now + MAX_SKEW_SECONDS {
        return Err(SigV4Error::Invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + MAX_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    let scope = format!("{}/{}/{}/aws4_request", claim.scope_date, claim.region, claim.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request(claim, request, payload_hash)))
    );
    let key = signing_key(secret, &claim.scope_date, &claim.region, &claim.service);
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    let given = hex::decode(&claim.signature).unwrap_or_default();
    // verify_slice compares in constant time, so timing tells nothing about the right signature.
    mac.verify_slice(&given).map_err(|_| {
        SigV4Error::Invalid(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
                .into(),
        )
    })
}

/// Signs a request the way an AWS SDK does; used by tests and tools that call Sluice without an SDK.
pub fn authorization_header(
    access_key_id: &str,
    secret: &str,
    region: &str,
    request: &SignedRequest,
    signed_headers: &[&str],
) -> String {
    service_authorization_header(SERVICE, access_key_id, secret, region, request, signed_headers)
}

/// `authorization_header` for another service's signing name (`events`, `sns`).
pub fn service_authorization_header(
    service: &str,
    access_key_id: &str,
    secret: &str,
    region: &str,
    request: &SignedRequest,
    signed_headers: &[&str],
) -> String {
    let payload = payload_hash(request.body);
    signed_payload_authorization_header((service, region), (access_key_id, secret), request, signed_headers, &payload)
}

/// `service_authorization_header` over a given payload hash (`UNSIGNED-PAYLOAD`, a streamed
/// body's) rather than the hash of `request.body`.
pub fn signed_payload_authorization_header(
    (service, region): (&str, &str),
    (access_key_id, secret): (&str, &str),
    request: &SignedRequest,
    signed_headers: &[&str],
    payload_hash: &str,
) -> String {
    let amz_date = header_text(request.headers, "x-amz-date").unwrap_or_default();
    let scope_date = amz_date.get(..8).unwrap_or_default().to_owned();
    let mut signed: Vec<String> = signed_headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    signed.sort();
    let claim = Claim {
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.clone(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed.clone(),
        signature: String::new(),
    };
    let scope = format!("{scope_date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request(&claim, request, payload_hash)))
    );
    let key = signing_key(secret, &scope_date, region, service);
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    format!("{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}", signed.join(";"))
}

fn canonical_request(claim: &Claim, request: &SignedRequest, payload_hash: &str) -> String {
    let headers: String = claim
        .signed_headers
        .iter()
        .map(|name| {
            let values: Vec<String> = request
                .headers
                .get_all(name.as_str())
                .iter()
                .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
                .collect();
            format!("{name}:{}\n", values.join(","))
        })
        .collect();
    format!(
        "{}\n{}\n{}\n{headers}\n{}\n{payload_hash}",
        request.method,
        canonical_path(request.path, &claim.service),
        canonical_query(request.query),
        claim.signed_headers.join(";"),
    )
}

/// Services other than S3 encode the path twice: the client encoded it once to send it. S3
/// signs the path as sent.
fn canonical_path(path: &str, service: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    if service == S3_SERVICE {
        return path.to_owned();
    }
    uri_encode(path, false)
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&percent_decode(name), true), uri_encode(&percent_decode(value), true))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// SigV4's encoding: unreserved characters stay, everything else becomes %XX (slashes optionally).
pub(crate) fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `%XX` decoded (and `+` as a space, as in a query); invalid sequences stay as they are.
pub(crate) fn percent_decode(text: &str) -> String {
    decode(text, true)
}

/// `%XX` decoded, `+` kept: a URL path's decoding.
pub(crate) fn percent_decode_path(text: &str) -> String {
    decode(text, false)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_pair = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex_pair) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn header_text(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// `20261127T035000Z` as epoch seconds.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Epoch seconds as `20261127T035000Z`.
pub fn format_amz_date(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests;
