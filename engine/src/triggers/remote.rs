//! Branch heads on outside hosts, for the CodeStarSourceConnection sources that detect changes.
//! `git ls-remote` can take seconds, or hang on a host that is down, so it never runs inside the
//! sweep: each poll reads the heads the last round of look-ups found and, unless a round is still
//! running, starts the next one in the background (one `git ls-remote` per watched branch per
//! round, at most one round per poll). A new head is thus seen one poll late.
use super::{Sighting, SourceKind, Watched};
use crate::{Engine, Result};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The longest one look-up may take; a host slower than that counts as unknown this round.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// What one node knows of the remote branches it watches.
#[derive(Default)]
struct RemoteHeads {
    /// A branch's head, None when the branch does not exist; absent when the last look-up failed
    /// (a pending connection, an unreachable host), which says nothing about the branch.
    heads: HashMap<SourceKind, Option<String>>,
    refreshing: bool,
}

/// Per node (keyed by its id), beside the engine, as `poll_due` keeps its clock.
fn rounds() -> &'static Mutex<HashMap<String, RemoteHeads>> {
    static ROUNDS: OnceLock<Mutex<HashMap<String, RemoteHeads>>> = OnceLock::new();
    ROUNDS.get_or_init(Mutex::default)
}

impl Engine {
    /// The heads the last round found for `watched` (connection sources only), and a new round
    /// started in the background unless one is running.
    pub(super) fn remote_sightings(&self, watched: Vec<SourceKind>) -> HashMap<SourceKind, Option<Sighting>> {
        let mut rounds = rounds().lock().unwrap_or_else(|e| e.into_inner());
        let known = rounds.entry(self.runtime.node_id.clone()).or_default();
        let found = watched
            .iter()
            .filter_map(|kind| {
                let head = known.heads.get(kind)?.clone();
                let sighting =
                    head.map(|commit| Sighting { revision_id: commit, revision_change_id: None, made_by: None });
                Some((kind.clone(), sighting))
            })
            .collect();
        if !known.refreshing && !watched.is_empty() {
            known.refreshing = true;
            tokio::spawn(self.clone().look_up_remote_heads(watched));
        }
        found
    }

    /// The commit the source action's newest run took, if it got that far (its external
    /// execution id is the commit).
    pub(super) async fn last_run_commit(&self, source: &Watched) -> Result<Option<String>> {
        let mut conn = self.store.conn().await?;
        let run = crate::store::actions::latest_action_runs(&mut conn, &source.pipeline, &source.stage, &source.action)
            .await?;
        let commit = run.and_then(|run| run.external_execution_id);
        Ok(commit.filter(|id| crate::repos::names::check_commit_id(id).is_ok()))
    }

    /// One round: every branch looked up at once, each within `LOOKUP_TIMEOUT`.
    async fn look_up_remote_heads(self, watched: Vec<SourceKind>) {
        let mut lookups = tokio::task::JoinSet::new();
        for kind in watched {
            let SourceKind::Connection { arn, repository, branch } = &kind else { continue };
            let (connections, arn, repository, branch) =
                (self.connections(), arn.clone(), repository.clone(), branch.clone());
            lookups.spawn(async move {
                let lookup = async {
                    let remote = connections.remote(&arn, &repository).await?;
                    remote.branch_head(&branch).await
                };
                match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
                    Ok(Ok(head)) => (kind, Some(head)),
                    Ok(Err(err)) => {
                        tracing::debug!(%arn, %repository, %branch, error = %err, "a remote branch could not be looked up");
                        (kind, None)
                    }
                    Err(_) => (kind, None),
                }
            });
        }
        let mut heads = HashMap::new();
        while let Some(done) = lookups.join_next().await {
            if let Ok((kind, Some(head))) = done {
                heads.insert(kind, head);
            }
        }
        let mut rounds = rounds().lock().unwrap_or_else(|e| e.into_inner());
        let known = rounds.entry(self.runtime.node_id.clone()).or_default();
        known.heads = heads;
        known.refreshing = false;
    }
}
