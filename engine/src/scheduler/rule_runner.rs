//! Running one rule evaluation of a stage condition, the way `runner` runs an action: its own
//! workspace and inputs, its provider under a timeout and cancellation, and the verdict recorded
//! only while this runner still holds the rule's lease.
use super::runner::within;
use super::{rule_event, Tick};
use crate::events::EventState;
use crate::providers::rules::{RuleContext, RuleProvider, RuleResult};
use crate::providers::ActionFailure;
use crate::runs::{RuleExecutionResult, RuleOutput, RuleRow};
use crate::store::actions;
use crate::store::conditions as condition_rows;
use crate::store::executions as rows;
use crate::{Engine, Result};
use model::{ActionExecutionStatus as A, PipelineDeclaration, RuleDeclaration};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rules without their own `timeoutInMinutes` get an hour.
const DEFAULT_RULE_TIMEOUT_MINUTES: u32 = 60;

impl Engine {
    pub(super) async fn run_rule(&self, rule_id: &str, cancel: CancellationToken) -> Result<()> {
        let (row, exec, action_rows) = {
            let mut conn = self.store.conn().await?;
            let Some(row) = condition_rows::rule(&mut conn, rule_id).await? else { return Ok(()) };
            let Some(exec) = rows::execution(&mut conn, &row.execution_id).await? else { return Ok(()) };
            let actions = actions::actions_of(&mut conn, &row.execution_id).await?;
            (row, exec, actions)
        };
        if row.state.status != A::InProgress || row.state.lease_owner.as_deref() != Some(self.runtime.node_id.as_str())
        {
            return Ok(());
        }
        let decl = self.declaration(&exec.pipeline_name, exec.pipeline_version).await?;
        let Some(rule) = declared_rule(&decl, &row) else {
            let gone = ActionFailure::configuration(format!(
                "Rule '{}' is not declared in this pipeline version.",
                row.rule_name
            ));
            return self.record_rule_verdict(&exec.pipeline_name, &row, Err(gone)).await;
        };
        let workspace_root = self.sandbox().attempt_path(rule_id);
        // Rules have no secret configuration and no environment variables: nothing to mask.
        let (log, logger) = self.keep_log(rule_id, row.state.claims > 1, Default::default());

        let provider = rule.rule_type_id.provider.clone();
        let verdict = match self.rule_provider(&provider) {
            None => Err(ActionFailure::configuration(format!(
                "The {provider} rule is not available in Sluice: it needs an AWS service that Sluice does not run."
            ))),
            Some(implementation) => match self.prepare_inputs(rule_id, &rule.input_artifacts, &action_rows).await {
                Err(failure) => Err(failure),
                Ok(inputs) => {
                    let timeout = Duration::from_secs(
                        60 * u64::from(rule.timeout_in_minutes.unwrap_or(DEFAULT_RULE_TIMEOUT_MINUTES)),
                    );
                    let ctx = RuleContext {
                        pipeline_name: exec.pipeline_name.clone(),
                        pipeline_execution_id: exec.execution_id.clone(),
                        stage_name: row.stage_name.clone(),
                        rule_execution_id: rule_id.to_owned(),
                        configuration: row.input.resolved().clone(),
                        rule,
                        workspace: workspace_root.clone(),
                        inputs,
                        log: log.clone(),
                        cancel: cancel.clone(),
                        timeout,
                        now_ms: crate::now_ms(),
                        services: self.services(),
                    };
                    within(implementation.evaluate(&ctx), timeout, &cancel, "rule").await
                }
            },
        };
        drop(log);
        let _ = logger.await;
        let _ = tokio::fs::remove_dir_all(&workspace_root).await;
        if self.runtime.shutdown.is_cancelled() || (cancel.is_cancelled() && verdict.is_ok()) {
            // Shut down (the next process evaluates it again) or abandoned (already recorded).
            return Ok(());
        }
        self.record_rule_verdict(&exec.pipeline_name, &row, verdict).await
    }

    fn rule_provider(&self, provider: &str) -> Option<Arc<dyn RuleProvider>> {
        self.runtime.rule_providers.lock().unwrap_or_else(|e| e.into_inner()).get(provider).cloned()
    }

    /// Saves the verdict if this runner still owns the rule, then lets the pipeline move on.
    async fn record_rule_verdict(&self, pipeline: &str, started: &RuleRow, verdict: RuleResult) -> Result<()> {
        let mut tx = self.lock(pipeline).await?;
        let Some(mut row) = condition_rows::rule(&mut tx, &started.rule_execution_id).await? else { return Ok(()) };
        let still_ours = row.state.status == A::InProgress
            && row.state.lease_owner.as_deref() == Some(self.runtime.node_id.as_str())
            && row.state.claims == started.state.claims;
        if !still_ours {
            tracing::warn!(rule = %row.rule_execution_id, "verdict discarded: the rule was taken over or stopped");
            return Ok(());
        }
        let Some(exec) = rows::execution(&mut tx, &row.execution_id).await? else { return Ok(()) };
        let mut tick = Tick::new(self);
        row.state.updated_ms = tick.now;
        row.state.lease_owner = None;
        row.state.lease_expires_ms = None;
        let state = match verdict {
            Ok(summary) => {
                row.state.status = A::Succeeded;
                row.state.summary = Some(summary);
                EventState::Succeeded
            }
            Err(failure) => {
                row.state.status = A::Failed;
                row.state.error_code = Some(format!("{:?}", failure.kind));
                row.state.summary = Some(failure.message.clone());
                row.state.error_message = Some(failure.message);
                EventState::Failed
            }
        };
        row.output = RuleOutput {
            execution_result: Some(RuleExecutionResult { external_execution_summary: row.state.summary.clone() }),
        };
        let detail = json!({ "execution-result": { "external-execution-summary": row.state.summary, "error-code": row.state.error_code } });
        tick.events.push(rule_event(&exec, &row, state, detail));
        condition_rows::upsert_rule(&mut tx, &row).await?;
        tick.commit(tx).await?;
        self.advance(pipeline).await
    }
}

/// The declaration of the rule a row runs, from the pipeline version the execution is pinned to.
fn declared_rule(decl: &PipelineDeclaration, row: &RuleRow) -> Option<RuleDeclaration> {
    let stage = decl.stages.iter().find(|s| s.name == row.stage_name)?;
    stage.condition_rules(row.condition_type).into_iter().find(|r| r.name == row.rule_name).cloned()
}
