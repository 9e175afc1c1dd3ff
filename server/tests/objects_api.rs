//! The object upload and download endpoints, against a real server.
mod common;

use common::{signed_get, signed_http, TestServer, BACKENDS};
use engine::identity::Role;
use engine::objects::KeyStore;
use serde_json::Value;

/// The key store the test server encrypts with.
/// (The harness keeps its data in the system temp dir; when it gets a data dir of its own, take
/// the key store from the server's engine instead.)
fn key_store(server: &TestServer) -> KeyStore {
    server.engine.objects().keys().clone()
}

async fn put(server: &TestServer, path: &str, body: Vec<u8>, key_id: Option<&str>) -> reqwest::Response {
    let mut request = signed_http(reqwest::Method::PUT, &format!("{}/objects/{path}", server.url), &server.key, body);
    if let Some(id) = key_id {
        request = request.header("x-sluice-encryption-key-id", id);
    }
    request.send().await.expect("server answers")
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    signed_get(&format!("{}/objects/{path}", server.url), &server.key).await
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let json: Value = response.json().await.expect("JSON error body");
    (
        status,
        json["__type"].as_str().unwrap_or_default().to_owned(),
        json["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn uploads_become_versions_that_download_exactly() {
    let server = TestServer::start(BACKENDS[0]).await;
    let first = put(&server, "sources/app/hello.txt", b"hello".to_vec(), None).await;
    assert_eq!(first.status().as_u16(), 201);
    let first_version = header(&first, "x-amz-version-id").to_owned();
    assert_eq!(header(&first, "etag"), "\"5d41402abc4b2a76b9719d911017c592\"");
    let json: Value = first.json().await.unwrap();
    assert_eq!(json["bucket"], "sources");
    assert_eq!(json["key"], "app/hello.txt");
    assert_eq!(json["etag"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(json["size"], 5);
    assert_eq!(json["versionId"], first_version.as_str());
    assert_eq!(first_version.len(), 32);

    // A binary body larger than one encryption chunk and any default body limit.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let second = put(&server, "sources/app/hello.txt", big.clone(), None).await;
    assert_eq!(second.status().as_u16(), 201);
    let second_version = header(&second, "x-amz-version-id").to_owned();
    assert_ne!(first_version, second_version);

    let latest = get(&server, "sources/app/hello.txt").await;
    assert_eq!(latest.status().as_u16(), 200);
    assert_eq!(header(&latest, "x-amz-version-id"), second_version);
    assert_eq!(header(&latest, "content-length"), "3000000");
    assert!(latest.bytes().await.unwrap() == big);

    let old = get(&server, &format!("sources/app/hello.txt?versionId={first_version}")).await;
    assert_eq!(old.status().as_u16(), 200);
    assert_eq!(header(&old, "etag"), "\"5d41402abc4b2a76b9719d911017c592\"");
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"hello");

    let listing: Value = get(&server, "sources?key=app/hello.txt").await.json().await.unwrap();
    let ids: Vec<&str> =
        listing["versions"].as_array().unwrap().iter().map(|v| v["versionId"].as_str().unwrap()).collect();
    assert_eq!(ids, [second_version.as_str(), first_version.as_str()]);
    assert_eq!(listing["versions"][0]["isLatest"], true);
    assert_eq!(listing["versions"][1]["size"], 5);

    // Keys may hold spaces and non-ASCII characters.
    let odd = put(&server, "sources/reports/2026%20Q1/%C3%BCber.txt", b"odd".to_vec(), None).await;
    assert_eq!(odd.status().as_u16(), 201);
    assert_eq!(odd.json::<Value>().await.unwrap()["key"], "reports/2026 Q1/über.txt");
    assert_eq!(get(&server, "sources/reports/2026%20Q1/%C3%BCber.txt").await.bytes().await.unwrap().as_ref(), b"odd");
    server.stop().await;
}

#[tokio::test]
async fn encrypted_uploads_round_trip_and_unknown_keys_are_refused() {
    let server = TestServer::start(BACKENDS[0]).await;
    let key_id = format!("alias/objects-api-test-{}", uuid::Uuid::new_v4().simple());

    let refused = put(&server, "artifacts/p/a.zip", b"zip".to_vec(), Some(&key_id)).await;
    let (status, code, message) = error_of(refused).await;
    assert_eq!((status, code.as_str()), (400, "KMS.NotFoundException"));
    assert!(message.contains(&key_id) && message.contains("create-key"), "{message}");
    assert_eq!(get(&server, "artifacts/p/a.zip").await.status().as_u16(), 404, "a refused upload stores nothing");

    key_store(&server).create_key(&key_id).unwrap();
    let stored = put(&server, "artifacts/p/a.zip", b"secret artifact".to_vec(), Some(&key_id)).await;
    assert_eq!(stored.status().as_u16(), 201);
    let fetched = get(&server, "artifacts/p/a.zip").await;
    assert_eq!(header(&fetched, "x-amz-server-side-encryption-aws-kms-key-id"), key_id);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"secret artifact");
    let listing: Value = get(&server, "artifacts?key=p/a.zip").await.json().await.unwrap();
    assert_eq!(listing["versions"][0]["encryptionKeyId"], key_id.as_str());
    server.stop().await;
}

#[tokio::test]
async fn mistakes_get_s3_style_errors() {
    let server = TestServer::start(BACKENDS[0]).await;
    let (status, code, _) = error_of(get(&server, "sources/missing.zip").await).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));

    put(&server, "sources/there.zip", b"x".to_vec(), None).await;
    let no_version = get(&server, &format!("sources/there.zip?versionId={}", "0".repeat(32))).await;
    let (status, code, _) = error_of(no_version).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchVersion"));
    let (status, code, _) = error_of(get(&server, "sources/there.zip?versionId=nonsense").await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));

    let (status, code, message) = error_of(put(&server, "Bad_Bucket/x", b"x".to_vec(), None).await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidBucketName"), "{message}");
    let long_key = "k".repeat(1025);
    let (status, code, _) = error_of(put(&server, &format!("sources/{long_key}"), b"x".to_vec(), None).await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    let (status, code, _) = error_of(get(&server, "sources").await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    server.stop().await;
}

/// `(user name, outcome)` of each `event_name` record about the `sources` bucket, oldest first.
async fn audited(server: &TestServer, event_name: &str) -> Vec<(String, String)> {
    let filter = engine::audit::AuditFilter { event_name: Some(event_name.into()), ..Default::default() };
    let records = server.engine.audit().list(&filter).await.unwrap();
    assert!(records.iter().all(|r| r.record.contains(r#""bucketName":"sources""#)), "{records:?}");
    records.iter().rev().map(|r| (r.user_arn.rsplit('/').next().unwrap().to_owned(), r.outcome.clone())).collect()
}

fn owned((who, outcome): (&str, &str)) -> (String, String) {
    (who.to_owned(), outcome.to_owned())
}

#[tokio::test]
async fn objects_need_a_signature_and_the_permission() {
    let server = TestServer::start(BACKENDS[0]).await;
    let url = format!("{}/objects/sources/app.zip", server.url);
    let (status, code, message) = error_of(reqwest::Client::new().put(&url).body("x").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (401, "MissingAuthenticationTokenException"), "an unsigned upload");
    assert!(message.contains("Signature Version 4"), "{message}");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 401, "an unsigned download");

    let (_, viewer) = server.client_as("viewer", Role::Viewer).await;
    let (status, code, message) =
        error_of(signed_http(reqwest::Method::PUT, &url, &viewer, b"x".to_vec()).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "AccessDeniedException"), "a Viewer's upload");
    assert!(message.contains("sluice:PutObject on resource: arn:aws:s3:::sources/app.zip"), "{message}");
    assert_eq!(put(&server, "sources/app.zip", b"zip".to_vec(), None).await.status(), 201, "the admin's upload");
    let fetched = signed_get(&url, &viewer).await;
    assert_eq!(fetched.status(), 200, "a Viewer may download");
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"zip");

    // A body other than the one signed is not stored, nor is a request signed with a wrong secret.
    let swapped =
        signed_http(reqwest::Method::PUT, &url, &server.key, b"signed".to_vec()).body("swapped").send().await.unwrap();
    assert_eq!(swapped.status(), 400, "{}", swapped.text().await.unwrap());
    let wrong_secret = (server.key.0.clone(), "not-the-secret".to_owned());
    let (status, code, _) =
        error_of(signed_http(reqwest::Method::PUT, &url, &wrong_secret, b"x".to_vec()).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    assert_eq!(signed_get(&url, &viewer).await.bytes().await.unwrap().as_ref(), b"zip", "still the admin's upload");

    // Signed calls are in the audit trail, refused ones included; a wrong secret is nobody's call
    // and is recorded under the key it claimed.
    let uploads = audited(&server, "PutObject").await;
    assert_eq!(
        uploads,
        [("viewer", "Failure"), ("tester", "Success"), ("tester", "Failure"), ("anonymous", "Failure")].map(owned)
    );
    assert_eq!(audited(&server, "GetObject").await, [("viewer", "Success"), ("viewer", "Success")].map(owned));
    server.stop().await;
}
