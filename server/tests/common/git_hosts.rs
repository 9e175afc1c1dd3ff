//! What git hosts send to webhooks: GitHub's own example payloads (`@octokit/webhooks-examples`,
//! installed with the browser tests' packages) and GitHub's signature.
use hmac::{Hmac, Mac};
use serde_json::Value;

/// GitHub's example deliveries of one event.
pub fn github_examples(event: &str) -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/node_modules/@octokit/webhooks-examples/api.github.com/index.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{path}: {err}; the README's test command installs end2end's packages"));
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    let found = all.into_iter().find(|e| e["name"] == event).unwrap_or_else(|| panic!("no {event} examples"));
    found["examples"].as_array().unwrap().clone()
}

/// GitHub's `X-Hub-Signature-256` of `body`.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
