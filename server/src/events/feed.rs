//! One subscriber's view of the outbox: what it missed (from the store), then live events (from
//! the engine's broadcast), in id order, each once.
//!
//! The subscription is taken before the store is read, so an event committed in between is in
//! both; ids at or below the last one delivered are skipped. Within a pipeline events commit in id
//! order (the pipeline lock), so a pipeline's or execution's stream never skips one.
use engine::events::StoredEvent;
use engine::{Engine, EngineError};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// How many missed events are read from the store at a time.
const CATCH_UP_PAGE: i64 = 500;

/// Which events a stream carries.
#[derive(Debug, Clone)]
pub enum Filter {
    All,
    Pipeline(String),
    Execution(String),
    /// Manual approvals becoming pending and ending (answered, expired, abandoned...).
    Approvals,
}

pub struct Feed {
    engine: Engine,
    live: broadcast::Receiver<Arc<StoredEvent>>,
    filter: Filter,
    /// The newest id delivered or skipped by the filter.
    last_id: i64,
    missed: VecDeque<Arc<StoredEvent>>,
    caught_up: bool,
    /// Whether (pipeline, version, stage, action) is an approval, for the approvals filter.
    approval_actions: HashMap<(String, u32, String, String), bool>,
}

impl Feed {
    /// Subscribes now; the stream starts after `after`, or at the newest event when `None`.
    pub async fn subscribe(engine: Engine, filter: Filter, after: Option<i64>) -> Result<Feed, EngineError> {
        let live = engine.subscribe();
        let last_id = match after {
            Some(id) => id,
            None => engine.latest_event_id().await?,
        };
        Ok(Feed {
            engine,
            live,
            filter,
            last_id,
            missed: VecDeque::new(),
            caught_up: after.is_none(),
            approval_actions: HashMap::new(),
        })
    }

    /// The next event for this subscriber; `None` when the engine shuts down.
    pub async fn next(&mut self) -> Option<Result<Arc<StoredEvent>, EngineError>> {
        loop {
            let event = if let Some(event) = self.missed.pop_front() {
                event
            } else if !self.caught_up {
                match self.engine.events_after(self.last_id, CATCH_UP_PAGE).await {
                    Ok(page) => {
                        self.caught_up = (page.len() as i64) < CATCH_UP_PAGE;
                        self.missed.extend(page.into_iter().map(Arc::new));
                        continue;
                    }
                    Err(err) => return Some(Err(err)),
                }
            } else {
                match self.live.recv().await {
                    Ok(event) => event,
                    // Fell behind the broadcast buffer: what was dropped is in the store.
                    Err(RecvError::Lagged(_)) => {
                        self.caught_up = false;
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                }
            };
            if event.id <= self.last_id {
                continue;
            }
            self.last_id = event.id;
            if self.wants(&event).await {
                return Some(Ok(event));
            }
        }
    }

    async fn wants(&mut self, event: &StoredEvent) -> bool {
        if !event.is_pipeline_event() {
            return false;
        }
        match &self.filter {
            Filter::All => true,
            Filter::Pipeline(name) => event.pipeline_name == *name,
            Filter::Execution(id) => event.execution_id.as_deref() == Some(id.as_str()),
            Filter::Approvals => self.is_approval_event(event).await,
        }
    }

    async fn is_approval_event(&mut self, event: &StoredEvent) -> bool {
        if event.detail_type == engine::events::APPROVAL_PENDING_DETAIL {
            return true;
        }
        if event.detail_type != engine::events::ACTION_DETAIL {
            return false;
        }
        let detail = &event.body["detail"];
        let (Some(stage), Some(action), Some(version)) = (
            detail["stage"].as_str(),
            detail["action"].as_str(),
            detail["version"].as_u64().and_then(|v| u32::try_from(v).ok()),
        ) else {
            return false;
        };
        let key = (event.pipeline_name.clone(), version, stage.to_owned(), action.to_owned());
        if let Some(known) = self.approval_actions.get(&key) {
            return *known;
        }
        // A pipeline deleted since cannot have pending approvals any more.
        let is_approval = self.engine.is_approval_action(&key.0, version, stage, action).await.unwrap_or(false);
        self.approval_actions.insert(key, is_approval);
        is_approval
    }
}
