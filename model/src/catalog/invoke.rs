//! Invoke and approval actions.

use super::spec::{action, ActionTypeSpec, PropertySpec as P};
use crate::pipeline::{ActionCategory, ActionOwner};

pub(super) const LAMBDA: ActionTypeSpec = action(
    ActionCategory::Invoke,
    ActionOwner::Aws,
    "Lambda",
    "Invoke a Lambda function that reports back with PutJobSuccessResult",
    (0, 5),
    (0, 5),
    &[
        P::required("FunctionName", "Function name"),
        P::optional("UserParameters", "String passed to the function"),
    ],
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
        P::optional(
            "Input",
            "JSON input, or a file path when InputType is FilePath",
        ),
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
    ],
    &[],
);
