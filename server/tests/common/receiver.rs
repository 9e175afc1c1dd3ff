//! A real HTTP receiver for webhook tests: an axum listener on 127.0.0.1 that keeps every request
//! it gets and answers with the status the test sets.
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    /// When it came, in ms since the epoch (for the notification benchmark).
    pub at_ms: i64,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens on a free port.
    pub async fn start() -> Receiver {
        Receiver::on(0).await
    }

    /// Listens on `port` (0 for any free one).
    pub async fn on(port: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("receiver port");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared { status: AtomicU16::new(200), ..Default::default() });
        let handler_shared = shared.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let shared = handler_shared.clone();
            async move {
                let body = String::from_utf8_lossy(&body).into_owned();
                let at_ms = engine::now_ms();
                shared.received.lock().unwrap().push(Received { at_ms, path: uri.to_string(), headers, body });
                let status = StatusCode::from_u16(shared.status.load(Ordering::SeqCst)).unwrap();
                (status, "thanks")
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver runs");
        });
        Receiver { port, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The status every later request is answered with.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have come (at most `within`), and returns them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n || tokio::time::Instant::now() >= deadline {
                assert!(received.len() >= n, "{} of {n} requests came within {within:?}", received.len());
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening: the port refuses connections from now on.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
