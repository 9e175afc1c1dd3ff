//! PutEvents: events a client sends to the default bus. They go to the outbox beside Sluice's own
//! and are matched against the same rules, so a script can notify a team or start a pipeline the
//! way a failed run does. They belong to no pipeline, so no live view shows them.
use crate::{now_ms, Engine, Result};
use serde_json::{json, Value};
use std::sync::Arc;

/// AWS's limit on entries per PutEvents call.
pub const MAX_ENTRIES: usize = 10;
/// AWS's limit on a call's total entry size.
pub const MAX_BYTES: usize = 256 * 1024;

/// One PutEvents entry as the client gave it.
#[derive(Debug, Clone, Default)]
pub struct CustomEvent {
    pub source: Option<String>,
    pub detail_type: Option<String>,
    /// A JSON object, as text.
    pub detail: Option<String>,
    pub resources: Vec<String>,
    /// When the event happened; now when not given.
    pub time_ms: Option<i64>,
}

/// What became of one entry: its event id, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryResult {
    Accepted(String),
    Refused { why: EntryRefusal, message: String },
}

/// Why an entry was refused; the API names each as AWS does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRefusal {
    /// Source, DetailType or Detail is missing.
    MissingField,
    /// The source starts with `aws.`: only AWS's own services (and Sluice) send those.
    ReservedSource,
    /// Detail is not a JSON object.
    MalformedDetail,
}

impl CustomEvent {
    /// The entry's size as AWS counts it: the UTF-8 bytes of its text fields.
    pub fn size(&self) -> usize {
        let text = [&self.source, &self.detail_type, &self.detail];
        text.iter().map(|field| field.as_deref().map_or(0, str::len)).sum::<usize>()
            + self.resources.iter().map(String::len).sum::<usize>()
    }

    /// The envelope rules match, or why AWS would refuse the entry.
    fn envelope(&self, account: &crate::Account, now: i64) -> std::result::Result<(String, Value), EntryResult> {
        let refused = |why, message: &str| EntryResult::Refused { why, message: message.to_owned() };
        let (Some(source), Some(detail_type), Some(detail)) = (&self.source, &self.detail_type, &self.detail) else {
            return Err(refused(
                EntryRefusal::MissingField,
                "Parameters Source, DetailType and Detail must be specified.",
            ));
        };
        if source.starts_with("aws.") {
            return Err(refused(EntryRefusal::ReservedSource, "Not authorized for the source."));
        }
        let detail: Value = match serde_json::from_str(detail) {
            Ok(detail @ Value::Object(_)) => detail,
            _ => return Err(refused(EntryRefusal::MalformedDetail, "Detail is malformed: it must be a JSON object.")),
        };
        let body = json!({
            "version": "0",
            "detail-type": detail_type,
            "source": source,
            "account": account.id,
            "time": model::time::rfc3339(self.time_ms.unwrap_or(now)),
            "region": account.region,
            "resources": self.resources,
            "detail": detail,
        });
        Ok((detail_type.clone(), body))
    }
}

impl Engine {
    /// Stores the entries that are well formed, in one transaction, and answers each entry's fate
    /// in the order given. The caller checks the entry count and total size first.
    pub async fn put_events(&self, entries: &[CustomEvent]) -> Result<Vec<EntryResult>> {
        let now = now_ms();
        let checked: Vec<_> = entries.iter().map(|entry| entry.envelope(self.account(), now)).collect();
        let accepted: Vec<(String, Value)> = checked.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
        let mut stored = self.store.append_events(&accepted, now).await?.into_iter();
        let mut results = Vec::with_capacity(entries.len());
        for outcome in checked {
            results.push(match outcome {
                Ok(_) => {
                    let event = stored.next().expect("one stored event per accepted entry");
                    let id = event.id.to_string();
                    let _ = self.runtime.events.send(Arc::new(event));
                    EntryResult::Accepted(id)
                }
                Err(refused) => refused,
            });
        }
        Ok(results)
    }
}
