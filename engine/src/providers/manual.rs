//! Manual approval: the action waits, with a token, until someone answers PutApprovalResult or
//! the timeout (`timeoutInMinutes`, 7 days by default) runs out. With Sluice's
//! `RequiredApprovals` it waits for that many different approvers (see `Engine::put_approval`).
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture, FailureKind};
use crate::now_ms;
use model::catalog::ApprovalRule;

pub struct ManualApproval;

impl ActionProvider for ManualApproval {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let setting = |key: &str| ctx.configuration.get(key).map(String::as_str);
            // Checked now, not at the first answer: a bad value resolved from a variable fails the action at once.
            let rule = ApprovalRule::parse(setting("RequiredApprovals"), setting("AllowSelfApproval"))
                .map_err(|message| ActionFailure { kind: FailureKind::ConfigurationError, message })?;
            let expires_ms = now_ms() + ctx.timeout.as_millis() as i64;
            let mut summary = match rule.required {
                1 => String::from("Waiting for approval"),
                n => format!("Waiting for {n} approvals"),
            };
            if let Some(data) = setting("CustomData") {
                summary = format!("{summary}: {data}");
            }
            ctx.log.line(format!("Approval requested; expires in {} minutes.", ctx.timeout.as_secs() / 60));
            Ok(ActionOutcome::Waiting { token: uuid::Uuid::new_v4().to_string(), expires_ms, summary: Some(summary) })
        })
    }

    /// An approval waits seven days for an answer.
    fn default_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(7 * 24 * 60 * 60)
    }
}
