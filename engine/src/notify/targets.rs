//! The kinds of rule target Sluice delivers to, told apart by their ARN, and checked when
//! PutTargets stores them:
//! - a pipeline of this account: `arn:aws:codepipeline:REGION:ACCOUNT:PIPELINE`, started with
//!   the delivery's payload as StartPipelineExecution's input (its `variables`);
//! - a topic of this account: `arn:aws:sns:REGION:ACCOUNT:TOPIC`;
//! - a webhook, in the shape of an EventBridge API destination whose name is the endpoint:
//!   `arn:aws:events:REGION:ACCOUNT:api-destination/[METHOD/]https://host/path` (POST when no
//!   method is given), with the target's `HttpParameters.HeaderParameters` as extra headers;
//! - on AWS (another account or region, when the server has an AWS endpoint and credentials): an
//!   SNS topic, published to, or an EventBridge event bus, put to (see `aws.rs`).
use crate::Account;
use serde_json::{json, Value};

/// HTTP methods an EventBridge API destination may use.
pub const WEBHOOK_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"];

/// The header parameter that holds a webhook's signing secret: sealed at rest, never sent, shown
/// as `****`, and used as the HMAC-SHA256 key of the body's signature.
pub const SIGNING_SECRET_HEADER: &str = "X-Sluice-Signing-Secret";
/// The header the signature is sent in: `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-Sluice-Signature-256";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    Pipeline {
        name: String,
    },
    Topic {
        name: String,
    },
    /// A subscription of a topic (`arn:aws:sns:REGION:ACCOUNT:TOPIC:ID`): where a topic's
    /// deliveries go, never a rule's target.
    Subscription {
        topic: String,
        id: String,
    },
    Webhook {
        method: String,
        url: String,
    },
    /// An SNS topic or an event bus of another account or region, reached through AWS's APIs.
    Aws(AwsTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub service: AwsService,
    pub region: String,
    pub arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsService {
    /// `arn:aws:sns:REGION:ACCOUNT:TOPIC`: the payload is published as the message.
    Sns,
    /// `arn:aws:events:REGION:ACCOUNT:event-bus/NAME`: the event is put on the bus.
    Events,
}

impl AwsService {
    /// The name requests are signed for, and the `AWS_ENDPOINT_URL_<NAME>` suffix.
    pub const fn signing_name(self) -> &'static str {
        match self {
            AwsService::Sns => "sns",
            AwsService::Events => "events",
        }
    }
}

impl TargetKind {
    /// What `arn` names, or why Sluice cannot deliver to it.
    pub fn of_arn(arn: &str, account: &Account) -> Result<TargetKind, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, service, region, account_id, resource] = parts[..] else {
            return Err(format!("{arn:?} is not an ARN."));
        };
        if partition != "aws" {
            return Err(format!("{arn:?} is not in the aws partition."));
        }
        if (region, account_id) != (account.region.as_str(), account.id.as_str()) {
            let on_aws =
                |service| Ok(TargetKind::Aws(AwsTarget { service, region: region.to_owned(), arn: arn.to_owned() }));
            match service {
                "sns" if !resource.is_empty() && !resource.contains([':', '/']) => return on_aws(AwsService::Sns),
                "events" if resource.strip_prefix("event-bus/").is_some_and(|bus| !bus.is_empty()) => {
                    return on_aws(AwsService::Events)
                }
                _ => {}
            }
            return Err(format!(
                "{arn:?} is not in this Sluice's region and account ({}:{}); of other accounts, only SNS topics and event buses can be targets.",
                account.region, account.id
            ));
        }
        match service {
            "codepipeline" if !resource.is_empty() && !resource.contains([':', '/']) => {
                Ok(TargetKind::Pipeline { name: resource.to_owned() })
            }
            "sns" if !resource.is_empty() && !resource.contains([':', '/']) => {
                Ok(TargetKind::Topic { name: resource.to_owned() })
            }
            "sns" => match resource.split_once(':') {
                Some((topic, id)) if !topic.is_empty() && !id.is_empty() && !id.contains(':') => {
                    Ok(TargetKind::Subscription { topic: topic.to_owned(), id: id.to_owned() })
                }
                _ => Err(unsupported(arn)),
            },
            "events" => match resource.strip_prefix("api-destination/") {
                Some(rest) => webhook(rest),
                None => Err(unsupported(arn)),
            },
            _ => Err(unsupported(arn)),
        }
    }
}

