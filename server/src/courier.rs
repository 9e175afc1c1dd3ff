//! The engine's courier: what notifications send over the network. Webhooks go out over HTTP or
//! HTTPS (rustls, the web PKI's roots) without following redirects, each with its own timeout;
//! e-mails through the configured SMTP server (lettre: plain, STARTTLS or TLS, with AUTH); calls
//! to AWS signed with SigV4 and the server's AWS credentials.
use crate::config::{AwsArgs, NotifyArgs};
use anyhow::Context;
use engine::notify::targets::is_link_local;
use engine::notify::{AwsCall, Courier, HttpAnswer, HttpRequest, Mail};
use engine::providers::BoxFuture;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The most of an answer's body kept for the delivery log.
const ANSWER_BYTES: usize = 4096;

pub struct HttpCourier {
    client: reqwest::Client,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    aws: AwsArgs,
}

impl HttpCourier {
    pub fn new(notify: &NotifyArgs) -> anyhow::Result<Self> {
        let smtp = match &notify.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("--smtp-url is not an smtp:// or smtps:// URL")?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let from = notify
            .mail_from
            .parse()
            .with_context(|| format!("--mail-from {:?} is not an address", notify.mail_from))?;
        let client = reqwest::Client::builder()
            // A webhook that redirects is answered as it answered: no request goes where the
            // rule's author did not point it.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(NoLinkLocal))
            .build()?;
        Ok(HttpCourier { client, smtp, from, aws: notify.aws.clone() })
    }

    /// Signs the call as the AWS SDKs do (SigV4, the service's own name) and sends it.
    async fn call_aws(&self, call: &AwsCall) -> Result<HttpAnswer, String> {
        let (Some(key_id), Some(secret)) = (&self.aws.aws_access_key_id, &self.aws.aws_secret_access_key) else {
            return Err("no AWS credentials are configured (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)".into());
        };
        let service = call.service.signing_name();
        let url = format!("{}/", self.aws.endpoint(service, &call.region));
        let host = reqwest::Url::parse(&url).map_err(|err| format!("{url:?}: {err}"))?;
        let host = match host.port() {
            Some(port) => format!("{}:{port}", host.host_str().unwrap_or_default()),
            None => host.host_str().unwrap_or_default().to_owned(),
        };
        let content_type = match call.target {
            Some(_) => "application/x-amz-json-1.1",
            None => "application/x-www-form-urlencoded; charset=utf-8",
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut headers = vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("host".to_owned(), host),
            ("x-amz-date".to_owned(), crate::auth::sigv4::format_amz_date(now as i64)),
        ];
        if let Some(target) = &call.target {
            headers.push(("x-amz-target".to_owned(), target.clone()));
        }
        if let Some(token) = &self.aws.aws_session_token {
            headers.push(("x-amz-security-token".to_owned(), token.expose().to_owned()));
        }
        let mut map = axum::http::HeaderMap::new();
        for (name, value) in &headers {
            let (Ok(name), Ok(value)) = (name.parse::<axum::http::HeaderName>(), value.parse()) else {
                return Err(format!("the header {name} cannot be sent"));
            };
            map.insert(name, value);
        }
        let request = crate::auth::sigv4::SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &map,
            body: call.body.as_bytes(),
        };
        let signed: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        let authorization = crate::auth::sigv4::service_authorization_header(
            service,
            key_id,
            secret.expose(),
            &call.region,
            &request,
            &signed,
        );
        headers.push(("authorization".to_owned(), authorization));
        headers.retain(|(name, _)| name != "host"); // reqwest writes it from the URL
        let http = HttpRequest { method: "POST".into(), url, headers, body: call.body.clone(), timeout: call.timeout };
        self.post(&http).await
    }

    async fn send_mail(&self, mail: &Mail) -> Result<String, String> {
        let Some(smtp) = &self.smtp else {
            return Err("no SMTP server is configured (--smtp-url / SLUICE_SMTP_URL)".into());
        };
        let to: Mailbox = mail.to.parse().map_err(|err| format!("{:?} is not an address: {err}", mail.to))?;
        let builder = Message::builder().from(self.from.clone()).to(to).subject(&mail.subject);
        let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone());
        let message = match &mail.html {
            Some(html) => {
                let html = SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone());
                builder.multipart(MultiPart::alternative().singlepart(text).singlepart(html))
            }
            None => builder.singlepart(text),
        }
        .map_err(|err| err.to_string())?;
        let answer = smtp.send(message).await.map_err(|err| format!("the mail server refused: {err}"))?;
        Ok(format!("{} {}", answer.code(), answer.message().collect::<Vec<_>>().join(" ")))
    }

    async fn post(&self, request: &HttpRequest) -> Result<HttpAnswer, String> {
        // A literal address skips the resolver; the URL parser also reads forms such as
        // `http://2852039166/`, which PutTargets' check does not.
        let url = reqwest::Url::parse(&request.url).map_err(|err| format!("{:?}: {err}", request.url))?;
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if host.parse().is_ok_and(is_link_local) {
            return Err(format!("{} is a link-local address; nothing is sent there", request.url));
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|err| err.to_string())?;
        let mut builder = self.client.request(method, &request.url).timeout(request.timeout).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(ANSWER_BYTES);
        Ok(HttpAnswer { status, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

impl Courier for HttpCourier {
    fn send<'a>(&'a self, request: &'a HttpRequest) -> BoxFuture<'a, Result<HttpAnswer, String>> {
        Box::pin(self.post(request))
    }

    fn mail<'a>(&'a self, mail: &'a Mail) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(self.send_mail(mail))
    }

    fn aws<'a>(&'a self, call: &'a AwsCall) -> BoxFuture<'a, Result<HttpAnswer, String>> {
        Box::pin(self.call_aws(call))
    }
}

/// The error with its causes: reqwest's own text alone rarely says what happened.
fn describe(err: reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Resolves names as the system does, without the link-local addresses (instance metadata) a
/// webhook's name might point at.
struct NoLinkLocal;

impl reqwest::dns::Resolve for NoLinkLocal {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<std::net::SocketAddr> = found.filter(|addr| !is_link_local(addr.ip())).collect();
            if allowed.is_empty() {
                let why = format!("{} resolves only to link-local addresses; nothing is sent there", name.as_str());
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling of the metadata address is refused before anything is sent, and a name
    /// that resolves only to link-local addresses fails at resolution.
    #[tokio::test]
    async fn nothing_is_sent_to_link_local_addresses() {
        let courier = HttpCourier::new(&NotifyArgs::default()).expect("courier");
        let send = |url: &str| HttpRequest {
            method: "POST".into(),
            url: url.into(),
            headers: Vec::new(),
            body: "{}".into(),
            timeout: std::time::Duration::from_secs(2),
        };
        for url in ["http://169.254.169.254/latest/", "http://2852039166/", "http://0xa9fea9fe/", "http://[fe80::1]/"] {
            let refused = courier.post(&send(url)).await.expect_err(url);
            assert!(refused.contains("link-local"), "{url}: {refused}");
        }
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let found: Vec<_> =
            reqwest::dns::Resolve::resolve(&NoLinkLocal, name).await.expect("localhost resolves").collect();
        assert!(found.iter().all(|addr| addr.ip().is_loopback()), "{found:?}");
    }
}
