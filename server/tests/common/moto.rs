//! moto's server (installed by scripts/test) as the AWS side of the tests: SNS, SQS and
//! EventBridge on a free port, in account 123456789012, reached with SigV4-signed Query and
//! JSON requests as the SDKs make them (moto does not check signatures; it reads the region).
use super::services::signed_service_request;
use super::RawAnswer;
use std::process::{Child, Command};

pub const MOTO_ACCOUNT: &str = "123456789012";

pub struct Moto {
    pub url: String,
    child: Child,
}

impl Moto {
    pub async fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new("python3");
        command.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()]);
        let child =
            super::spawn_listening(command, port, "moto's server (python3 -m pip install 'moto[server]')").await;
        Moto { url: format!("http://127.0.0.1:{port}"), child }
    }

    /// A Query protocol call (SNS, SQS): `Action=...` and the parameters; the answer is XML.
    pub async fn query(&self, service: &str, parameters: &[(&str, &str)]) -> RawAnswer {
        let body = serde_urlencoded::to_string(parameters).unwrap().into_bytes();
        let answer = signed_service_request(&self.url, service, None, body, ("test", "test"), amz_date()).await;
        assert_eq!(answer.status, 200, "moto {service} {parameters:?}: {}", answer.text);
        answer
    }

    /// A JSON 1.1 call (EventBridge): `X-Amz-Target: <target>`.
    pub async fn json(&self, service: &str, target: &str, body: serde_json::Value) -> RawAnswer {
        let body = body.to_string().into_bytes();
        let answer = signed_service_request(&self.url, service, Some(target), body, ("test", "test"), amz_date()).await;
        assert_eq!(answer.status, 200, "moto {target}: {}", answer.text);
        answer
    }

    /// Makes an SQS queue and answers its URL and ARN.
    pub async fn queue(&self, name: &str) -> (String, String) {
        let created = self.query("sqs", &[("Action", "CreateQueue"), ("QueueName", name)]).await;
        let url = between(&created.text, "<QueueUrl>", "</QueueUrl>").to_owned();
        (url, format!("arn:aws:sqs:{}:{MOTO_ACCOUNT}:{name}", super::REGION))
    }

    /// The bodies of the messages waiting in the queue (XML-unescaped), waiting up to 15 s for one.
    pub async fn receive(&self, queue_url: &str) -> Vec<String> {
        for _ in 0..150 {
            let answer = self
                .query("sqs", &[("Action", "ReceiveMessage"), ("QueueUrl", queue_url), ("MaxNumberOfMessages", "10")])
                .await;
            let bodies: Vec<String> =
                answer.text.split("<Body>").skip(1).map(|rest| unescape(between(rest, "", "</Body>"))).collect();
            if !bodies.is_empty() {
                return bodies;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no message reached {queue_url}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn amz_date() -> String {
    server::auth::sigv4::format_amz_date(super::now_seconds())
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map_or(0, |i| i + start.len());
    let rest = &text[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
