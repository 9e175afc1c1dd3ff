//! What the edges read about runs, each in one call: a run as the run page shows it, a page of
//! the history, a re-run of an old execution, and an action's log as it is written.
use crate::approvals::{DecisionFilter, DecisionRow};
use crate::runs::{ActionRow, ExecutionRow, SourceRevisionOverride, StageRow, TransitionRow};
use crate::store::events::transitions;
use crate::store::executions as rows;
use crate::store::{actions, stages};

pub use crate::store::executions::HistoryFilter;
use crate::{Engine, PipelineRecord, Principal, Result, StartRequest};
use model::ActionExecutionStatus;

/// One execution of a pipeline with everything the run page draws, or the pipeline with no
/// execution yet.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The pipeline at the version the execution ran (the latest when there is none).
    pub pipeline: PipelineRecord,
    pub execution: Option<ExecutionRow>,
    /// The newest executions, newest first, for picking another.
    pub recent: Vec<ExecutionRow>,
    pub stages: Vec<StageRow>,
    /// Every attempt of every action, oldest first, sealed secrets as `****`.
    pub actions: Vec<ActionRow>,
    pub transitions: Vec<TransitionRow>,
    /// Every answer to the execution's approvals, newest first.
    pub decisions: Vec<DecisionRow>,
    /// The stages RollbackStage would accept the execution as target for.
    pub rollback_targets: Vec<String>,
}

/// One row of the run history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub execution: ExecutionRow,
    /// The stages it entered, in the order it entered them.
    pub stages: Vec<StageRow>,
    /// The revision each source action ran, as (action, revision id).
    pub revisions: Vec<(String, String)>,
}

/// The revisions an execution's source actions ran, as (action, revision id), newest attempt last.
pub fn source_revisions(actions: &[ActionRow]) -> Vec<(String, String)> {
    let mut revisions: Vec<(String, String)> = Vec::new();
    for run in actions {
        let Some(revision) = &run.output.revision else { continue };
        revisions.retain(|(action, _)| *action != run.action_name);
        revisions.push((run.action_name.clone(), revision.revision_id.clone()));
    }
    revisions
}

impl Engine {
    /// The execution `execution_id` of `pipeline`, or its newest one, as the run page shows it.
    pub async fn run_view(&self, pipeline: &str, execution_id: Option<&str>, recent: i64) -> Result<RunView> {
        let recent = self.executions(pipeline, None, recent).await?;
        let execution = match execution_id {
            Some(id) => Some(self.execution(pipeline, id).await?),
            None => recent.first().cloned(),
        };
        let record = self.pipeline(pipeline, execution.as_ref().map(|e| e.pipeline_version)).await?;
        let transitions = transitions(&mut *self.store.conn().await?, pipeline).await?;
        let mut view = RunView {
            pipeline: record,
            execution: None,
            recent,
            stages: Vec::new(),
            actions: Vec::new(),
            transitions,
            decisions: Vec::new(),
            rollback_targets: Vec::new(),
        };
        let Some(exec) = execution else { return Ok(view) };
        view.stages = stages::stages_of(&mut *self.store.conn().await?, &exec.execution_id).await?;
        view.actions = self.action_runs(pipeline, &exec.execution_id).await?;
        let filter = DecisionFilter { execution_id: Some(exec.execution_id.clone()), ..Default::default() };
        view.decisions = self.approval_decisions(&filter).await?;
        view.rollback_targets = self.rollback_targets(&exec, &view.stages).await?;
        view.execution = Some(exec);
        Ok(view)
    }

    /// A page of executions matching `filter`, newest first, below `before_seq`.
    pub async fn execution_history(
        &self,
        pipeline: &str,
        filter: &HistoryFilter,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        self.pipeline(pipeline, None).await?;
        let mut conn = self.store.conn().await?;
        let executions = rows::search_executions(&mut conn, pipeline, filter, before_seq, limit).await?;
        let ids: Vec<String> = executions.iter().map(|e| e.execution_id.clone()).collect();
        let stages = stages::stages_in(&mut conn, &ids).await?;
        let actions = actions::actions_in(&mut conn, &ids).await?;
        Ok(executions
            .into_iter()
            .map(|execution| {
                let id = &execution.execution_id;
                let own_actions: Vec<ActionRow> = actions.iter().filter(|a| &a.execution_id == id).cloned().collect();
                HistoryEntry {
                    stages: stages.iter().filter(|s| &s.execution_id == id).cloned().collect(),
                    revisions: source_revisions(&own_actions),
                    execution,
                }
            })
            .collect())
    }

    /// Starts a new execution with the source revisions and variables `execution_id` ran with,
    /// by `by`; its trigger detail names the execution it re-runs. Returns the new execution's id.
    pub async fn rerun(&self, pipeline: &str, execution_id: &str, by: &Principal) -> Result<String> {
        let old = self.execution(pipeline, execution_id).await?;
        let declaration = self.pipeline(pipeline, Some(old.pipeline_version)).await?.declaration;
        let actions = self.action_runs(pipeline, execution_id).await?;
        let mut request = StartRequest::by_user(by);
        request.trigger_detail = format!("{} re-running {execution_id}", by.arn);
        request.variables = old.variable_pairs();
        request.source_revisions = source_revisions(&actions)
            .into_iter()
            .filter_map(|(action, revision)| {
                let (_, declared) = declaration.actions().find(|(_, a)| a.name == action)?;
                Some(SourceRevisionOverride::pin(&action, &declared.action_type_id.provider, &revision))
            })
            .collect();
        self.start_execution(pipeline, request).await
    }

    /// The pipeline an action execution belongs to; `None` when there is no such action.
    pub async fn action_pipeline(&self, action_execution_id: &str) -> Result<Option<String>> {
        let mut conn = self.store.conn().await?;
        let Some(action) = actions::action(&mut conn, action_execution_id).await? else { return Ok(None) };
        Ok(rows::execution(&mut conn, &action.execution_id).await?.map(|e| e.pipeline_name))
    }

    /// An action's status, `None` when there is no such action.
    pub async fn action_status(&self, action_execution_id: &str) -> Result<Option<ActionExecutionStatus>> {
        let mut conn = self.store.conn().await?;
        Ok(actions::action(&mut conn, action_execution_id).await?.map(|a| a.state.status))
    }

    /// The last `lines` lines of an action's log, as (line number, text).
    pub async fn action_log_tail(&self, action_execution_id: &str, lines: i64) -> Result<Vec<(i64, String)>> {
        let last = self.store.last_log_line(action_execution_id).await?;
        self.action_log(action_execution_id, (last - lines).max(0), lines).await
    }

    /// Up to `limit` lines of an action's log after line `after`, as (line number, text).
    pub async fn action_log(&self, action_execution_id: &str, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(self.store.log(action_execution_id, after, limit).await?)
    }
}
