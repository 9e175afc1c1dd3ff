//! The S3 REST subset over Sluice's object store, against a real server: the stock aws CLI and
//! boto3 (scripts/s3_check.py), raw SigV4-signed requests for signatures, error XML and
//! permissions, and the Deploy/S3 action writing into the store.
mod common;

use common::{new_user_with_key, on_both_backends, run_python_check, upload_zip, v2_pipeline_with_s3_source};
use common::{wait_final, TestServer, REGION};
use engine::identity::Role;
use serde_json::json;

type Key = (String, String);

/// A path-style S3 request signed for service `s3` as `key`, over `payload_hash` (the body's
/// SHA-256 unless given), with `extra` headers signed too.
fn s3_request(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: &Key,
    body: Vec<u8>,
    (payload, extra): (Option<&str>, &[(&str, &str)]),
) -> reqwest::RequestBuilder {
    use server::auth::sigv4;
    let url = reqwest::Url::parse(&format!("{}{path}", server.url)).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let payload = payload.map(str::to_owned).unwrap_or_else(|| sigv4::payload_hash(&body));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("host", host.parse().unwrap());
    headers.insert("x-amz-date", sigv4::format_amz_date(common::now_seconds()).parse().unwrap());
    headers.insert("x-amz-content-sha256", payload.parse().unwrap());
    for (name, value) in extra {
        headers.insert(reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    let names: Vec<String> = headers.keys().map(|name| name.as_str().to_owned()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let request = sigv4::SignedRequest {
        method: method.as_str(),
        path: url.path(),
        query: url.query().unwrap_or_default(),
        headers: &headers,
        body: &body,
    };
    let authorization =
        sigv4::signed_payload_authorization_header(("s3", REGION), (&key.0, &key.1), &request, &names, &payload);
    headers.insert("authorization", authorization.parse().unwrap());
    reqwest::Client::new().request(method, url).headers(headers).body(body)
}

/// Status, `<Code>` and the whole body of an answer.
async fn answer(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let response = request.send().await.expect("server answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let code = text.split("<Code>").nth(1).and_then(|rest| rest.split("</Code>").next()).unwrap_or_default();
    (status, code.to_owned(), text)
}

async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: &Key,
    body: &[u8],
) -> (u16, String, String) {
    answer(s3_request(server, method, path, key, body.to_vec(), (None, &[]))).await
}

#[tokio::test]
async fn the_aws_cli_and_boto3_use_the_store_as_s3() {
    on_both_backends(|server| async move {
        let editor = new_user_with_key(&server.engine, "builder", Role::Editor).await;
        let env = [
            ("SLUICE_URL", server.url.as_str()),
            ("SLUICE_KEY_ID", editor.0.as_str()),
            ("SLUICE_SECRET", editor.1.as_str()),
            ("S3_CHECK_BUCKET", "s3-check"),
        ];
        run_python_check("s3_check.py", &env).await;
        server
    })
    .await;
}

#[tokio::test]
async fn signatures_errors_and_permissions_answer_as_s3_does() {
    on_both_backends(|server| async move {
        use reqwest::Method;
        let admin = server.key.clone();
        let (status, _, text) = send(&server, Method::PUT, "/site/index.html", &admin, b"<h1>hello</h1>").await;
        assert_eq!(status, 200, "{text}");

        // A signature made with the wrong secret, or with a key nobody has.
        let wrong = (admin.0.clone(), "not-the-secret".to_owned());
        let (status, code, text) = send(&server, Method::GET, "/site/index.html", &wrong, b"").await;
        assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"), "{text}");
        assert!(text.starts_with("<?xml") && text.contains("<Resource>/site/index.html</Resource>"), "{text}");
        let unknown = ("AKIANOBODY0000000000".to_owned(), "x".to_owned());
        let (status, code, _) = send(&server, Method::GET, "/site/index.html", &unknown, b"").await;
        assert_eq!((status, code.as_str()), (403, "InvalidAccessKeyId"));
        // A body that is not the one signed is not stored.
        let tampered = s3_request(&server, Method::PUT, "/site/index.html", &admin, b"evil".to_vec(), (Some(&"0".repeat(64)), &[]));
        let (status, _, _) = answer(tampered).await;
        assert!(status >= 400, "a body that does not match its signed hash was accepted");
        let (_, _, text) = send(&server, Method::GET, "/site/index.html", &admin, b"").await;
        assert_eq!(text, "<h1>hello</h1>");

        // UNSIGNED-PAYLOAD is S3's; aws-chunked uploads are refused, not misread.
        let unsigned = s3_request(&server, Method::PUT, "/site/u.txt", &admin, b"as is".to_vec(), (Some("UNSIGNED-PAYLOAD"), &[]));
        assert_eq!(answer(unsigned).await.0, 200);
        assert_eq!(send(&server, Method::GET, "/site/u.txt", &admin, b"").await.2, "as is");
        let streaming = ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", &[("content-encoding", "aws-chunked")][..]);
        let chunked = s3_request(&server, Method::PUT, "/site/c.txt", &admin, b"0;chunk-signature=x\r\n\r\n".to_vec(), (Some(streaming.0), streaming.1));
        let (status, code, _) = answer(chunked).await;
        assert_eq!((status, code.as_str()), (501, "NotImplemented"));

        // S3's error codes, in S3's XML.
        let (status, code, text) = send(&server, Method::GET, "/site/missing.html", &admin, b"").await;
        assert_eq!((status, code.as_str()), (404, "NoSuchKey"), "{text}");
        assert!(text.contains("<Message>") && text.contains("missing.html"), "{text}");
        let bad_version = "/site/index.html?versionId=0123456789abcdef0123456789abcdef";
        assert_eq!(send(&server, Method::GET, bad_version, &admin, b"").await.1, "NoSuchVersion");
        assert_eq!(send(&server, Method::GET, "/Bad_Bucket/x", &admin, b"").await.1, "InvalidBucketName");
        assert_eq!(send(&server, Method::POST, "/site/big.bin?uploads", &admin, b"").await.1, "NotImplemented");
        assert_eq!(send(&server, Method::GET, "/site?list-type=2&max-keys=lots", &admin, b"").await.1, "InvalidArgument");
        let token = "/site?list-type=2&continuation-token=zz";
        assert_eq!(send(&server, Method::GET, token, &admin, b"").await.1, "InvalidArgument");
        let (status, code, _) = answer(s3_request(&server, Method::GET, "/site/index.html", &admin, vec![], (None, &[("range", "bytes=100-")]))).await;
        assert_eq!((status, code.as_str()), (416, "InvalidRange"));
        let (status, _, text) = answer(s3_request(&server, Method::GET, "/site/index.html", &admin, vec![], (None, &[("range", "bytes=4-8")]))).await;
        assert_eq!((status, text.as_str()), (206, "hello"));

        // A Viewer reads and lists but neither writes nor deletes.
        let viewer = new_user_with_key(&server.engine, "viewer", Role::Viewer).await;
        assert_eq!(send(&server, Method::GET, "/site/index.html", &viewer, b"").await.0, 200);
        let (status, _, listing) = send(&server, Method::GET, "/site?list-type=2", &viewer, b"").await;
        assert_eq!(status, 200);
        assert!(listing.contains("<Key>index.html</Key>") && listing.contains("<KeyCount>2</KeyCount>"), "{listing}");
        let (status, code, text) = send(&server, Method::PUT, "/site/index.html", &viewer, b"defaced").await;
        assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{text}");
        assert!(text.contains("sluice:PutObject") && text.contains("arn:aws:s3:::site/index.html"), "{text}");
        assert_eq!(send(&server, Method::DELETE, "/site/index.html", &viewer, b"").await.1, "AccessDenied");
        assert_eq!(send(&server, Method::GET, "/site/index.html", &admin, b"").await.2, "<h1>hello</h1>");

        // An artifact a pipeline wrote is read, listed and deleted only by those who may read the pipeline.
        let pipeline_arn = server.engine.pipeline_arn("private");
        let artifact = std::env::temp_dir().join(format!("s3-artifact-{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&artifact, "built").unwrap();
        server.engine.objects().put_file_by("site", "built.zip", &artifact, None, Some(&pipeline_arn)).await.unwrap();
        let _ = std::fs::remove_file(&artifact);
        let deny = json!({ "Statement": { "Effect": "Deny", "Action": "codepipeline:GetPipelineState", "Resource": pipeline_arn } });
        server.engine.identity().put_user_policy("viewer", "not-private", &deny.to_string()).await.unwrap();
        let (status, code, text) = send(&server, Method::GET, "/site/built.zip", &viewer, b"").await;
        assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{text}");
        assert!(text.contains("codepipeline:GetPipelineState"), "{text}");
        let listing = send(&server, Method::GET, "/site?list-type=2", &viewer, b"").await.2;
        assert!(!listing.contains("built.zip") && listing.contains("index.html"), "{listing}");
        let listing = send(&server, Method::GET, "/site?list-type=2", &admin, b"").await.2;
        assert!(listing.contains("<Key>built.zip</Key>"), "{listing}");

        // Another user's bucket listing shows only what they may list.
        let narrow = json!({ "Statement": { "Effect": "Deny", "Action": "sluice:ListBucket", "Resource": "arn:aws:s3:::site" } });
        server.engine.identity().put_user_policy("viewer", "no-site", &narrow.to_string()).await.unwrap();
        assert_eq!(send(&server, Method::GET, "/site?list-type=2", &viewer, b"").await.1, "AccessDenied");
        assert!(!send(&server, Method::GET, "/", &viewer, b"").await.2.contains("<Name>site</Name>"));
        assert!(send(&server, Method::GET, "/", &admin, b"").await.2.contains("<Name>site</Name>"));

        // Requests signed for CodePipeline still reach the app's own routes, in their JSON.
        let own = common::signed_get(&format!("{}/objects/site/index.html", server.url), &admin).await;
        assert_eq!(own.text().await.unwrap(), "<h1>hello</h1>");
        let missing = common::signed_get(&format!("{}/objects/site/missing", server.url), &admin).await;
        assert_eq!(missing.json::<serde_json::Value>().await.unwrap()["__type"], "NoSuchKey");
        server
    })
    .await;
}

/// Runs the pipeline's CreatePipeline execution to its end and returns its status.
async fn first_run(server: &TestServer, name: &str) -> String {
    for _ in 0..100 {
        let listed = server.client.list_pipeline_executions().pipeline_name(name).send().await.unwrap();
        if let Some(id) = listed.pipeline_execution_summaries().first().and_then(|e| e.pipeline_execution_id()) {
            return wait_final(server, name, id).await.as_str().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{name} never started");
}

fn deploy_stage(configuration: serde_json::Value) -> serde_json::Value {
    json!({ "name": "Deploy", "actions": [{
        "name": "Site",
        "actionTypeId": { "category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1" },
        "configuration": configuration,
        "inputArtifacts": [{ "name": "Src" }]
    }]})
}

/// The Deploy action's log and summary, by way of ListActionExecutions.
async fn deploy_summary(server: &TestServer, name: &str) -> String {
    let actions = server.client.list_action_executions().pipeline_name(name).send().await.unwrap();
    let deploy = actions.action_execution_details().iter().find(|a| a.action_name() == Some("Site")).unwrap();
    let result = deploy.output().and_then(|o| o.execution_result());
    result.and_then(|r| r.external_execution_summary()).unwrap_or_default().to_owned()
}

/// The Deploy action's log, as text.
async fn deploy_log(server: &TestServer, name: &str) -> String {
    let actions = server.client.list_action_executions().pipeline_name(name).send().await.unwrap();
    let deploy = actions.action_execution_details().iter().find(|a| a.action_name() == Some("Site")).unwrap();
    let url = format!("{}/api/v1/action-executions/{}/log.txt", server.url, deploy.action_execution_id().unwrap());
    common::signed_get(&url, &server.key).await.text().await.unwrap()
}

#[tokio::test]
async fn the_s3_deploy_action_writes_into_the_store() {
    on_both_backends(|server| async move {
        let key = server.key.clone();
        let files = [("index.html", "<h1>v1</h1>"), ("css/site.css", "body{}")];
        upload_zip(&server.url, &key, "sources", "site.zip", &[("index.html", files[0].1), ("notes.txt", "n")]).await;
        let objects = server.engine.objects();

        // Extract=true: every file under ObjectKey as a prefix, written as the pipeline.
        let extract = deploy_stage(json!({ "BucketName": "www", "Extract": "true", "ObjectKey": "live/", "CacheControl": "max-age=60" }));
        let declaration = v2_pipeline_with_s3_source("site", "sources", "site.zip", vec![extract]);
        let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        assert_eq!(first_run(&server, "site").await, "Succeeded", "{}", deploy_summary(&server, "site").await);
        let page = objects.get("www", "live/index.html", None).await.unwrap();
        assert_eq!(objects.open_bytes(&page).await.unwrap(), files[0].1.as_bytes());
        assert_eq!(page.created_by.as_deref(), Some(server.engine.pipeline_arn("site").as_str()));
        assert_eq!(objects.open_bytes(&objects.get("www", "live/notes.txt", None).await.unwrap()).await.unwrap(), b"n");
        let log = deploy_log(&server, "site").await;
        assert!(log.contains(&format!("Wrote s3://www/live/index.html version {} (11 bytes)", page.version_id)), "{log}");
        assert!(log.contains("CacheControl=max-age=60 has no effect"), "{log}");
        let summary = deploy_summary(&server, "site").await;
        assert!(summary.contains("Extracted 2 files") && summary.contains("s3://www/live"), "{summary}");

        // Extract=false: the artifact as one zip object, its key's {uuid} filled in.
        let single = deploy_stage(json!({ "BucketName": "releases", "Extract": "false", "ObjectKey": "release-{uuid}.zip" }));
        let declaration = v2_pipeline_with_s3_source("release", "sources", "site.zip", vec![single]);
        let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        assert_eq!(first_run(&server, "release").await, "Succeeded", "{}", deploy_summary(&server, "release").await);
        let written = objects.latest_from("releases", "", "", 10).await.unwrap();
        assert_eq!(written.len(), 1, "{written:?}");
        let name = written[0].key.strip_prefix("release-").and_then(|k| k.strip_suffix(".zip")).unwrap();
        assert!(uuid::Uuid::parse_str(name).is_ok(), "{}", written[0].key);
        let unpacked = std::env::temp_dir().join(format!("s3-release-{}", uuid::Uuid::new_v4().simple()));
        objects.unpack_to(&written[0], &unpacked).await.unwrap();
        assert_eq!(std::fs::read_to_string(unpacked.join("index.html")).unwrap(), files[0].1);
        let _ = std::fs::remove_dir_all(&unpacked);
        assert!(deploy_summary(&server, "release").await.contains(&written[0].version_id));

        // A key the store does not have is a configuration error naming it.
        let encrypted = deploy_stage(json!({ "BucketName": "www", "Extract": "true", "KMSEncryptionKeyARN": "arn:aws:kms:us-east-1:000000000000:key/none" }));
        let declaration = v2_pipeline_with_s3_source("nokey", "sources", "site.zip", vec![encrypted]);
        let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        assert_eq!(first_run(&server, "nokey").await, "Failed");
        let actions = server.client.list_action_executions().pipeline_name("nokey").send().await.unwrap();
        let failed = actions.action_execution_details().iter().find(|a| a.action_name() == Some("Site")).unwrap();
        let details = failed.output().and_then(|o| o.execution_result()).and_then(|r| r.error_details());
        let message = details.and_then(|d| d.message()).unwrap_or_default();
        assert!(message.contains("KMSEncryptionKeyARN") && message.contains("none"), "{failed:?}");

        // A pipeline writes only where its author may.
        let (_, narrow) = server.client_as("narrow", Role::Editor).await;
        let deny = json!({ "Statement": { "Effect": "Deny", "Action": "sluice:PutObject", "Resource": "arn:aws:s3:::www/*" } });
        server.engine.identity().put_user_policy("narrow", "not-www", &deny.to_string()).await.unwrap();
        let extract = deploy_stage(json!({ "BucketName": "www", "Extract": "true", "ObjectKey": "live" }));
        let declaration = v2_pipeline_with_s3_source("sneaky", "sources", "site.zip", vec![extract]);
        let body = json!({ "pipeline": declaration }).to_string().into_bytes();
        let date = server::auth::sigv4::format_amz_date(common::now_seconds());
        let refused = common::signed_request(&server.url, "CreatePipeline", body, &narrow.0, &narrow.1, date).await;
        assert!(refused.text.contains("its S3 deploy writes s3://www/live/*"), "{}", refused.text);

        // Missing settings are validation errors naming the stage, the action and the field.
        for (configuration, field) in [
            (json!({ "Extract": "true" }), "BucketName"),
            (json!({ "BucketName": "www", "Extract": "false" }), "ObjectKey"),
        ] {
            let declaration = v2_pipeline_with_s3_source("invalid", "sources", "site.zip", vec![deploy_stage(configuration)]);
            let refused = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
            assert_eq!(refused.status, 400, "{}", refused.text);
            let message = refused.json["message"].as_str().unwrap_or_default();
            assert!(message.contains("Deploy") && message.contains("Site") && message.contains(field), "{message}");
        }
        server
    })
    .await;
}