fn unsupported(arn: &str) -> String {
    format!(
        "Sluice cannot deliver to {arn:?}: a target is a pipeline (arn:aws:codepipeline:REGION:ACCOUNT:NAME), \
         a topic (arn:aws:sns:REGION:ACCOUNT:NAME) or a webhook \
         (arn:aws:events:REGION:ACCOUNT:api-destination/[METHOD/]https://...)."
    )
}

/// `[METHOD/]URL` of a webhook ARN.
fn webhook(rest: &str) -> Result<TargetKind, String> {
    let (method, url) = match rest.split_once('/') {
        Some((method, url)) if WEBHOOK_METHODS.contains(&method) => (method, url),
        _ => ("POST", rest),
    };
    check_url(url)?;
    Ok(TargetKind::Webhook { method: method.to_owned(), url: url.to_owned() })
}

/// An http or https URL with a host: what webhooks and http(s) subscriptions may name.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL; webhooks are only sent over HTTP(S)."))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') || url.chars().any(char::is_whitespace) {
        return Err(format!("{url:?} has no host to send to."));
    }
    let literal = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(ip, _port)| ip),
    };
    if literal.parse().is_ok_and(is_link_local) {
        return Err(format!(
            "{url:?} is a link-local address, where clouds serve instance credentials; nothing is sent there."
        ));
    }
    Ok(())
}

