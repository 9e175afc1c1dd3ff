//! Requests to the services beside CodePipeline (EventBridge's JSON, SNS's Query protocol),
//! signed as their SDKs sign them, and the failing pipeline the notification tests start.
use super::{approval_action, now_seconds, send, v2_pipeline_with_s3_source, RawAnswer, TestServer, REGION};

impl TestServer {
    /// An EventBridge request (`AWSEvents.<operation>`) signed as `tester`.
    pub async fn events(&self, operation: &str, body: serde_json::Value) -> RawAnswer {
        self.events_as(&self.key, operation, body).await
    }

    /// An EventBridge request signed with `key`.
    pub async fn events_as(&self, key: &(String, String), operation: &str, body: serde_json::Value) -> RawAnswer {
        let (id, secret) = key;
        let date = server::auth::sigv4::format_amz_date(now_seconds());
        let target = format!("AWSEvents.{operation}");
        let body = body.to_string().into_bytes();
        signed_service_request(&self.url, "events", Some(&target), body, (id, secret), date).await
    }

    /// An SNS Query protocol request (`Action=...&...`) signed as `key`; the answer's text is XML.
    pub async fn sns_as(&self, key: &(String, String), parameters: &[(&str, &str)]) -> RawAnswer {
        let date = server::auth::sigv4::format_amz_date(now_seconds());
        let body = serde_urlencoded::to_string(parameters).unwrap().into_bytes();
        signed_service_request(&self.url, "sns", None, body, (&key.0, &key.1), date).await
    }

    /// `sns_as` signed as `tester`.
    pub async fn sns(&self, parameters: &[(&str, &str)]) -> RawAnswer {
        self.sns_as(&self.key, parameters).await
    }
}

/// A POST signed for `service` with `(id, secret)`: AWS JSON 1.1 with this `X-Amz-Target`, or
/// without one a Query protocol form.
pub async fn signed_service_request(
    url: &str,
    service: &str,
    target: Option<&str>,
    body: Vec<u8>,
    (key_id, secret): (&str, &str),
    amz_date: String,
) -> RawAnswer {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("host", url.trim_start_matches("http://").parse().unwrap());
    headers.insert("x-amz-date", amz_date.parse().unwrap());
    let content_type = match target {
        Some(target) => {
            headers.insert("x-amz-target", target.parse().unwrap());
            "application/x-amz-json-1.1"
        }
        None => "application/x-www-form-urlencoded; charset=utf-8",
    };
    headers.insert("content-type", content_type.parse().unwrap());
    let request =
        server::auth::sigv4::SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: &body };
    let signed: &[&str] = match target {
        Some(_) => &["content-type", "host", "x-amz-date", "x-amz-target"],
        None => &["content-type", "host", "x-amz-date"],
    };
    let authorization =
        server::auth::sigv4::service_authorization_header(service, key_id, secret, REGION, &request, signed);
    headers.insert("authorization", authorization.parse().unwrap());
    send(url, headers, body).await
}

/// A pipeline whose source object does not exist: its first execution (started by
/// CreatePipeline) fails in the Source stage.
pub async fn create_failing_pipeline(server: &TestServer, name: &str, variables: serde_json::Value) {
    let mut declaration = v2_pipeline_with_s3_source(
        name,
        "sources",
        "missing.zip",
        vec![serde_json::json!({ "name": "Wait", "actions": [approval_action("Never")] })],
    );
    declaration["variables"] = variables;
    let created = server.raw("CreatePipeline", serde_json::json!({ "pipeline": declaration }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
}
