//! IAM-style policies: the JSON grammar, the built-in roles and the evaluation rule
//! (an explicit Deny wins, then any Allow, otherwise denied).
pub use model::Role;
use serde::Deserialize;
use serde_json::Value;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    actions: Matcher,
    resources: Matcher,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether they are negated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Matcher {
    patterns: Vec<String>,
    negated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows it.
    ImplicitDeny,
    ExplicitDeny,
}

/// A built-in role's policy. Every role may read and list objects and Editor may upload and
/// delete them; only Admin gets Sluice's other own actions (users, the audit trail).
pub fn of_role(role: Role) -> Policy {
    let document = match role {
        Role::Admin => serde_json::json!({ "Statement": { "Effect": "Allow", "Action": "*", "Resource": "*" } }),
        // Authors and runs pipelines and the event rules around them; answering approvals is the
        // Approver's part.
        Role::Editor => serde_json::json!({ "Statement": [
            { "Effect": "Allow", "Action": ["codepipeline:*", "codebuild:*", "codecommit:*", "codestar-connections:*", "codeconnections:*", "events:*", "sns:*", "sluice:GetObject", "sluice:PutObject", "sluice:DeleteObject", "sluice:ListBucket"], "Resource": "*" },
            { "Effect": "Deny", "Action": "codepipeline:PutApprovalResult", "Resource": "*" }
        ]}),
        // As AWS's AWSCodePipelineApproverAccess; narrower grants go in inline policies.
        Role::Approver => serde_json::json!({ "Statement": { "Effect": "Allow", "Resource": "*", "Action": [
            "codepipeline:GetPipeline", "codepipeline:GetPipelineState", "codepipeline:GetPipelineExecution",
            "codepipeline:ListPipelineExecutions", "codepipeline:ListPipelines", "codepipeline:PutApprovalResult",
            "sluice:GetObject", "sluice:ListBucket"
        ]}}),
        // Job details carry the action's secrets, for the worker that runs it: not for readers.
        Role::Viewer => serde_json::json!({ "Statement": [{
            "Effect": "Allow",
            "Action": [
                "codepipeline:Get*", "codepipeline:List*", "events:Describe*", "events:List*",
                "events:TestEventPattern", "sns:Get*", "sns:List*", "codebuild:BatchGet*", "codebuild:List*",
                "codecommit:Get*", "codecommit:List*", "codecommit:GitPull", "codestar-connections:Get*",
                "codestar-connections:List*", "codeconnections:Get*", "codeconnections:List*", "sluice:GetObject",
                "sluice:ListBucket"
            ],
            "Resource": "*"
        }, {
            "Effect": "Deny",
            "Action": ["codepipeline:GetJobDetails", "codepipeline:GetThirdPartyJobDetails"],
            "Resource": "*"
        }]}),
    };
    Policy::from_value(&document).expect("built-in policies parse")
}

