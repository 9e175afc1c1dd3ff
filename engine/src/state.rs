//! Reading executions and the pipeline's state: GetPipelineState, GetPipelineExecution,
//! ListPipelineExecutions, ListActionExecutions and ListRuleExecutions.
use crate::executions::execution_not_found;
use crate::runs::{ActionRow, ConditionRow, ExecutionRow, RuleRow, StageRow};
use crate::store::conditions as condition_rows;
use crate::store::events::{transitions, TransitionRow};
use crate::store::executions as rows;
use crate::store::{actions, stages};
use crate::{Engine, PipelineRecord, Result};
use model::ConditionType;

/// One stage of GetPipelineState.
#[derive(Debug, Clone)]
pub struct StageState {
    pub stage_name: String,
    /// The execution that most recently entered the stage, and its run there.
    pub latest: Option<(StageRow, ExecutionRow)>,
    /// Executions waiting in front of the stage.
    pub inbound: Vec<ExecutionRow>,
    pub transition: Option<TransitionRow>,
    /// Each action of the stage with its newest run, if any.
    pub actions: Vec<(String, Option<ActionRow>)>,
    /// The newest evaluation of each condition the stage declares, with its rules.
    pub conditions: Vec<(ConditionType, ConditionRow, Vec<RuleRow>)>,
}

impl Engine {
    pub async fn execution(&self, pipeline: &str, execution_id: &str) -> Result<ExecutionRow> {
        self.pipeline(pipeline, None).await?;
        let mut conn = self.store.conn().await?;
        rows::execution(&mut conn, execution_id)
            .await?
            .filter(|e| e.pipeline_name == pipeline)
            .ok_or_else(|| execution_not_found(pipeline, execution_id))
    }

    /// A page of executions, newest first, below `before_seq`.
    pub async fn executions(&self, pipeline: &str, before_seq: Option<i64>, limit: i64) -> Result<Vec<ExecutionRow>> {
        self.pipeline(pipeline, None).await?;
        let mut conn = self.store.conn().await?;
        Ok(rows::list_executions(&mut conn, pipeline, before_seq, limit).await?)
    }

    /// Every action run of an execution (all attempts), oldest first, sealed secrets as `****`.
    pub async fn action_runs(&self, pipeline: &str, execution_id: &str) -> Result<Vec<ActionRow>> {
        self.execution(pipeline, execution_id).await?;
        let mut conn = self.store.conn().await?;
        let mut runs = actions::actions_of(&mut conn, execution_id).await?;
        for run in &mut runs {
            run.input.mask_sealed();
        }
        Ok(runs)
    }

    /// GetPipelineState: per stage, the latest run, waiting executions, transition and actions.
    pub async fn pipeline_state(&self, pipeline: &str) -> Result<(PipelineRecord, Vec<StageState>)> {
        let record = self.pipeline(pipeline, None).await?;
        let mut conn = self.store.conn().await?;
        let transitions = transitions(&mut conn, pipeline).await?;
        let active = rows::active_executions(&mut conn, pipeline).await?;
        let mut waiting: Vec<(usize, ExecutionRow)> = Vec::new();
        for exec in active {
            let stages = stages::stages_of(&mut conn, &exec.execution_id).await?;
            let decl = self.declaration(pipeline, exec.pipeline_version).await?;
            if let Some(stage) = decl.stages.get(exec.current_stage) {
                if !stages.iter().any(|s| s.stage_name == stage.name) {
                    waiting.push((exec.current_stage, exec));
                }
            }
        }
        let mut states = Vec::new();
        for (index, stage) in record.declaration.stages.iter().enumerate() {
            let mut actions = Vec::new();
            for action in &stage.actions {
                actions.push((
                    action.name.clone(),
                    actions::latest_action_runs(&mut conn, pipeline, &stage.name, &action.name).await?,
                ));
            }
            let mut conditions = Vec::new();
            for kind in ConditionType::ALL.iter().copied() {
                let declared = stage.condition_rules(kind);
                if declared.is_empty() {
                    continue;
                }
                if let Some((row, mut rules)) =
                    condition_rows::latest_condition(&mut conn, pipeline, &stage.name, kind).await?
                {
                    rules.sort_by_key(|r| declared.iter().position(|d| d.name == r.rule_name));
                    conditions.push((kind, row, rules));
                }
            }
            states.push(StageState {
                conditions,
                stage_name: stage.name.clone(),
                latest: stages::latest_stage_run(&mut conn, pipeline, &stage.name).await?,
                inbound: waiting.iter().filter(|(i, _)| *i == index).map(|(_, e)| e.clone()).collect(),
                transition: transitions.iter().find(|t| t.stage_name == stage.name).cloned(),
                actions,
            });
        }
        Ok((record, states))
    }

    /// Every rule run of an execution (all evaluations), oldest first.
    pub async fn rule_runs(&self, pipeline: &str, execution_id: &str) -> Result<Vec<RuleRow>> {
        self.execution(pipeline, execution_id).await?;
        let mut conn = self.store.conn().await?;
        Ok(condition_rows::rules_of(&mut conn, execution_id).await?)
    }
}
