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
    pub revisions: Vec<String>,
    pub started_ms: i64,
    /// Until the last change; still growing while the execution runs.
    pub duration_ms: i64,
    pub stop_reason: Option<String>,
    /// The stages it entered, in the order it entered them, with how long each took (so far).
    pub stages: Vec<(String, i64)>,
}

#[server]
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
    let rows = rows
        .into_iter()
        .map(|entry| {
            let e = entry.execution;
            HistoryRow {
                revisions: entry.revisions.into_iter().map(|(_, revision)| revision).collect(),
                stages: entry.stages.iter().map(|s| (s.stage_name.clone(), s.updated_ms - s.started_ms)).collect(),
                id: e.execution_id,
                seq: e.seq,
                status: e.status.as_str().to_owned(),
                trigger: e.trigger_type.as_str().to_owned(),
                trigger_detail: e.trigger_detail,
                started_ms: e.created_ms,
                duration_ms: e.updated_ms - e.created_ms,
                stop_reason: e.stop_reason,
            }
        })
        .collect();
    Ok(HistoryPage { now_ms: now_ms(), rows, older: older.flatten() })
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
