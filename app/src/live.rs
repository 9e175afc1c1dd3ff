//! Live pages: `live_ticks(url)` is a counter that goes up whenever the server pushes an event on
//! the SSE stream at `url`; a page refetches its state when it changes. Refetching whole state
//! (rather than applying events) means a reconnect catches up with nothing missed: every
//! (re)opened stream bumps the counter once. The browser's EventSource reconnects by itself
//! after a dropped connection (sending Last-Event-ID), but gives up for good after an error
//! answer (a proxy's 502, say); the poll then opens a new one. While the stream is silent (no
//! event for a poll interval, say behind a proxy that buffers) the counter still goes up every
//! interval, so the page falls back to polling. On the server the counter never moves.
//!
//! What a live view shows is fetched by the browser (`LocalResource`), never rendered on the
//! server: it changes while the page loads, and hydrating a server-rendered copy older than the
//! browser's first fetch fails (the page freezes with "expected a marker node").
use leptos::prelude::*;

/// The approval inbox's event stream (the inbox page and the header's count follow it).
pub const APPROVAL_EVENTS: &str = "/api/v1/approvals/events";

/// How often a silent stream is replaced by a poll.
#[cfg(feature = "hydrate")]
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

pub fn live_ticks(url: String) -> ReadSignal<u64> {
    let (ticks, set_ticks) = signal(0u64);
    #[cfg(feature = "hydrate")]
    browser::follow(url, set_ticks);
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, set_ticks);
    ticks
}

/// A counter that goes up every `period` in the browser, for state no event stream announces
/// (a CodeBuild build's phases); on the server it never moves.
pub fn poll_ticks(period: std::time::Duration) -> ReadSignal<u64> {
    let (ticks, set_ticks) = signal(0u64);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(move || set_ticks.update(|n| *n += 1), period).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (period, set_ticks);
    ticks
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::POLL;
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    /// One page's event stream and the handlers every EventSource opened for it shares.
    struct Stream {
        url: String,
        source: RefCell<Option<EventSource>>,
        on_message: Closure<dyn FnMut()>,
        on_open: Closure<dyn FnMut()>,
    }

    impl Stream {
        /// Opens the stream unless it is open or the browser is reconnecting it.
        fn open_unless_alive(&self) {
            let mut source = self.source.borrow_mut();
            if source.as_ref().is_some_and(|s| s.ready_state() != EventSource::CLOSED) {
                return;
            }
            *source = EventSource::new(&self.url).ok();
            if let Some(source) = source.as_ref() {
                source.set_onmessage(Some(self.on_message.as_ref().unchecked_ref()));
                source.set_onopen(Some(self.on_open.as_ref().unchecked_ref()));
            }
        }

        fn close(&self) {
            if let Some(source) = self.source.borrow().as_ref() {
                source.close();
            }
        }
    }

    pub fn follow(url: String, set_ticks: WriteSignal<u64>) {
        let bump = move || set_ticks.update(|n| *n += 1);
        let heard = Rc::new(Cell::new(false));
        let on_message = {
            let heard = heard.clone();
            Closure::<dyn FnMut()>::new(move || {
                heard.set(true);
                bump();
            })
        };
        // A (re)opened stream may follow a gap: refetch once to catch up.
        let on_open = Closure::<dyn FnMut()>::new(bump);
        let stream = Rc::new(Stream { url, source: RefCell::new(None), on_message, on_open });
        stream.open_unless_alive();
        let poll = {
            let stream = stream.clone();
            set_interval_with_handle(
                move || {
                    stream.open_unless_alive();
                    if !heard.replace(false) {
                        bump();
                    }
                },
                POLL,
            )
            .ok()
        };
        let kept = StoredValue::new_local(stream);
        on_cleanup(move || {
            if let Some(poll) = poll {
                poll.clear();
            }
            kept.with_value(|stream| stream.close());
        });
    }

    pub fn follow_log(url: String, set_lines: WriteSignal<Vec<(i64, String)>>) {
        let Ok(source) = EventSource::new(&url) else { return };
        let on_line = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else { return };
            let Ok(line) = serde_json::from_str::<serde_json::Value>(&data) else { return };
            if let (Some(n), Some(text)) = (line["n"].as_i64(), line["text"].as_str()) {
                set_lines.update(|lines| super::insert_line(lines, n, text));
            }
        });
        // Without this the browser would reconnect after the server closes a finished log.
        let on_end = {
            let source = source.clone();
            Closure::<dyn FnMut()>::new(move || source.close())
        };
        source.set_onmessage(Some(on_line.as_ref().unchecked_ref()));
        let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
        let kept = StoredValue::new_local((source, on_line, on_end));
        on_cleanup(move || kept.with_value(|(source, _, _)| source.close()));
    }
}

/// Adds line `n` where its number puts it, once: a reconnected stream may send a line again, and
/// the log must read in the order it was written whatever order lines arrive in.
pub fn insert_line(lines: &mut Vec<(i64, String)>, n: i64, text: &str) {
    match lines.last() {
        Some((last, _)) if *last >= n => {
            if let Err(at) = lines.binary_search_by_key(&n, |(k, _)| *k) {
                lines.insert(at, (n, text.to_owned()));
            }
        }
        _ => lines.push((n, text.to_owned())),
    }
}

/// The lines of an action's log as they arrive (`(number, text)`), from its SSE stream at `url`;
/// the stream ends by itself once the action has finished. Empty on the server.
pub fn live_log(url: String) -> ReadSignal<Vec<(i64, String)>> {
    let (lines, set_lines) = signal(Vec::new());
    #[cfg(feature = "hydrate")]
    browser::follow_log(url, set_lines);
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, set_lines);
    lines
}

#[cfg(test)]
mod tests {
    use super::insert_line;

    #[test]
    fn lines_stay_in_order_and_once() {
        let mut lines = Vec::new();
        for (n, text) in [(1, "a"), (3, "c"), (2, "b"), (3, "c"), (4, "d"), (1, "a")] {
            insert_line(&mut lines, n, text);
        }
        let numbers: Vec<i64> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(lines[1].1, "b");
    }
}
