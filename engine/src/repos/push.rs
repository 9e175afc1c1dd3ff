//! A push is an event: each branch or tag it created, moved or deleted is written to the outbox
//! as CodeCommit's EventBridge event (`aws.codecommit`, "CodeCommit Repository State Change"),
//! so rules can match it as on AWS, and the pipelines whose CodeCommit source watches that
//! branch without polling start with the pushed commit (see `triggers`).
use crate::store::events::{append_event, StoredEvent};
use crate::{now_ms, Engine, Principal, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const REPOSITORY_STATE_CHANGE: &str = "CodeCommit Repository State Change";

/// One reference a push changed; `old` is None for a new reference, `new` None for a deleted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The full name, `refs/heads/main` or `refs/tags/v1`.
    pub reference: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl RefUpdate {
    /// The branch name, for a branch.
    pub fn branch(&self) -> Option<&str> {
        self.reference.strip_prefix("refs/heads/")
    }

    /// `(referenceType, referenceName)` as CodeCommit's events name them.
    fn kind_and_name(&self) -> (&'static str, &str) {
        match (self.branch(), self.reference.strip_prefix("refs/tags/")) {
            (Some(branch), _) => ("branch", branch),
            (None, Some(tag)) => ("tag", tag),
            (None, None) => ("reference", &self.reference),
        }
    }

    fn event_name(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, _) => "referenceCreated",
            (_, None) => "referenceDeleted",
            _ => "referenceUpdated",
        }
    }
}

/// What changed between two snapshots of a repository's references, in name order.
pub fn ref_updates(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<RefUpdate> {
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (old, new) = (before.get(name), after.get(name));
            (old != new).then(|| RefUpdate { reference: name.clone(), old: old.cloned(), new: new.cloned() })
        })
        .collect()
}

impl Engine {
    /// The hosted git repositories.
    pub fn repositories(&self) -> &super::Repositories {
        &self.repos
    }

    /// Records a push to `repository` that made `updates`, by `pusher`: one outbox event per
    /// reference, in one transaction; then starts the pipelines that wait for such a push.
    pub async fn record_push(&self, repository: &str, updates: &[RefUpdate], pusher: Option<&Principal>) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let created = updates.iter().find(|u| u.old.is_none() && u.new.is_some()).and_then(RefUpdate::branch);
        if let Err(err) = self.repos.pushed(repository, created).await {
            tracing::warn!(%repository, error = %err, "could not update the repository's metadata after a push");
        }
        let repository_id = self.repos.get(repository).await.map(|r| r.id).unwrap_or_default();
        let now = now_ms();
        let mut tx = self.store.begin().await?;
        let mut stored = Vec::with_capacity(updates.len());
        for update in updates {
            let body = self.push_event(repository, &repository_id, update, pusher, now);
            let id = append_event(&mut tx, "", None, REPOSITORY_STATE_CHANGE, &body, now).await?;
            stored.push(Arc::new(StoredEvent::new(id, String::new(), None, REPOSITORY_STATE_CHANGE.into(), body)));
        }
        tx.commit().await?;
        for event in stored {
            let _ = self.runtime.events.send(event);
        }
        self.runtime.delivery_wake.notify_one();
        for update in updates {
            if let (Some(branch), Some(commit)) = (update.branch(), &update.new) {
                self.start_on_push(repository, branch, commit, pusher).await;
            }
        }
        Ok(())
    }

    /// CodeCommit's event for one reference, in EventBridge's envelope.
    fn push_event(
        &self,
        repository: &str,
        repository_id: &str,
        update: &RefUpdate,
        pusher: Option<&Principal>,
        now: i64,
    ) -> Value {
        let (reference_type, reference_name) = update.kind_and_name();
        let mut detail = json!({
            "event": update.event_name(),
            "repositoryName": repository,
            "repositoryId": repository_id,
            "referenceType": reference_type,
            "referenceName": reference_name,
            "referenceFullName": update.reference,
        });
        if let Some(new) = &update.new {
            detail["commitId"] = json!(new);
        }
        if let Some(old) = &update.old {
            detail["oldCommitId"] = json!(old);
        }
        if let Some(pusher) = pusher {
            detail["callerUserArn"] = json!(pusher.arn);
        }
        json!({
            "version": "0",
            "detail-type": REPOSITORY_STATE_CHANGE,
            "source": "aws.codecommit",
            "account": self.account.id,
            "time": model::time::rfc3339(now),
            "region": self.account.region,
            "resources": [self.account.repository_arn(repository)],
            "detail": detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_what_changed() {
        let map = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let before = map(&[("refs/heads/main", "a"), ("refs/heads/old", "b"), ("refs/tags/v1", "c")]);
        let after = map(&[("refs/heads/main", "d"), ("refs/heads/new", "e"), ("refs/tags/v1", "c")]);
        let updates = ref_updates(&before, &after);
        let events: Vec<_> = updates.iter().map(|u| (u.reference.as_str(), u.event_name())).collect();
        assert_eq!(
            events,
            [
                ("refs/heads/main", "referenceUpdated"),
                ("refs/heads/new", "referenceCreated"),
                ("refs/heads/old", "referenceDeleted")
            ]
        );
        assert_eq!(updates[1].kind_and_name(), ("branch", "new"));
        let tag = RefUpdate { reference: "refs/tags/v2".into(), old: None, new: Some("f".into()) };
        assert_eq!(tag.kind_and_name(), ("tag", "v2"));
        assert_eq!(tag.branch(), None);
    }
}
