//! What the SDKs never send: the server must still answer with a clean AWS error, never a panic.
mod common;

use common::{TestServer, BACKENDS};

#[tokio::test]
async fn bad_requests_get_aws_errors() {
    let server = TestServer::start(BACKENDS[0]).await;

    let unknown = server.raw("LaunchRockets", "{}").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_type(), "UnknownOperationException");
    assert!(unknown.request_id.is_some(), "every answer carries x-amzn-RequestId");
    assert_eq!(unknown.x_request_id, unknown.request_id, "the logs' request id is the API's");

    let malformed = server.raw("GetPipeline", "{\"name\": ").await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.error_type(), "SerializationException");

    let wrong_type = server.raw("GetPipeline", r#"{"name": 42}"#).await;
    assert_eq!(wrong_type.error_type(), "ValidationException");
    assert!(wrong_type.json["message"].as_str().unwrap().contains("name"), "{}", wrong_type.text);

    let missing_member = server.raw("GetPipeline", "{}").await;
    assert_eq!(missing_member.error_type(), "ValidationException");

    // A typo in a nested member is named with its full path.
    let mut pipeline = common::pipeline_json("typo");
    pipeline["stages"][1]["actions"][0]["runorder"] = 1.into();
    let typo = server.raw("CreatePipeline", serde_json::json!({ "pipeline": pipeline }).to_string()).await;
    assert_eq!(typo.status, 400);
    assert!(typo.text.contains("stages[1].actions[0]"), "{}", typo.text);

    let huge = server.raw("CreatePipeline", vec![b' '; 5 * 1024 * 1024]).await;
    assert_eq!(huge.status, 400);
    assert_eq!(huge.error_type(), "ValidationException");

    let ok = server.raw("ListPipelines", "").await;
    assert_eq!(ok.status, 200, "an empty body is an empty input");
    assert_eq!(ok.json["pipelines"], serde_json::json!([]));

    let health = reqwest::get(format!("{}/healthz", server.url)).await.unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}
