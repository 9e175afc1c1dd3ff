//! Server functions of the approvals history: every answer to a manual approval, newest first,
//! of the pipelines the signed-in user may read.
use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The most answers one history page lists.
#[cfg(feature = "ssr")]
const LIMIT: i64 = 200;

/// The filters as the page's form sends them (empty strings mean "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionQuery {
    pub pipeline: String,
    /// A user name, or a full user ARN.
    pub approver: String,
    /// `Approved` or `Rejected`.
    pub result: String,
}

/// One answer to an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub action: String,
    pub action_execution_id: String,
    pub approver: String,
    pub approver_arn: String,
    pub result: String,
    pub comment: String,
    pub decided_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionPage {
    pub now_ms: i64,
    pub rows: Vec<Decision>,
}

#[cfg(feature = "ssr")]
impl From<engine::approvals::DecisionRow> for Decision {
    fn from(d: engine::approvals::DecisionRow) -> Self {
        Decision {
            approver: engine::approvals::user_name(&d.approver_arn).to_owned(),
            pipeline: d.pipeline_name,
            execution_id: d.execution_id,
            stage: d.stage_name,
            action: d.action_name,
            action_execution_id: d.action_execution_id,
            approver_arn: d.approver_arn,
            result: d.result.as_str().to_owned(),
            comment: d.comment,
            decided_ms: d.decided_ms,
        }
    }
}

/// Answers matching `query`, newest first, of the pipelines whose state the user may read.
#[server(output = crate::api::codec::Json)]
pub async fn approval_history(query: DecisionQuery) -> Result<DecisionPage, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    crate::auth::authorize("codepipeline:ListPipelines", "*")?;
    let some = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    let approver_arn = some(&query.approver).map(|who| user_arn(&engine, who));
    let result = some(&query.result)
        .map(|r| {
            engine::ApprovalStatus::from_wire(&r).ok_or_else(|| {
                AppError::Server(format!("\u{201c}{r}\u{201d} is not a result: use Approved or Rejected."))
            })
        })
        .transpose()?;
    let filter = engine::approvals::DecisionFilter {
        pipeline_name: some(&query.pipeline),
        approver_arn,
        result,
        limit: Some(LIMIT),
        ..Default::default()
    };
    let rows = engine.approval_decisions(&filter).await.map_err(engine_error)?;
    let readable = |pipeline: &str| {
        crate::auth::authorize("codepipeline:GetPipelineState", &engine.pipeline_arn(pipeline)).is_ok()
    };
    let rows = rows.into_iter().filter(|d| readable(&d.pipeline_name)).map(Decision::from).collect();
    Ok(DecisionPage { now_ms: now_ms(), rows })
}
