//! Invoke and approval actions.

use super::spec::{action, ActionTypeSpec, PropertySpec as P, BOOL};
use crate::pipeline::{ActionCategory, ActionOwner};

pub(super) const LAMBDA: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::Aws,
    "Lambda",
    "Invoke a Lambda function that reports back with PutJobSuccessResult",
    (0, 5),
    (0, 5),
    &[P::required("FunctionName", "Function name"), P::optional("UserParameters", "String passed to the function")],
    &[],
);

pub(super) const STEP_FUNCTIONS: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::Aws,
    "StepFunctions",
    "Start a Step Functions state machine",
    (0, 1),
    (0, 1),
    &[
        P::required("StateMachineArn", "State machine"),
        P::optional("ExecutionNamePrefix", "Execution name prefix"),
        P::optional("InputType", "Literal (default) or FilePath").one_of(&["Literal", "FilePath"]),
        P::optional("Input", "JSON input, or a file path when InputType is FilePath"),
    ],
    &["StateMachineArn", "ExecutionArn"],
);

pub(super) const CODE_PIPELINE: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::Aws,
    "CodePipeline",
    "Start another pipeline (V2)",
    (0, 0),
    (0, 0),
    &[
        P::required("PipelineName", "Pipeline to start"),
        P::optional("SourceRevisions", "JSON list of source revision overrides"),
        P::optional("Variables", "JSON list of pipeline variables"),
    ],
    &[],
);

pub(super) const INSPECTOR_SCAN: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::Aws,
    "InspectorScan",
    "Scan source code or an ECR image with Amazon Inspector",
    (0, 1),
    (1, 1),
    &[
        P::required("InspectorRunMode", "What to scan").one_of(&["SourceCodeScan", "ECRImageScan"]),
        P::optional("ECRRepositoryName", "Repository (ECRImageScan)"),
        P::optional("ImageTag", "Image tag (ECRImageScan)"),
        P::optional("CriticalThreshold", "Critical findings tolerated"),
        P::optional("HighThreshold", "High findings tolerated"),
        P::optional("MediumThreshold", "Medium findings tolerated"),
        P::optional("LowThreshold", "Low findings tolerated"),
    ],
    &["HighestScannedSeverity"],
);

pub(super) const SNYK: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::ThirdParty,
    "Snyk",
    "Scan dependencies with Snyk (partner action)",
    (1, 1),
    (0, 1),
    &[],
    &[],
);

pub(super) const MANUAL_APPROVAL: ActionTypeSpec = action(
    ActionCategory::Approval,
    ActionOwner::Aws,
    "Manual",
    "Wait for a person to approve or reject",
    (0, 0),
    (0, 0),
    &[
        P::optional("NotificationArn", "SNS topic to notify"),
        P::optional("CustomData", "Text shown to the approver"),
        P::optional("ExternalEntityLink", "URL to review"),
        P::optional("RequiredApprovals", "Sluice: how many different users must approve (default 1)")
            .one_of(REQUIRED_APPROVALS),
        P::optional("AllowSelfApproval", "Sluice: whether whoever started the execution may approve it (default true)")
            .one_of(BOOL),
    ],
    &[],
);

/// The values `RequiredApprovals` of a manual approval may take (Sluice's own property).
const REQUIRED_APPROVALS: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

/// Who must answer a manual approval, from Sluice's two properties of the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalRule {
    /// How many different users must approve before the action succeeds.
    pub required: usize,
    /// Whether the user who started the execution may be one of them.
    pub allow_self: bool,
}

impl ApprovalRule {
    /// Reads `RequiredApprovals` and `AllowSelfApproval` as resolved at run time (a variable may
    /// have put anything there); absent ones take CodePipeline's behaviour, one approver, anyone.
    pub fn parse(required: Option<&str>, allow_self: Option<&str>) -> Result<Self, String> {
        let required = match required {
            None => 1,
            Some(text) if REQUIRED_APPROVALS.contains(&text.trim()) => text.trim().parse().unwrap_or(1),
            Some(text) => return Err(format!("RequiredApprovals is '{text}'; it must be a whole number from 1 to 10")),
        };
        let allow_self = match allow_self.map(str::trim) {
            None => true,
            Some(text) if text.eq_ignore_ascii_case("true") => true,
            Some(text) if text.eq_ignore_ascii_case("false") => false,
            Some(text) => return Err(format!("AllowSelfApproval is '{text}'; it must be true or false")),
        };
        Ok(ApprovalRule { required, allow_self })
    }
}
