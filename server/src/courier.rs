//! The engine's courier: what notifications send over the network. Webhooks go out over HTTP or
//! HTTPS (rustls, the web PKI's roots) without following redirects, each with its own timeout.
use engine::notify::{Courier, HttpAnswer, HttpRequest};
use engine::providers::BoxFuture;

/// The most of an answer's body kept for the delivery log.
const ANSWER_BYTES: usize = 4096;

pub struct HttpCourier {
    client: reqwest::Client,
}

impl HttpCourier {
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            // A webhook that redirects is answered as it answered: no request goes where the
            // rule's author did not point it.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(HttpCourier { client })
    }

    async fn post(&self, request: &HttpRequest) -> Result<HttpAnswer, String> {
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