/// Link-local addresses (169.254.0.0/16, fe80::/10): where clouds serve instance metadata and
/// credentials, so never a notification's destination, whoever wrote the rule. The courier
/// checks again after name resolution.
pub fn is_link_local(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local(),
        std::net::IpAddr::V6(v6) => {
            v6.segments()[0] & 0xffc0 == 0xfe80 || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`, as GitHub signs its webhooks.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook target's `HttpParameters` as stored: the headers only, the signing secret sealed.
/// `seal` seals the secret (PutTargets); the other parameters are refused, as Sluice's webhooks
/// take their whole URL from the ARN.
pub fn store_http_parameters(given: &Value, seal: impl Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let Some(object) = given.as_object() else {
        return Err("HttpParameters is an object.".into());
    };
    if let Some(other) = object.keys().find(|key| *key != "HeaderParameters") {
        return Err(format!("HttpParameters.{other} is not supported: put the whole URL in the target's ARN."));
    }
    let mut headers = serde_json::Map::new();
    let given_headers = object.get("HeaderParameters").cloned().unwrap_or_else(|| json!({}));
    let Value::Object(given_headers) = given_headers else {
        return Err("HttpParameters.HeaderParameters is an object of header names to values.".into());
    };
    for (name, value) in given_headers {
        let Some(text) = value.as_str() else {
            return Err(format!("Header parameter {name:?} is not a string."));
        };
        let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !valid_name || text.contains(['\r', '\n']) {
            return Err(format!("Header parameter {name:?} is not a valid HTTP header."));
        }
        let stored = match name.eq_ignore_ascii_case(SIGNING_SECRET_HEADER) {
            true => seal(text)?,
            false => text.to_owned(),
        };
        headers.insert(name, Value::String(stored));
    }
    Ok(json!({ "HeaderParameters": headers }).to_string())
}

/// Opens a sealed signing secret.
pub type Unseal<'a> = dyn Fn(&str) -> Result<String, String> + 'a;

/// The stored headers, each `(name, value)`; `open` unseals the signing secret, `None` shows it
/// as `****` (what ListTargetsByRule says).
pub fn stored_headers(stored: &str, open: Option<&Unseal<'_>>) -> Result<Vec<(String, String)>, String> {
    let parsed: Value = serde_json::from_str(stored).map_err(|err| err.to_string())?;
    let mut headers = Vec::new();
    for (name, value) in parsed["HeaderParameters"].as_object().into_iter().flatten() {
        let text = value.as_str().unwrap_or_default();
        let value = match (name.eq_ignore_ascii_case(SIGNING_SECRET_HEADER), open) {
            (false, _) => text.to_owned(),
            (true, Some(open)) => open(text)?,
            (true, None) => "****".to_owned(),
        };
        headers.push((name.clone(), value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account { id: "000000000000".into(), region: "us-east-1".into() }
    }

    #[test]
    fn arns_name_pipelines_topics_and_webhooks() {
        let of = |arn: &str| TargetKind::of_arn(arn, &account());
        assert_eq!(
            of("arn:aws:codepipeline:us-east-1:000000000000:deploy"),
            Ok(TargetKind::Pipeline { name: "deploy".into() })
        );
        assert_eq!(of("arn:aws:sns:us-east-1:000000000000:alerts"), Ok(TargetKind::Topic { name: "alerts".into() }));
        assert_eq!(
            of("arn:aws:events:us-east-1:000000000000:api-destination/https://chat.example.com/hook?x=1"),
            Ok(TargetKind::Webhook { method: "POST".into(), url: "https://chat.example.com/hook?x=1".into() })
        );
        assert_eq!(
            of("arn:aws:events:us-east-1:000000000000:api-destination/PUT/http://127.0.0.1:9/h"),
            Ok(TargetKind::Webhook { method: "PUT".into(), url: "http://127.0.0.1:9/h".into() })
        );
        let on_aws = |service, region: &str, arn: &str| {
            TargetKind::Aws(AwsTarget { service, region: region.into(), arn: arn.into() })
        };
        let topic = "arn:aws:sns:eu-west-1:000000000000:alerts";
        assert_eq!(of(topic), Ok(on_aws(AwsService::Sns, "eu-west-1", topic)));
        let bus = "arn:aws:events:us-east-1:111111111111:event-bus/default";
        assert_eq!(of(bus), Ok(on_aws(AwsService::Events, "us-east-1", bus)));
    }

    #[test]
    fn other_arns_and_urls_are_refused_with_the_reason() {
        let of = |arn: &str| TargetKind::of_arn(arn, &account()).unwrap_err();
        assert!(of("arn:aws:events:us-east-1:000000000000:api-destination/ftp://x/y").contains("http://"));
        for metadata in ["http://169.254.169.254/latest", "http://[fe80::1]:80/x", "http://[::ffff:169.254.1.1]/"] {
            let refused = of(&format!("arn:aws:events:us-east-1:000000000000:api-destination/{metadata}"));
            assert!(refused.contains("link-local"), "{metadata}: {refused}");
        }
        assert!(of("arn:aws:events:us-east-1:000000000000:api-destination/file:///etc/passwd").contains("http://"));
        assert!(of("arn:aws:events:us-east-1:000000000000:api-destination/https:///path").contains("no host"));
        assert!(of("arn:aws:lambda:us-east-1:000000000000:function:f").contains("cannot deliver"));
        assert!(of("arn:aws:codepipeline:eu-west-1:000000000000:p").contains("region and account"));
        assert!(of("arn:aws:events:us-east-1:111111111111:rule/r").contains("region and account"));
        assert!(of("not-an-arn").contains("not an ARN"));
    }

    #[test]
    fn the_signing_secret_is_sealed_and_never_shown() {
        let given = json!({ "HeaderParameters": { "Authorization": "Bearer t", SIGNING_SECRET_HEADER: "s3cret" } });
        let stored = store_http_parameters(&given, |plain| Ok(format!("sealed({plain})"))).unwrap();
        assert!(!stored.contains("\"s3cret\""), "{stored}");
        let open = |sealed: &str| Ok(sealed.trim_start_matches("sealed(").trim_end_matches(')').to_owned());
        let opened = stored_headers(&stored, Some(&open)).unwrap();
        assert!(opened.contains(&(SIGNING_SECRET_HEADER.to_owned(), "s3cret".to_owned())), "{opened:?}");
        let shown = stored_headers(&stored, None).unwrap();
        assert!(shown.contains(&(SIGNING_SECRET_HEADER.to_owned(), "****".to_owned())));
        assert!(shown.contains(&("Authorization".to_owned(), "Bearer t".to_owned())));
        let refused = |given: Value| store_http_parameters(&given, |p| Ok(p.to_owned())).unwrap_err();
        assert!(refused(json!({ "QueryStringParameters": {} })).contains("not supported"));
        assert!(refused(json!({ "HeaderParameters": { "X": "a\r\nb" } })).contains("not a valid"));
    }

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
