//! CodeConnections (formerly CodeStar Connections), AWS JSON 1.0, under both of its names:
//! `X-Amz-Target: com.amazonaws.codeconnections.CodeConnections_20231201.<Operation>` (also
//! without the `com.amazonaws.codeconnections.` part) signed for `codeconnections`, with IAM
//! actions `codeconnections:<Operation>` and ARNs `arn:aws:codeconnections:...`; and
//! `com.amazonaws.codestar.connections.CodeStar_connections_20191201.<Operation>` signed for
//! `codestar-connections`, with `codestar-connections:*` actions and ARNs. Both name the same
//! connections: an ARN of either name finds one, and answers use the caller's name.
//! Tokens are given with `sluice connection set-token`, never through this API.
mod operations;
pub mod webhook;

use super::error::{ApiError, ApiResult};
use crate::AppState;
use engine::connections::Namespace;
use engine::Caller;
use serde_json::Value;

/// The target prefixes, each with the name its requests use.
pub const TARGET_PREFIXES: [(&str, Namespace); 3] = [
    ("com.amazonaws.codeconnections.CodeConnections_20231201.", Namespace::CodeConnections),
    ("CodeConnections_20231201.", Namespace::CodeConnections),
    ("com.amazonaws.codestar.connections.CodeStar_connections_20191201.", Namespace::CodeStar),
];

service_operations!("codeconnections";
    CreateConnection,
    GetConnection,
    ListConnections,
    DeleteConnection,
    CreateHost,
    GetHost,
    ListHosts,
    DeleteHost,
);

/// The namespace and operation an `X-Amz-Target` names, if it is one of this service's.
pub fn parse_target(header: &str) -> Option<Option<(Namespace, Operation)>> {
    TARGET_PREFIXES.iter().find_map(|(prefix, namespace)| {
        let name = header.strip_prefix(prefix)?;
        Some(Operation::parse(name).map(|operation| (*namespace, operation)))
    })
}

pub fn signing_name(namespace: Namespace) -> &'static str {
    namespace.as_str()
}

pub fn event_source(namespace: Namespace) -> &'static str {
    match namespace {
        Namespace::CodeConnections => "codeconnections.amazonaws.com",
        Namespace::CodeStar => "codestar-connections.amazonaws.com",
    }
}

impl Operation {
    /// `<namespace>:<Operation>`, in the name the request used.
    pub fn iam_action_in(self, namespace: Namespace) -> String {
        format!("{}:{}", namespace.as_str(), self.name())
    }

    /// The resource IAM checks: the connection or host named, `connection/*` or `host/*` for the
    /// creations, `*` for the lists (as IAM's reference has them).
    pub fn resource_arn(self, namespace: Namespace, input: &Value, account: &engine::Account) -> String {
        let member = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let new = |kind: &str| format!("arn:aws:{}:{}:{}:{kind}/*", namespace.as_str(), account.region, account.id);
        match self {
            Operation::ListConnections | Operation::ListHosts => "*".to_owned(),
            Operation::CreateConnection => new("connection"),
            Operation::CreateHost => new("host"),
            Operation::GetConnection | Operation::DeleteConnection => member("ConnectionArn"),
            Operation::GetHost | Operation::DeleteHost => member("HostArn"),
        }
    }
}

pub async fn dispatch(
    state: &AppState,
    caller: &Caller,
    namespace: Namespace,
    operation: Operation,
    body: &[u8],
) -> ApiResult<Value> {
    use super::parse;
    use operations as op;
    let call = op::Call { state, namespace };
    match operation {
        Operation::CreateConnection => op::create_connection(call, parse(body)?).await,
        Operation::GetConnection => op::get_connection(call, parse(body)?).await,
        Operation::ListConnections => op::list_connections(call, parse(body)?).await,
        Operation::DeleteConnection => op::delete_connection(call, parse(body)?).await,
        Operation::CreateHost => op::create_host(call, caller, parse(body)?).await,
        Operation::GetHost => op::get_host(call, parse(body)?).await,
        Operation::ListHosts => op::list_hosts(call, parse(body)?).await,
        Operation::DeleteHost => op::delete_host(call, parse(body)?).await,
    }
}

/// A name the engine calls a conflict, as this service names it for the operation.
fn renamed(err: engine::EngineError, conflict: &'static str) -> ApiError {
    match err {
        engine::EngineError::Refused { why: engine::Refusal::Conflict, message } => ApiError::new(conflict, message),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_names_reach_the_same_operations() {
        let account = engine::Account { id: "000000000000".into(), region: "us-east-1".into() };
        let new = parse_target("com.amazonaws.codeconnections.CodeConnections_20231201.GetConnection");
        assert_eq!(new, Some(Some((Namespace::CodeConnections, Operation::GetConnection))));
        let old = parse_target("com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListHosts");
        assert_eq!(old, Some(Some((Namespace::CodeStar, Operation::ListHosts))));
        assert_eq!(parse_target("CodeConnections_20231201.UpdateHost"), Some(None));
        assert_eq!(parse_target("CodeCommit_20150413.GetBranch"), None);
        assert_eq!(Operation::CreateHost.iam_action_in(Namespace::CodeStar), "codestar-connections:CreateHost");
        let input = serde_json::json!({ "ConnectionArn": "arn:x" });
        for &operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.name()), Some(operation));
            let arn = operation.resource_arn(Namespace::CodeConnections, &input, &account);
            assert!(
                !arn.is_empty() || matches!(operation, Operation::GetHost | Operation::DeleteHost),
                "{operation:?}"
            );
        }
        assert_eq!(Operation::GetConnection.resource_arn(Namespace::CodeStar, &input, &account), "arn:x");
    }
}
