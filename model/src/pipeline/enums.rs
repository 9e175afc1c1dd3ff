//! Closed vocabularies of the declaration, spelled exactly as CodePipeline spells them on the wire.

use serde::{Deserialize, Serialize};

/// Declares a wire enum once: variants, their exact JSON spelling, `as_str`, `from_wire`, `ALL`
/// and `Display`, so the spelling lives in one place and cannot drift between serde and the UI.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every value, in the API's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact wire spelling (a `const fn`, so SQL and other constants can use it).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// Parses the exact wire spelling (case-sensitive, like AWS).
            pub fn from_wire(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What kind of work an action does; decides which providers are valid.
    ActionCategory {
        Source => "Source",
        Build => "Build",
        Deploy => "Deploy",
        Test => "Test",
        Invoke => "Invoke",
        Approval => "Approval",
        Compute => "Compute",
    }
);

wire_enum!(
    /// Who implements the action type.
    ActionOwner {
        Aws => "AWS",
        ThirdParty => "ThirdParty",
        Custom => "Custom",
    }
);

wire_enum!(
    /// How concurrent executions interact (absent = SUPERSEDED).
    ExecutionMode {
        Queued => "QUEUED",
        Superseded => "SUPERSEDED",
        Parallel => "PARALLEL",
    }
);

wire_enum!(
    PipelineType {
        V1 => "V1",
        V2 => "V2",
    }
);

wire_enum!(
    ArtifactStoreType {
        S3 => "S3",
    }
);

wire_enum!(
    EncryptionKeyType {
        Kms => "KMS",
    }
);

wire_enum!(
    BlockerType {
        Schedule => "Schedule",
    }
);

wire_enum!(
    EnvironmentVariableType {
        Plaintext => "PLAINTEXT",
        SecretsManager => "SECRETS_MANAGER",
    }
);

wire_enum!(
    /// What happens when a stage condition fails (the API calls this type `Result`).
    ConditionResult {
        Rollback => "ROLLBACK",
        Fail => "FAIL",
        Retry => "RETRY",
        Skip => "SKIP",
    }
);

wire_enum!(
    StageRetryMode {
        FailedActions => "FAILED_ACTIONS",
        AllActions => "ALL_ACTIONS",
    }
);

wire_enum!(
    RuleCategory {
        Rule => "Rule",
    }
);

wire_enum!(
    RuleOwner {
        Aws => "AWS",
    }
);

wire_enum!(
    TriggerProviderType {
        CodeStarSourceConnection => "CodeStarSourceConnection",
    }
);

wire_enum!(
    GitPullRequestEventType {
        Open => "OPEN",
        Updated => "UPDATED",
        Closed => "CLOSED",
    }
);

// Runtime statuses, shared by the engine, the API and the UI.

wire_enum!(
    PipelineExecutionStatus {
        InProgress => "InProgress",
        Stopping => "Stopping",
        Stopped => "Stopped",
        Succeeded => "Succeeded",
        Superseded => "Superseded",
        Failed => "Failed",
        Cancelled => "Cancelled",
    }
);

impl PipelineExecutionStatus {
    /// Still running or stopping: holds or waits for stages.
    pub fn is_active(self) -> bool {
        match self {
            Self::InProgress | Self::Stopping => true,
            Self::Stopped | Self::Succeeded | Self::Superseded | Self::Failed | Self::Cancelled => false,
        }
    }
}

wire_enum!(
    StageExecutionStatus {
        InProgress => "InProgress",
        Stopping => "Stopping",
        Stopped => "Stopped",
        Succeeded => "Succeeded",
        Failed => "Failed",
        Cancelled => "Cancelled",
        Skipped => "Skipped",
    }
);

wire_enum!(
    ActionExecutionStatus {
        InProgress => "InProgress",
        Abandoned => "Abandoned",
        Succeeded => "Succeeded",
        Failed => "Failed",
    }
);

wire_enum!(
    /// Where a stage condition is checked (OverrideStageCondition's `conditionType`).
    ConditionType {
        BeforeEntry => "BEFORE_ENTRY",
        OnSuccess => "ON_SUCCESS",
        OnFailure => "ON_FAILURE",
    }
);

wire_enum!(
    /// The status of one evaluation of a stage condition.
    ConditionExecutionStatus {
        InProgress => "InProgress",
        Failed => "Failed",
        Errored => "Errored",
        Succeeded => "Succeeded",
        Cancelled => "Cancelled",
        Abandoned => "Abandoned",
        Overridden => "Overridden",
    }
);

wire_enum!(
    TriggerType {
        CreatePipeline => "CreatePipeline",
        StartPipelineExecution => "StartPipelineExecution",
        PollForSourceChanges => "PollForSourceChanges",
        Webhook => "Webhook",
        CloudWatchEvent => "CloudWatchEvent",
        PutActionRevision => "PutActionRevision",
        WebhookV2 => "WebhookV2",
        ManualRollback => "ManualRollback",
        AutomatedRollback => "AutomatedRollback",
    }
);

wire_enum!(
    /// A pipeline execution's type: a stage rollback runs one stage again with an earlier
    /// execution's artifacts.
    ExecutionType {
        Standard => "STANDARD",
        Rollback => "ROLLBACK",
    }
);

wire_enum!(
    /// Why a stage ran again: its OnFailure result RETRY, or RetryStageExecution.
    RetryTrigger {
        Automated => "AutomatedStageRetry",
        Manual => "ManualStageRetry",
    }
);
