//! PutActionRevision: a client reports a source revision, which starts at most one run however
//! often (and however concurrently) it is reported.
use super::{is_current, watched_source, SourceKind};
use crate::now_ms;
use crate::runs::SourceRevisionOverride;
use crate::store::sources::SourcePollRow;
use crate::{Engine, EngineError, Principal, Refusal, Result, StartRequest};
use model::{ActionCategory, ActionDeclaration, TriggerType};

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

impl Engine {
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
        let is_s3 = matches!(SourceKind::of(action_decl), Some(SourceKind::S3 { .. }));
        let older_than_polled = previous
            .as_ref()
            .is_some_and(|row| is_s3 && row.source == source && row.revision_id > revision.revision_id);
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
