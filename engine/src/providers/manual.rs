//! Manual approval: the action waits, with a token, until someone answers PutApprovalResult or
//! the timeout (`timeoutInMinutes`, 7 days by default) runs out.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture};
use crate::store::now_ms;

pub struct ManualApproval;

impl ActionProvider for ManualApproval {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let expires_ms = now_ms() + ctx.timeout.as_millis() as i64;
            let mut summary = String::from("Waiting for approval");
            if let Some(data) = ctx.configuration.get("CustomData") {
                summary = format!("{summary}: {data}");
            }
            ctx.log.line(format!("Approval requested; expires in {} minutes.", ctx.timeout.as_secs() / 60));
            Ok(ActionOutcome::Waiting { token: uuid::Uuid::new_v4().to_string(), expires_ms, summary: Some(summary) })
        })
    }
}
