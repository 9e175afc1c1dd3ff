//! Change detection: source revisions that start executions. S3 sources are polled (CodePipeline's
//! `PollForSourceChanges`, on unless set to "false"); any source action can be told of a revision
//! with PutActionRevision. Both record the revision in `source_poll`, so a revision starts at most
//! one execution whichever way it arrives and however many replicas poll.
use crate::now_ms;
use crate::runs::SourceRevisionOverride;
use crate::store::sources::{LatestObject, PipelineHead, SourcePollRow};
use crate::{Engine, EngineError, Principal, Refusal, Result, StartRequest};
use model::{ActionCategory, ActionDeclaration, ActionOwner, PipelineDeclaration, TriggerType};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Polling reads every pipeline's sources; once a second is plenty, however fast the sweep runs.
/// A little under a second, so a 1 s sweep whose ticks jitter still polls on every tick.
const POLL_EVERY: Duration = Duration::from_millis(900);

/// A revision a client reports with PutActionRevision.
#[derive(Debug, Clone)]
pub struct ActionRevision {
    pub revision_id: String,
    pub revision_change_id: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutRevisionOutcome {
    pub new_revision: bool,
    /// The execution the revision started (now or when it was first reported), if known.
    pub execution_id: Option<String>,
}

/// One polled source: an S3 source action of a pipeline's latest version.
struct Watched {
    pipeline: String,
    pipeline_created_ms: i64,
    /// When the pipeline's latest version was saved.
    pipeline_updated_ms: i64,
    stage: String,
    action: String,
    bucket: String,
    key: String,
}

impl Watched {
    fn source(&self) -> String {
        s3_location(&self.bucket, &self.key)
    }
}

fn s3_location(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

fn is_s3_source(action: &ActionDeclaration) -> bool {
    let id = &action.action_type_id;
    id.category == ActionCategory::Source && id.owner == ActionOwner::Aws && id.provider == "S3"
}

/// What a source action watches, as recorded in `source_poll.source`.
fn watched_source(action: &ActionDeclaration) -> String {
    match (is_s3_source(action), action.configuration.get("S3Bucket"), action.configuration.get("S3ObjectKey")) {
        (true, Some(bucket), Some(key)) => s3_location(bucket, key),
        _ => String::new(),
    }
}

/// CodePipeline's default is to poll; only an explicit "false" turns it off.
fn polls(action: &ActionDeclaration) -> bool {
    action.configuration.get("PollForSourceChanges").is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"))
}

/// Source actions live in the first stage only, so that is the only place polling looks.
fn polled_sources(head: &PipelineHead, decl: &PipelineDeclaration) -> Vec<Watched> {
    let Some(stage) = decl.stages.first() else { return Vec::new() };
    stage
        .actions
        .iter()
        .filter(|a| is_s3_source(a) && polls(a))
        .filter_map(|a| {
            Some(Watched {
                pipeline: head.name.clone(),
                pipeline_created_ms: head.created_ms,
                pipeline_updated_ms: head.updated_ms,
                stage: stage.name.clone(),
                action: a.name.clone(),
                bucket: a.configuration.get("S3Bucket")?.clone(),
                key: a.configuration.get("S3ObjectKey")?.clone(),
            })
        })
        .collect()
}

/// A row left by a deleted pipeline of the same name, or recorded while the action watched
/// something else, says nothing about the current source.
fn is_current(row: &SourcePollRow, source: &str, pipeline_created_ms: i64) -> bool {
    row.source == source && row.updated_ms >= pipeline_created_ms
}

/// The StartPipelineExecution `revisionType` matching a source provider.
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

    /// One poll of every pipeline's S3 sources: a new latest version starts an execution
    /// (trigger PollForSourceChanges). A source seen for the first time is compared with the
    /// version that was current when the pipeline was saved, which CreatePipeline's run took, so
    /// it does not run twice. Three queries however many pipelines, plus a declaration read when a
    /// pipeline changed and one query per source seen for the first time.
    pub(crate) async fn poll_sources(&self) -> Result<()> {
        if !self.poll_due() {
            return Ok(());
        }
        let mut watched = Vec::new();
        for head in self.store.pipeline_heads().await? {
            match self.declaration(&head.name, head.latest_version).await {
                Ok(decl) => watched.extend(polled_sources(&head, &decl)),
                // Deleted or updated since the list was read: the next poll sees it as it is.
                Err(EngineError::PipelineNotFound(_) | EngineError::VersionNotFound { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        if watched.is_empty() {
            return Ok(());
        }
        let mut seen: HashMap<(String, String, String), SourcePollRow> = HashMap::new();
        for row in self.store.source_polls().await? {
            seen.insert((row.pipeline_name.clone(), row.stage_name.clone(), row.action_name.clone()), row);
        }
        let mut keys: Vec<(String, String)> = watched.iter().map(|w| (w.bucket.clone(), w.key.clone())).collect();
        keys.sort();
        keys.dedup();
        let latest: HashMap<(String, String), LatestObject> = self
            .store
            .latest_object_versions(&keys)
            .await?
            .into_iter()
            .map(|o| ((o.bucket.clone(), o.key.clone()), o))
            .collect();
        for source in &watched {
            let previous = seen.get(&(source.pipeline.clone(), source.stage.clone(), source.action.clone()));
            let current = latest.get(&(source.bucket.clone(), source.key.clone()));
            if let Err(err) = self.poll_one(source, previous, current).await {
                // One pipeline's trouble must not stop the others from being polled.
                tracing::warn!(pipeline = %source.pipeline, action = %source.action, error = %err, "source poll failed");
            }
        }
        Ok(())
    }

    async fn poll_one(
        &self,
        source: &Watched,
        previous: Option<&SourcePollRow>,
        current: Option<&LatestObject>,
    ) -> Result<()> {
        let revision_id = current.map(|o| o.version_id.clone()).unwrap_or_default();
        let row = SourcePollRow {
            pipeline_name: source.pipeline.clone(),
            stage_name: source.stage.clone(),
            action_name: source.action.clone(),
            source: source.source(),
            revision_id: revision_id.clone(),
            revision_change_id: current.map(|o| o.etag.clone()),
            execution_id: None,
            updated_ms: now_ms(),
        };
        let known = previous.filter(|old| is_current(old, &row.source, source.pipeline_created_ms));
        let last_seen = match known {
            Some(old) => old.revision_id.clone(),
            // First sighting: the version that was the latest when this declaration was saved is
            // the one CreatePipeline's run took; only a newer one is a change.
            None => self
                .store
                .object_version_at(&source.bucket, &source.key, source.pipeline_updated_ms)
                .await?
                .map(|o| o.version_id)
                .unwrap_or_default(),
        };
        // Objects are never deleted, so "no version" after one was seen cannot be a change.
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
        let mut request = StartRequest::new(TriggerType::PollForSourceChanges);
        request.trigger_detail = format!("{}: {} version {revision_id}", source.action, row.source);
        // The uploader of the new version set this run going.
        request.started_by = current
            .and_then(|o| o.created_by.as_deref())
            .filter(|arn| arn.starts_with("arn:aws:iam::"))
            .map(Principal::named);
        request.source_revisions = vec![SourceRevisionOverride::pin(&source.action, "S3", &revision_id)];
        // The revision stays recorded even if the start fails, so a broken pipeline is not
        // retried (and logged) every second; the next upload tries again.
        let execution_id = self.start_execution(&source.pipeline, request).await?;
        tracing::info!(pipeline = %source.pipeline, action = %source.action, %revision_id, %execution_id, "source change started an execution");
        self.store.set_source_poll_execution(&row, &execution_id).await?;
        Ok(())
    }

    /// PutActionRevision: a revision of a source action (first stage, category Source), reported
    /// by `by`, who starts the run. A revision already recorded starts nothing and reports the
    /// execution it started.
    pub async fn put_action_revision(
        &self,
        pipeline: &str,
        stage: &str,
        action: &str,
        revision: ActionRevision,
        by: &Principal,
    ) -> Result<PutRevisionOutcome> {
        let record = self.pipeline(pipeline, None).await?;
        let stages = &record.declaration.stages;
        let (index, stage_decl) = stages.iter().enumerate().find(|(_, s)| s.name == stage).ok_or_else(|| {
            EngineError::refused(Refusal::StageNotFound, format!("Pipeline '{pipeline}' has no stage '{stage}'."))
        })?;
        let action_decl = stage_decl.actions.iter().find(|a| a.name == action).ok_or_else(|| {
            EngineError::refused(Refusal::ActionNotFound, format!("Stage '{stage}' has no action '{action}'."))
        })?;
        if index != 0 || action_decl.action_type_id.category != ActionCategory::Source {
            return Err(EngineError::refused(
                Refusal::ActionNotFound,
                format!("Action '{action}' of stage '{stage}' is not a source action; only source actions (in the first stage) take revisions."),
            ));
        }
        let source = watched_source(action_decl);
        let previous = self
            .store
            .source_poll(pipeline, stage, action)
            .await?
            .filter(|row| is_current(row, &source, record.created_ms));
        if let Some(old) = previous.as_ref().filter(|row| row.revision_id == revision.revision_id) {
            return Ok(PutRevisionOutcome { new_revision: false, execution_id: old.execution_id.clone() });
        }
        // An older version of a polled S3 object, reported after polling saw a newer one, runs,
        // but the newer one stays recorded: polling would otherwise take it for a change and run
        // a version that already ran. (Version ids are UUIDv7s: they sort by creation time.)
        let older_than_polled = previous
            .as_ref()
            .is_some_and(|row| !source.is_empty() && row.source == source && row.revision_id > revision.revision_id);
        if older_than_polled {
            let execution_id = self.start_execution(pipeline, revision_request(action_decl, &revision, by)).await?;
            return Ok(PutRevisionOutcome { new_revision: true, execution_id: Some(execution_id) });
        }
        // A stale row is replaced like a current one: the compare-and-set needs what is stored.
        let stored = match previous {
            Some(row) => Some(row),
            None => self.store.source_poll(pipeline, stage, action).await?,
        };
        let row = SourcePollRow {
            pipeline_name: pipeline.to_owned(),
            stage_name: stage.to_owned(),
            action_name: action.to_owned(),
            source,
            revision_id: revision.revision_id.clone(),
            revision_change_id: Some(revision.revision_change_id.clone()),
            execution_id: None,
            updated_ms: now_ms(),
        };
        if !self.store.replace_source_poll(stored.as_ref(), &row).await? {
            // A concurrent report of some revision won; if it was this one, it is not new.
            let now = self.store.source_poll(pipeline, stage, action).await?;
            return match now.filter(|r| r.revision_id == revision.revision_id) {
                Some(r) => Ok(PutRevisionOutcome { new_revision: false, execution_id: r.execution_id }),
                None => Err(EngineError::refused(
                    Refusal::ConcurrentModification,
                    "Another revision of this action was reported at the same time; try again.",
                )),
            };
        }
        match self.start_execution(pipeline, revision_request(action_decl, &revision, by)).await {
            Ok(execution_id) => {
                self.store.set_source_poll_execution(&row, &execution_id).await?;
                Ok(PutRevisionOutcome { new_revision: true, execution_id: Some(execution_id) })
            }
            Err(err) => {
                // The caller sees the error and may report the revision again: it must still be new then.
                if let Some(old) = &stored {
                    self.store.replace_source_poll(Some(&row), old).await?;
                } else {
                    self.store.delete_source_poll(&row).await?;
                }
                Err(err)
            }
        }
    }
}

/// The start of a run for a revision reported with PutActionRevision, by `by`.
fn revision_request(action: &ActionDeclaration, revision: &ActionRevision, by: &Principal) -> StartRequest {
    let mut request = StartRequest::new(TriggerType::PutActionRevision);
    request.trigger_detail = format!("{}: {}", action.name, revision.revision_id);
    request.started_by = Some(by.clone());
    let provider = &action.action_type_id.provider;
    request.source_revisions = vec![SourceRevisionOverride::pin(&action.name, provider, &revision.revision_id)];
    request
}
