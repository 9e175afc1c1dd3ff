//! Group commit of finished actions. A runner does not commit its outcome itself: it hands it to
//! the pipeline's queue and asks for an advance, and that advance applies every outcome queued
//! so far and the decisions they allow in one transaction. Under load many actions finish while
//! one advance holds the lock, so one durable commit records all of them.
use super::{action_event, Run, Tick};
use crate::events::EventState;
use crate::events::PendingEvent;
use crate::providers::{ActionFailure, ActionOutcome};
use crate::runs::{ActionOutput, StoredArtifact};
use model::ActionExecutionStatus as A;
use serde_json::json;
use tokio::sync::oneshot;

/// What a provider returned, with the artifacts already stored.
pub(crate) type Outcome = std::result::Result<(ActionOutcome, Vec<StoredArtifact>), ActionFailure>;

/// One finished attempt waiting to be recorded.
pub(crate) struct Finished {
    pub execution_id: String,
    pub action_execution_id: String,
    /// The claim count the runner started under: a takeover since then makes the outcome stale.
    pub claims: i64,
    pub node_id: String,
    pub outcome: Outcome,
    /// Told once the outcome is durable (true) or discarded (false).
    pub recorded: oneshot::Sender<bool>,
}

/// Applies a finished attempt to its action's row, if its runner still owns the action.
/// Returns the acknowledgement to send after the commit, or None when already answered.
pub(crate) fn apply(runs: &mut [Run], finished: Finished, tick: &mut Tick) -> Option<oneshot::Sender<bool>> {
    let Finished { action_execution_id, claims, execution_id: _, node_id, outcome, recorded } = finished;
    let found = runs.iter_mut().find_map(|run| {
        let index = run.actions.iter().position(|a| a.action_execution_id == action_execution_id)?;
        Some((run, index))
    });
    let Some((run, index)) = found else {
        let _ = recorded.send(false);
        return None;
    };
    let row = &run.actions[index];
    if row.state.status != A::InProgress
        || row.state.lease_owner.as_deref() != Some(node_id.as_str())
        || row.state.claims != claims
    {
        tracing::warn!(action = %action_execution_id, "outcome discarded: the action was taken over or stopped");
        let _ = recorded.send(false);
        return None;
    }
    let mut row = row.clone();
    row.state.updated_ms = tick.now;
    row.state.lease_owner = None;
    row.state.lease_expires_ms = None;
    match outcome {
        Ok((ActionOutcome::Succeeded(result), artifacts)) => {
            row.state.status = A::Succeeded;
            row.state.summary = result.summary;
            row.external_execution_id = result.external_execution_id;
            row.external_execution_url = result.external_execution_url;
            row.output = ActionOutput {
                output_artifacts: artifacts,
                output_variables: result.variables.into_iter().collect(),
                revision: result.revision,
                ..ActionOutput::default()
            };
            let detail = json!({ "output-artifacts": row.output.output_artifacts });
            tick.events.push(action_event(run, &row, EventState::Succeeded, detail));
        }
        Ok((ActionOutcome::Waiting { token, expires_ms, summary }, _)) => {
            row.token = Some(token);
            row.expires_ms = Some(expires_ms);
            row.state.summary = summary;
            // A job waits for a worker, not for a person: nobody is notified.
            if !crate::jobs::is_job(&row) {
                tick.events.push(PendingEvent::approval_pending(
                    &run.exec.pipeline_name,
                    &row.execution_id,
                    run.exec.pipeline_version,
                    &row.stage_name,
                    &row.action_name,
                    expires_ms,
                ));
            }
        }
        Err(failure) => {
            row.state.status = A::Failed;
            row.state.error_code = Some(format!("{:?}", failure.kind));
            row.state.error_message = Some(failure.message.clone());
            let detail = json!({ "execution-result": { "external-execution-summary": failure.message, "error-code": row.state.error_code } });
            tick.events.push(action_event(run, &row, EventState::Failed, detail));
        }
    }
    run.actions[index] = row;
    Some(recorded)
}
