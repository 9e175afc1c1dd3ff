//! Change detection: source revisions that start executions. S3 and CodeCommit sources are
//! polled (CodePipeline's `PollForSourceChanges`, on unless set to "false"), and so are
//! CodeStarSourceConnection sources with `DetectChanges` (`remote`); a push to a hosted
//! repository starts the CodeCommit sources that do not poll (`push`); any source action can be
//! told of a revision with PutActionRevision (`revision`). All of them record the revision in `source_poll`,
//! so a revision starts at most one execution whichever way it arrives and however many replicas
//! poll.
mod push;
mod remote;
mod revision;

pub use revision::{ActionRevision, PutRevisionOutcome};

use crate::now_ms;
use crate::runs::SourceRevisionOverride;
use crate::store::sources::{LatestObject, PipelineHead, SourcePollRow};
use crate::{Engine, EngineError, Principal, Result, StartRequest};
use model::{ActionCategory, ActionDeclaration, ActionOwner, PipelineDeclaration, TriggerType};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Polling reads every pipeline's sources; once a second is plenty, however fast the sweep runs.
/// A little under a second, so a 1 s sweep whose ticks jitter still polls on every tick.
const POLL_EVERY: Duration = Duration::from_millis(900);

/// What a source action watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SourceKind {
    S3 {
        bucket: String,
        key: String,
    },
    CodeCommit {
        repository: String,
        branch: String,
    },
    /// A branch on an outside host, through the connection `arn`.
    Connection {
        arn: String,
        repository: String,
        branch: String,
    },
}

impl SourceKind {
    /// The source an action declares, for the providers whose changes Sluice detects.
    fn of(action: &ActionDeclaration) -> Option<SourceKind> {
        let id = &action.action_type_id;
        if id.category != ActionCategory::Source || id.owner != ActionOwner::Aws {
            return None;
        }
        let setting = |key: &str| action.configuration.get(key).cloned();
        match id.provider.as_str() {
            "S3" => Some(SourceKind::S3 { bucket: setting("S3Bucket")?, key: setting("S3ObjectKey")? }),
            "CodeCommit" => {
                Some(SourceKind::CodeCommit { repository: setting("RepositoryName")?, branch: setting("BranchName")? })
            }
            "CodeStarSourceConnection" => Some(SourceKind::Connection {
                arn: setting("ConnectionArn")?,
                repository: setting("FullRepositoryId")?,
                branch: setting("BranchName")?,
            }),
            _ => None,
        }
    }

    /// As recorded in `source_poll.source`.
    fn location(&self) -> String {
        match self {
            SourceKind::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
            SourceKind::CodeCommit { repository, branch } => format!("codecommit://{repository}/{branch}"),
            SourceKind::Connection { arn, repository, branch } => format!("{arn}/{repository}/{branch}"),
        }
    }

    fn provider(&self) -> &'static str {
        match self {
            SourceKind::S3 { .. } => "S3",
            SourceKind::CodeCommit { .. } => "CodeCommit",
            SourceKind::Connection { .. } => "CodeStarSourceConnection",
        }
    }

    /// How a trigger detail names a revision of it.
    fn revision_word(&self) -> &'static str {
        match self {
            SourceKind::S3 { .. } => "version",
            SourceKind::CodeCommit { .. } | SourceKind::Connection { .. } => "commit",
        }
    }
}

/// One watched source: a source action of a pipeline's latest version.
struct Watched {
    pipeline: String,
    pipeline_created_ms: i64,
    /// When the pipeline's latest version was saved.
    pipeline_updated_ms: i64,
    stage: String,
    action: String,
    kind: SourceKind,
    polls: bool,
}

/// What a source holds now: its newest revision.
#[derive(Debug, Clone)]
struct Sighting {
    revision_id: String,
    revision_change_id: Option<String>,
    /// The user who made it (uploaded the object, pushed the commit), when known.
    made_by: Option<String>,
}

impl From<&LatestObject> for Sighting {
    fn from(object: &LatestObject) -> Self {
        Sighting {
            revision_id: object.version_id.clone(),
            revision_change_id: Some(object.etag.clone()),
            made_by: object.created_by.clone(),
        }
    }
}

/// How a revision came to be noticed.
#[derive(Clone, Copy)]
enum Noticed {
    /// A poll found it.
    Poll,
    /// A push to a hosted repository announced it.
    Push,
}

/// What a source action watches, as recorded in `source_poll.source` ('' for other providers).
fn watched_source(action: &ActionDeclaration) -> String {
    SourceKind::of(action).map(|kind| kind.location()).unwrap_or_default()
}

