use super::*;
use axum::http::HeaderMap;

#[test]
fn dates_round_trip() {
    for text in ["19700101T000000Z", "20261127T035000Z", "20000229T235959Z", "21000301T120000Z"] {
        assert_eq!(format_amz_date(parse_amz_date(text).unwrap()), text);
    }
    assert_eq!(parse_amz_date("20261127T035000Z"), Some(1_795_751_400));
    assert_eq!(parse_amz_date("2026-11-27T03:50:00Z"), None);
}

/// The example from AWS's SigV4 documentation (IAM ListUsers, GET with a query).
#[test]
fn matches_the_documented_example() {
    let mut headers = HeaderMap::new();
    headers.insert("host", "iam.amazonaws.com".parse().unwrap());
    headers.insert("content-type", "application/x-www-form-urlencoded; charset=utf-8".parse().unwrap());
    headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
    let request = SignedRequest {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        body: b"",
    };
    let claim = Claim {
        access_key_id: "AKIDEXAMPLE".into(),
        scope_date: "20150830".into(),
        region: "us-east-1".into(),
        service: "iam".into(),
        signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
        signature: String::new(),
    };
    let canonical = canonical_request(&claim, &request, &payload_hash(b""));
    assert_eq!(
        hex::encode(Sha256::digest(&canonical)),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n{}",
        hex::encode(Sha256::digest(&canonical))
    );
    assert_eq!(
        hex::encode(hmac(&key, string_to_sign.as_bytes())),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

/// A request signed over `signed` (lower case) that then also carries `extra` unsigned.
fn verify_with_extra_header(signed: &[&str], extra: (&str, &str)) -> Result<(), SigV4Error> {
    let now = parse_amz_date("20261127T035000Z").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", "127.0.0.1:3000".parse().unwrap());
    headers.insert("x-amz-date", "20261127T035000Z".parse().unwrap());
    headers.insert("x-amz-target", "CodePipeline_20150709.GetPipeline".parse().unwrap());
    let unsigned = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let authorization = authorization_header("AKID", "secret", "us-east-1", &unsigned, signed);
    headers.insert("authorization", authorization.parse().unwrap());
    headers.insert(axum::http::HeaderName::from_bytes(extra.0.as_bytes()).unwrap(), extra.1.parse().unwrap());
    let request = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let claim = parse_authorization(&headers).unwrap();
    verify(&claim, "secret", ("us-east-1", SERVICE), &request, &payload_hash(b"{}"), now)
}

#[test]
fn every_amz_header_sent_must_be_signed() {
    let all = ["host", "x-amz-date", "x-amz-target"];
    assert_eq!(verify_with_extra_header(&all, ("user-agent", "any")), Ok(()), "other headers may be unsigned");
    let refused = verify_with_extra_header(&["host", "x-amz-date"], ("user-agent", "any")).unwrap_err();
    assert_eq!(refused.exception(), "InvalidSignatureException");
    assert!(refused.message().ends_with("not signed: x-amz-target"), "{}", refused.message());
    let refused = verify_with_extra_header(&all, ("x-amz-security-token", "t")).unwrap_err();
    assert!(refused.message().ends_with("not signed: x-amz-security-token"), "{}", refused.message());
}

#[test]
fn a_request_signed_for_one_service_is_refused_by_another() {
    let now = parse_amz_date("20261127T035000Z").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", "127.0.0.1:3000".parse().unwrap());
    headers.insert("x-amz-date", "20261127T035000Z".parse().unwrap());
    let unsigned = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let authorization = authorization_header("AKID", "secret", "us-east-1", &unsigned, &["host", "x-amz-date"]);
    headers.insert("authorization", authorization.parse().unwrap());
    let request = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
    let claim = parse_authorization(&headers).unwrap();
    let hash = payload_hash(b"{}");
    assert_eq!(verify(&claim, "secret", ("us-east-1", SERVICE), &request, &hash, now), Ok(()));
    let refused = verify(&claim, "secret", ("us-east-1", "events"), &request, &hash, now).unwrap_err();
    assert!(refused.message().contains("scoped to correct service: 'events'"), "{}", refused.message());
}

#[test]
fn malformed_headers_are_incomplete() {
    let mut headers = HeaderMap::new();
    assert_eq!(parse_authorization(&headers), Err(SigV4Error::Missing));
    headers.insert("authorization", "Basic abc".parse().unwrap());
    assert!(matches!(parse_authorization(&headers), Err(SigV4Error::Incomplete(_))));
    headers.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/codepipeline/aws4_request".parse().unwrap(),
    );
    assert!(matches!(parse_authorization(&headers), Err(SigV4Error::Incomplete(m)) if m.contains("SignedHeaders")));
}
