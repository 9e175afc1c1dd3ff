//! A minimal server-sent events reader over reqwest, for tests and the SSE benchmark: it reads
//! the raw stream, so it sees exactly the ids, event names and data the server sends.
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }

    pub fn id_number(&self) -> i64 {
        self.id.as_deref().expect("event has an id").parse().expect("numeric id")
    }
}

pub struct SseStream {
    pub response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    /// Opens `url` signed as `key`, resuming after `last_event_id` when given, and checks it is an event stream.
    pub async fn open(url: &str, key: &(String, String), last_event_id: Option<i64>) -> SseStream {
        let mut request =
            super::signed_http(reqwest::Method::GET, url, key, Vec::new()).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        SseStream::send(request).await
    }

    /// Sends `request` (a browser's, say, with its session cookie) and checks it is an event stream.
    pub async fn send(request: reqwest::RequestBuilder) -> SseStream {
        let response = request.send().await.expect("server answers");
        assert_eq!(response.status(), 200, "{} answered {}", response.url(), response.status());
        SseStream { response, buffer: String::new() }
    }

    /// True if the server ends the stream within `wait` (events before the end are skipped).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }

    /// The next event (comments such as heartbeats skipped), or `None` if none came in `wait`
    /// or the stream ended.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(event) = self.take_event() {
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.expect("stream reads")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event, failing the test if none comes within 20 s.
    pub async fn next(&mut self) -> SseEvent {
        self.next_within(Duration::from_secs(20)).await.expect("an event within 20 s")
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buffer.find("\n\n")?;
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut event = SseEvent { id: None, event: None, data: String::new() };
            let mut has_field = false;
            for line in block.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "" => continue,
                    "id" => event.id = Some(value.to_owned()),
                    "event" => event.event = Some(value.to_owned()),
                    "data" => {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(value);
                    }
                    _ => {}
                }
                has_field = true;
            }
            if has_field {
                return Some(event);
            }
        }
    }
}