/// CodePipeline's default is to poll (a connection source: to detect changes); only an explicit
/// "false" turns it off.
fn polls(action: &ActionDeclaration) -> bool {
    let setting = match action.action_type_id.provider.as_str() {
        "CodeStarSourceConnection" => "DetectChanges",
        _ => "PollForSourceChanges",
    };
    action.configuration.get(setting).is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"))
}

/// The watched sources of a pipeline's latest version. Source actions live in the first stage
/// only, so that is the only place to look.
fn watched_sources(head: &PipelineHead, decl: &PipelineDeclaration) -> Vec<Watched> {
    let Some(stage) = decl.stages.first() else { return Vec::new() };
    stage
        .actions
        .iter()
        .filter_map(|a| {
            Some(Watched {
                pipeline: head.name.clone(),
                pipeline_created_ms: head.created_ms,
                pipeline_updated_ms: head.updated_ms,
                stage: stage.name.clone(),
                action: a.name.clone(),
                kind: SourceKind::of(a)?,
                // A trigger on the action replaces change detection: its webhook starts it.
                polls: polls(a) && !decl.triggers.iter().any(|t| t.git_configuration.source_action_name == a.name),
            })
        })
        .collect()
}

/// A row left by a deleted pipeline of the same name, or recorded while the action watched
/// something else, says nothing about the current source.
fn is_current(row: &SourcePollRow, source: &str, pipeline_created_ms: i64) -> bool {
    row.source == source && row.updated_ms >= pipeline_created_ms
}

impl Engine {
    /// Whether this engine's last poll is at least `POLL_EVERY` ago; if so, this call counts as one.
    /// Kept beside the engine (keyed by its node id) rather than in it, so the runtime stays as is.
    fn poll_due(&self) -> bool {
        static LAST: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();
        let mut last = LAST.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match last.get(&self.runtime.node_id) {
            Some(at) if now.duration_since(*at) < POLL_EVERY => false,
            _ => {
                last.insert(self.runtime.node_id.clone(), now);
                true
            }
        }
    }