/// What every user may do to themselves whatever their role, as IAM's self-service policies
/// allow: read themselves, change their password, manage their own access keys; and Sluice's
/// own, set the address their notifications go to.
pub fn self_service(user_arn: &str) -> Policy {
    let actions = [
        "iam:GetUser",
        "iam:ChangePassword",
        "iam:ListAccessKeys",
        "iam:CreateAccessKey",
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "sluice:UpdateOwnEmail",
    ];
    Policy::from_value(
        &serde_json::json!({ "Statement": { "Effect": "Allow", "Action": actions, "Resource": user_arn } }),
    )
    .expect("the self-service policy parses")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentWire {
    #[serde(rename = "Version")]
    _version: Option<String>,
    #[serde(rename = "Id")]
    _id: Option<String>,
    #[serde(rename = "Statement")]
    statement: OneOrMany<StatementWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementWire {
    #[serde(rename = "Sid")]
    _sid: Option<String>,
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Action")]
    action: Option<OneOrMany<String>>,
    #[serde(rename = "NotAction")]
    not_action: Option<OneOrMany<String>>,
    #[serde(rename = "Resource")]
    resource: Option<OneOrMany<String>>,
    #[serde(rename = "NotResource")]
    not_resource: Option<OneOrMany<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl Policy {
    /// Parses a policy document; conditions and principals are refused rather than ignored, since
    /// ignoring a condition would grant more than the author meant.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let value: Value = serde_json::from_str(text).map_err(|err| format!("The policy is not valid JSON: {err}"))?;
        Policy::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Policy, String> {
        let wire: DocumentWire = serde_json::from_value(value.clone()).map_err(|err| {
            format!("The policy does not follow IAM's grammar (Version, Statement with Sid, Effect, Action or NotAction, Resource or NotResource): {err}")
        })?;
        let statements = wire.statement.into_vec().into_iter().map(Statement::from_wire).collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }

    /// What this policy alone says about `action` on `resource`.
    pub fn decide(&self, action: &str, resource: &str) -> Decision {
        let matching =
            self.statements.iter().filter(|s| s.actions.matches(action, false) && s.resources.matches(resource, true));
        let mut decision = Decision::ImplicitDeny;
        for statement in matching {
            if !statement.allow {
                return Decision::ExplicitDeny;
            }
            decision = Decision::Allow;
        }
        decision
    }
}

/// The combined answer of several policies: one explicit Deny anywhere wins over every Allow.
pub fn decide_all<'a>(policies: impl IntoIterator<Item = &'a Policy>, action: &str, resource: &str) -> Decision {
    let mut decision = Decision::ImplicitDeny;
    for policy in policies {
        match policy.decide(action, resource) {
            Decision::ExplicitDeny => return Decision::ExplicitDeny,
            Decision::Allow => decision = Decision::Allow,
            Decision::ImplicitDeny => {}
        }
    }
    decision
}

impl Statement {
    fn from_wire(wire: StatementWire) -> Result<Statement, String> {
        let allow = match wire.effect.as_str() {
            "Allow" => true,
            "Deny" => false,
            other => return Err(format!("Effect must be \"Allow\" or \"Deny\", not {other:?}.")),
        };
        let actions = Matcher::either("Action", wire.action, wire.not_action)?;
        let resources = Matcher::either("Resource", wire.resource, wire.not_resource)?;
        Ok(Statement { allow, actions, resources })
    }
}

impl Matcher {
    fn either(
        name: &str,
        plain: Option<OneOrMany<String>>,
        negated: Option<OneOrMany<String>>,
    ) -> Result<Matcher, String> {
        match (plain, negated) {
            (Some(patterns), None) => Ok(Matcher { patterns: patterns.into_vec(), negated: false }),
            (None, Some(patterns)) => Ok(Matcher { patterns: patterns.into_vec(), negated: true }),
            _ => Err(format!("A statement needs exactly one of {name} and Not{name}.")),
        }
    }

    /// Actions compare without regard to case, as IAM does; resource ARNs compare exactly.
    fn matches(&self, text: &str, case_sensitive: bool) -> bool {
        let hit = self.patterns.iter().any(|pattern| {
            if case_sensitive {
                wildcard_match(pattern.as_bytes(), text.as_bytes())
            } else {
                wildcard_match(pattern.to_ascii_lowercase().as_bytes(), text.to_ascii_lowercase().as_bytes())
            }
        });
        hit != self.negated
    }
}

/// `*` matches any run of characters (slashes and colons too, as in IAM), `?` any one.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIPE: &str = "arn:aws:codepipeline:us-east-1:000000000000:web";

    #[test]
    fn wildcards() {
        assert!(wildcard_match(b"codepipeline:Get*", b"codepipeline:GetPipeline"));
        assert!(wildcard_match(
            b"arn:aws:codepipeline:*:*:web/*",
            b"arn:aws:codepipeline:us-east-1:0:web/Prod/Approve"
        ));
        assert!(!wildcard_match(b"arn:aws:codepipeline:*:*:web/*", b"arn:aws:codepipeline:us-east-1:0:web"));
        assert!(wildcard_match(b"a?c", b"abc"));
        assert!(!wildcard_match(b"a?c", b"ac"));
        assert!(wildcard_match(b"*", b""));
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let policy = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"codepipeline:*","Resource":"*"},
                {"Effect":"Deny","Action":"codepipeline:DeletePipeline","Resource":"arn:aws:codepipeline:*:*:web"}]}"#,
        )
        .unwrap();
        assert_eq!(policy.decide("codepipeline:DeletePipeline", PIPE), Decision::ExplicitDeny);
        assert_eq!(
            policy.decide("codepipeline:DeletePipeline", "arn:aws:codepipeline:us-east-1:000000000000:api"),
            Decision::Allow
        );
        assert_eq!(policy.decide("codepipeline:getpipeline", PIPE), Decision::Allow);
        assert_eq!(
            decide_all([&policy, &of_role(Role::Admin)], "codepipeline:DeletePipeline", PIPE),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn not_action_and_not_resource() {
        let policy = Policy::parse(
            r#"{"Statement":{"Effect":"Allow","NotAction":"codepipeline:Delete*","NotResource":"arn:aws:codepipeline:*:*:secret*"}}"#,
        )
        .unwrap();
        assert_eq!(policy.decide("codepipeline:GetPipeline", PIPE), Decision::Allow);
        assert_eq!(policy.decide("codepipeline:DeletePipeline", PIPE), Decision::ImplicitDeny);
        assert_eq!(
            policy.decide("codepipeline:GetPipeline", "arn:aws:codepipeline:us-east-1:0:secret-app"),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn every_user_may_manage_only_their_own_keys_and_password() {
        let ann = "arn:aws:iam::000000000000:user/ann";
        let policies = [of_role(Role::Viewer), self_service(ann)];
        assert_eq!(decide_all(&policies, "iam:CreateAccessKey", ann), Decision::Allow);
        assert_eq!(decide_all(&policies, "iam:ChangePassword", ann), Decision::Allow);
        assert_eq!(
            decide_all(&policies, "iam:CreateAccessKey", "arn:aws:iam::000000000000:user/bob"),
            Decision::ImplicitDeny
        );
        assert_eq!(decide_all(&policies, "iam:CreateUser", ann), Decision::ImplicitDeny);
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        let refused = |text: &str| Policy::parse(text).unwrap_err();
        assert!(refused("{").contains("not valid JSON"));
        assert!(refused(r#"{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}"#).contains("Effect"));
        assert!(refused(r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#).contains("Resource"));
        let with_condition = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}"#;
        assert!(refused(with_condition).contains("grammar"));
    }
}
