//! What failed in an execution, for the summary at the top of the run view: the first failed
//! action in stage order, its error, and the last lines of its log.
pub use super::run_view::Failure;
use super::run_view::{ActionRun, StageRun};

/// How many of the failed action's last log lines the summary shows.
#[cfg(feature = "ssr")]
const TAIL_LINES: i64 = 12;

/// The first failed action of `stages` (in stage order, then as declared), if any.
pub fn first_failed(stages: &[StageRun]) -> Option<(&StageRun, &ActionRun)> {
    stages.iter().find_map(|stage| {
        let action = stage.actions.iter().find(|a| a.attempt.as_ref().is_some_and(|t| t.status == "Failed"))?;
        Some((stage, action))
    })
}

/// Why an attempt failed: who rejected it (their comment is on the action, once), else its error
/// message, else its summary.
#[cfg(feature = "ssr")]
fn reason(attempt: &super::run_view::ActionAttempt) -> String {
    let rejected = attempt.decisions.iter().rev().find(|d| d.result == "Rejected");
    match rejected {
        Some(decision) => format!("Rejected by {}", decision.approver),
        None => attempt.error.clone().or_else(|| attempt.summary.clone()).unwrap_or_else(|| "failed".into()),
    }
}

/// The failure of an execution whose stages are `stages`, with its log's tail.
#[cfg(feature = "ssr")]
pub async fn failure(engine: &engine::Engine, stages: &[StageRun]) -> Result<Option<Failure>, super::AppError> {
    use super::ssr::engine_error;
    let Some((stage, action)) = first_failed(stages) else { return Ok(None) };
    let Some(attempt) = action.attempt.as_ref() else { return Ok(None) };
    let log_tail = engine.action_log_tail(&attempt.id, TAIL_LINES).await.map_err(engine_error)?;
    Ok(Some(Failure {
        stage: stage.name.clone(),
        action: action.name.clone(),
        attempt_id: attempt.id.clone(),
        error: reason(attempt),
        log_tail,
    }))
}