    /// Every watched source of every pipeline's latest version.
    async fn all_watched_sources(&self) -> Result<Vec<Watched>> {
        let mut watched = Vec::new();
        for head in self.store.pipeline_heads().await? {
            match self.declaration(&head.name, head.latest_version).await {
                Ok(decl) => watched.extend(watched_sources(&head, &decl)),
                // Deleted or updated since the list was read: the next look sees it as it is.
                Err(EngineError::PipelineNotFound(_) | EngineError::VersionNotFound { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(watched)
    }

    /// One poll of every pipeline's polled sources: a new latest version of an S3 object, or a
    /// new head of a CodeCommit branch, starts an execution (trigger PollForSourceChanges). A
    /// source seen for the first time is compared with the version (or head) that was current
    /// when the pipeline was saved, which CreatePipeline's run took, so it does not run twice.
    /// Three queries however many pipelines, plus a declaration read when a pipeline changed,
    /// one query (or `git`) per source seen for the first time and one `git` per watched branch.
    pub(crate) async fn poll_sources(&self) -> Result<()> {
        if !self.poll_due() {
            return Ok(());
        }
        let watched: Vec<Watched> = self.all_watched_sources().await?.into_iter().filter(|w| w.polls).collect();
        if watched.is_empty() {
            return Ok(());
        }
        let mut seen: HashMap<(String, String, String), SourcePollRow> = HashMap::new();
        for row in self.store.source_polls().await? {
            seen.insert((row.pipeline_name.clone(), row.stage_name.clone(), row.action_name.clone()), row);
        }
        let current = self.sightings(&watched).await?;
        for source in &watched {
            let previous = seen.get(&(source.pipeline.clone(), source.stage.clone(), source.action.clone()));
            // A remote branch not looked up yet (or whose host did not answer) is not a missing one.
            if !current.contains_key(&source.kind) && matches!(source.kind, SourceKind::Connection { .. }) {
                continue;
            }
            let sighting = current.get(&source.kind).cloned().flatten();
            if let Err(err) = self.notice(source, previous, sighting, Noticed::Poll, None).await {
                // One pipeline's trouble must not stop the others from being polled.
                tracing::warn!(pipeline = %source.pipeline, action = %source.action, error = %err, "source poll failed");
            }
        }
        Ok(())
    }

    /// The newest revision of each watched source, each source looked up once: S3 objects in a
    /// few queries, branches with one `git` each (a missing repository or branch has none),
    /// branches on outside hosts as the last background round found them (absent when unknown).
    async fn sightings(&self, watched: &[Watched]) -> Result<HashMap<SourceKind, Option<Sighting>>> {
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut current = HashMap::new();
        let mut remote: Vec<SourceKind> = Vec::new();
        for source in watched {
            match &source.kind {
                SourceKind::Connection { .. } if !remote.contains(&source.kind) => remote.push(source.kind.clone()),
                SourceKind::Connection { .. } => {}
                SourceKind::S3 { bucket, key } => keys.push((bucket.clone(), key.clone())),
                SourceKind::CodeCommit { repository, branch } if !current.contains_key(&source.kind) => {
                    let head = self.repos.branch_head(repository, branch).await.ok();
                    let sighting =
                        head.map(|commit| Sighting { revision_id: commit, revision_change_id: None, made_by: None });
                    current.insert(source.kind.clone(), sighting);
                }
                SourceKind::CodeCommit { .. } => {}
            }
        }
        current.extend(self.remote_sightings(remote));
        keys.sort();
        keys.dedup();
        if !keys.is_empty() {
            for object in self.store.latest_object_versions(&keys).await? {
                let kind = SourceKind::S3 { bucket: object.bucket.clone(), key: object.key.clone() };
                current.insert(kind, Some(Sighting::from(&object)));
            }
        }
        Ok(current)
    }

    /// Records what a source holds now and, if it is a revision not seen before, starts an
    /// execution with it; `pusher` is who pushed it, for `Noticed::Push`. The compare-and-set on
    /// `source_poll` lets only one of several noticers (replicas, a poll and a push) start it.
    async fn notice(
        &self,
        source: &Watched,
        previous: Option<&SourcePollRow>,
        current: Option<Sighting>,
        noticed: Noticed,
        pusher: Option<&Principal>,
    ) -> Result<()> {
        let revision_id = current.as_ref().map(|c| c.revision_id.clone()).unwrap_or_default();
        let row = SourcePollRow {
            pipeline_name: source.pipeline.clone(),
            stage_name: source.stage.clone(),
            action_name: source.action.clone(),
            source: source.kind.location(),
            revision_id: revision_id.clone(),
            revision_change_id: current.as_ref().and_then(|c| c.revision_change_id.clone()),
            execution_id: None,
            updated_ms: now_ms(),
        };
        let known = previous.filter(|old| is_current(old, &row.source, source.pipeline_created_ms));
        let last_seen = match (known, &source.kind, noticed) {
            (Some(old), _, _) => old.revision_id.clone(),
            // First sighting: the version that was the latest when this declaration was saved is
            // the one CreatePipeline's run took; only a newer one is a change.
            (None, SourceKind::S3 { bucket, key }, _) => self
                .store
                .object_version_at(bucket, key, source.pipeline_updated_ms)
                .await?
                .map(|o| o.version_id)
                .unwrap_or_default(),
            // Likewise the branch's head when the declaration was saved, from its reflog.
            (None, SourceKind::CodeCommit { repository, branch }, Noticed::Poll) => self
                .repos
                .branch_head_at(repository, branch, source.pipeline_updated_ms)
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            // A push is a change by definition.
            (None, SourceKind::CodeCommit { .. }, Noticed::Push) => String::new(),
            // An outside host keeps no history of its heads Sluice could read: the commit the
            // action last ran, or else the head first seen, is the one already taken.
            (None, SourceKind::Connection { .. }, _) => {
                self.last_run_commit(source).await?.unwrap_or_else(|| revision_id.clone())
            }
        };
        // Objects are never deleted, and a deleted branch is no revision to run.
        let changed = last_seen != revision_id && !revision_id.is_empty();
        if !changed {
            if known.is_none() {
                self.store.replace_source_poll(previous, &row).await?;
            }
            return Ok(());
        }
        if !self.store.replace_source_poll(previous, &row).await? {
            return Ok(());
        }
        let what = format!("{} {} {revision_id}", row.source, source.kind.revision_word());
        let mut request = match noticed {
            Noticed::Poll => StartRequest::new(TriggerType::PollForSourceChanges),
            Noticed::Push => StartRequest::new(TriggerType::CloudWatchEvent),
        };
        request.trigger_detail = format!("{}: {what}", source.action);
        // The uploader of the new version, or the pusher of the commit, set this run going.
        request.started_by = match pusher {
            Some(pusher) => Some(pusher.clone()),
            None => current
                .as_ref()
                .and_then(|c| c.made_by.as_deref())
                .filter(|arn| arn.starts_with("arn:aws:iam::"))
                .map(Principal::named),
        };
        request.source_revisions =
            vec![SourceRevisionOverride::pin(&source.action, source.kind.provider(), &revision_id)];
        // The revision stays recorded even if the start fails, so a broken pipeline is not
        // retried (and logged) every second; the next change tries again.
        let execution_id = self.start_execution(&source.pipeline, request).await?;
        tracing::info!(pipeline = %source.pipeline, action = %source.action, %revision_id, %execution_id, "source change started an execution");
        self.store.set_source_poll_execution(&row, &execution_id).await?;
        Ok(())
    }
}
