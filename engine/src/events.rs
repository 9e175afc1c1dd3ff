//! State-change events in EventBridge's shape (source `aws.codepipeline`), appended to the outbox in
//! the same transaction as the change and broadcast to live subscribers after the commit.
use crate::Account;
use serde_json::{json, Value};

pub const PIPELINE_DETAIL: &str = "CodePipeline Pipeline Execution State Change";
pub const STAGE_DETAIL: &str = "CodePipeline Stage Execution State Change";
pub const ACTION_DETAIL: &str = "CodePipeline Action Execution State Change";

/// An event waiting for its transaction to commit.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub pipeline: String,
    pub execution_id: String,
    pub detail_type: &'static str,
    pub detail: Value,
}

impl PendingEvent {
    pub fn pipeline(pipeline: &str, execution_id: &str, version: u32, state: &str, extra: Value) -> Self {
        let mut detail = json!({ "pipeline": pipeline, "execution-id": execution_id, "state": state, "version": version });
        merge(&mut detail, extra);
        PendingEvent { pipeline: pipeline.into(), execution_id: execution_id.into(), detail_type: PIPELINE_DETAIL, detail }
    }

    pub fn stage(pipeline: &str, execution_id: &str, version: u32, stage: &str, state: &str) -> Self {
        let detail = json!({
            "pipeline": pipeline, "execution-id": execution_id, "stage": stage, "state": state, "version": version,
        });
        PendingEvent { pipeline: pipeline.into(), execution_id: execution_id.into(), detail_type: STAGE_DETAIL, detail }
    }

    pub fn action(pipeline: &str, execution_id: &str, version: u32, stage: &str, action: &str, state: &str, extra: Value) -> Self {
        let mut detail = json!({
            "pipeline": pipeline, "execution-id": execution_id, "stage": stage, "action": action,
            "state": state, "version": version,
        });
        merge(&mut detail, extra);
        PendingEvent { pipeline: pipeline.into(), execution_id: execution_id.into(), detail_type: ACTION_DETAIL, detail }
    }

    /// The full EventBridge envelope; `id` is filled with the outbox id's string form later.
    pub fn envelope(&self, account: &Account, pipeline_arn: &str, time_ms: i64) -> Value {
        json!({
            "version": "0",
            "detail-type": self.detail_type,
            "source": "aws.codepipeline",
            "account": account.id,
            "time": rfc3339(time_ms),
            "region": account.region,
            "resources": [pipeline_arn],
            "detail": self.detail,
        })
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// `2026-11-27T01:02:03Z`, computed without a date library (civil-from-days).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_741_323_000), "2026-11-27T01:02:03Z");
        assert_eq!(super::rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
