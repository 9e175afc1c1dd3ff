//! Server functions of the run history page: a filtered page of executions.
use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per history page.
pub const PAGE_SIZE: i64 = 50;

/// The filters as the page's form sends them (empty strings mean "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub status: String,
    pub trigger: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub from: String,
    pub to: String,
    pub text: String,
    /// Show executions older than this sequence number (the "older" link).
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub now_ms: i64,
    pub rows: Vec<HistoryRow>,
    /// Where the next (older) page starts, when there is one.
    pub older: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: String,
    pub seq: i64,
    pub status: String,
    pub trigger: String,
    pub trigger_detail: String,
    /// The source revisions it ran, as (source action, revision id).
    pub revisions: Vec<(String, String)>,
    pub started_ms: i64,
    /// Until it ended, or until now while it runs.
    pub duration_ms: i64,
    pub stop_reason: Option<String>,
    /// The stages it entered, in the order it entered them.
    pub stages: Vec<StageDot>,
    /// It failed because an approval was rejected (CodePipeline says Failed either way).
    pub rejected: bool,
}

impl HistoryRow {
    /// What the page calls the outcome: the status, with a rejection told apart from a failure.
    pub fn outcome(&self) -> &str {
        if self.rejected {
            "Rejected"
        } else {
            &self.status
        }
    }
}

/// One stage of a run: its status and how long it took (so far).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDot {
    pub name: String,
    pub status: String,
    pub duration_ms: i64,
}

#[server(output = crate::api::codec::Json)]
pub async fn load_history(pipeline: String, query: HistoryQuery) -> Result<HistoryPage, AppError> {
    use super::ssr::*;
    let filter = ssr_filter::filter(&query)?;
    let engine = engine()?;
    crate::auth::authorize("codepipeline:ListPipelineExecutions", &engine.pipeline_arn(&pipeline))?;
    let mut rows =
        engine.execution_history(&pipeline, &filter, query.before, PAGE_SIZE + 1).await.map_err(engine_error)?;
    let older = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|e| e.execution.seq)
    });
    let now = now_ms();
    // What runs still takes time up to now; what ended, up to its last change.
    let until = |running: bool, updated_ms: i64| if running { now.max(updated_ms) } else { updated_ms };
    let mut page = Vec::with_capacity(rows.len());
    for entry in rows {
        let e = entry.execution;
        let failed = e.status == model::PipelineExecutionStatus::Failed;
        let rejected = failed && rejected(&engine, &e.execution_id).await?;
        let running = e.status.is_active();
        page.push(HistoryRow {
            revisions: entry.revisions,
            stages: entry
                .stages
                .iter()
                .map(|s| StageDot {
                    name: s.stage_name.clone(),
                    status: s.status.as_str().to_owned(),
                    duration_ms: until(
                        matches!(
                            s.status,
                            model::StageExecutionStatus::InProgress | model::StageExecutionStatus::Stopping
                        ),
                        s.updated_ms,
                    ) - s.started_ms,
                })
                .collect(),
            rejected,
            id: e.execution_id,
            seq: e.seq,
            status: e.status.as_str().to_owned(),
            trigger: e.trigger_type.as_str().to_owned(),
            trigger_detail: e.trigger_detail,
            started_ms: e.created_ms,
            duration_ms: until(running, e.updated_ms) - e.created_ms,
            stop_reason: e.stop_reason,
        });
    }
    Ok(HistoryPage { now_ms: now, rows: page, older: older.flatten() })
}

/// Whether an approval of the execution was rejected.
#[cfg(feature = "ssr")]
async fn rejected(engine: &engine::Engine, execution_id: &str) -> Result<bool, AppError> {
    let filter = engine::approvals::DecisionFilter {
        execution_id: Some(execution_id.to_owned()),
        result: Some(engine::ApprovalStatus::Rejected),
        limit: Some(1),
        ..Default::default()
    };
    let decisions = engine.approval_decisions(&filter).await.map_err(super::ssr::engine_error)?;
    Ok(!decisions.is_empty())
}

#[cfg(feature = "ssr")]
mod ssr_filter {
    use super::{AppError, HistoryQuery};
    use engine::run_views::HistoryFilter;
    use model::{PipelineExecutionStatus, TriggerType};

    const DAY_MS: i64 = 86_400_000;

    pub fn filter(query: &HistoryQuery) -> Result<HistoryFilter, AppError> {
        let given = |text: &str| Some(text.trim()).filter(|t| !t.is_empty()).map(str::to_owned);
        let status = given(&query.status)
            .map(|s| {
                PipelineExecutionStatus::from_wire(&s)
                    .ok_or_else(|| AppError::Refused(format!("Unknown status \u{201c}{s}\u{201d}.")))
            })
            .transpose()?;
        let trigger = given(&query.trigger)
            .map(|t| {
                TriggerType::from_wire(&t)
                    .ok_or_else(|| AppError::Refused(format!("Unknown trigger \u{201c}{t}\u{201d}.")))
            })
            .transpose()?;
        let from_ms = given(&query.from).map(|d| day_start(&d)).transpose()?;
        let until_ms = given(&query.to).map(|d| day_start(&d).map(|ms| ms + DAY_MS)).transpose()?;
        Ok(HistoryFilter { status, trigger, from_ms, until_ms, text: given(&query.text) })
    }

    /// Midnight UTC of a `YYYY-MM-DD` date, in ms.
    fn day_start(date: &str) -> Result<i64, AppError> {
        let bad = || AppError::Refused(format!("\u{201c}{date}\u{201d} is not a date (YYYY-MM-DD)."));
        let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().map_err(|_| bad()));
        let (year, month, day) =
            (parts.next().ok_or_else(bad)??, parts.next().ok_or_else(bad)??, parts.next().ok_or_else(bad)??);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad());
        }
        Ok(model::time::days_from_civil(year, month, day) * DAY_MS)
    }
}
