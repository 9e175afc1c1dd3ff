//! What can go wrong in the engine, in terms the API and the UI can each word for their users.
use crate::StoreError;
use model::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The declaration breaks one or more rules; every problem is listed.
    #[error("the pipeline is not valid: {}", .0.first().map(|e| e.message.as_str()).unwrap_or_default())]
    Invalid(Vec<ValidationError>),
    /// CreatePipeline with a name that is taken.
    #[error("a pipeline named {0:?} already exists")]
    NameInUse(String),
    /// No pipeline of that name.
    #[error("no pipeline named {0:?}")]
    PipelineNotFound(String),
    /// The pipeline exists but not at that version.
    #[error("pipeline {name:?} has no version {version}")]
    VersionNotFound { name: String, version: u32 },
    /// UpdatePipeline based on a version that is no longer the latest.
    #[error("pipeline {name:?} changed after version {based_on} was read")]
    StaleVersion { name: String, based_on: u32 },
    /// A well-formed request the pipeline's state or the caller's rights do not allow; `why` says
    /// which rule refused it (the API names the exception), `message` says it to a person.
    #[error("{message}")]
    Refused { why: Refusal, message: String },
    /// The local file system failed (workspaces, artifacts).
    #[error("file system: {0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// The rules a request can break. Each edge words them its own way: the API as CodePipeline's
/// exceptions, the web app as a message beside the control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ExecutionNotFound,
    StageNotFound,
    ActionNotFound,
    /// The execution has already finished.
    NotStoppable,
    /// A plain stop of an execution that is already stopping.
    StopAlreadyRequested,
    StageNotRetryable,
    /// A newer execution has entered the stage since.
    NotLatestExecution,
    /// The execution ran an older version of the pipeline.
    ExecutionOutdated,
    UnableToRollback,
    ConditionNotOverridable,
    InvalidApprovalToken,
    ApprovalAlreadyAnswered,
    /// Another execution holds what the request needs.
    Conflict,
    /// A concurrent request changed the same thing first; trying again may work.
    ConcurrentModification,
    /// The caller's policies do not allow what the request would make the pipeline do.
    NotAuthorized,
    /// A value of the request is wrong (an undeclared variable, a second approval by one user).
    InvalidRequest,
    /// The named resource (an event rule) does not exist.
    ResourceNotFound,
    /// An event pattern that does not parse, with the parser's reason.
    InvalidEventPattern,
    /// A limit on how many of something a resource may have (targets per rule).
    LimitExceeded,
    /// No (live) custom action type with that id.
    ActionTypeNotFound,
    /// A custom action type id that is taken, by a live type or a deleted one.
    ActionTypeAlreadyExists,
    /// No job with that id.
    JobNotFound,
    /// A nonce that is not the one the job was handed out with.
    InvalidNonce,
    /// A partner's clientToken that is not the one of the job's client.
    InvalidClientToken,
    /// A job that is not in a state that allows the request (over, or never polled).
    InvalidJobState,
    /// Output variables larger than CodePipeline allows.
    OutputVariablesSizeExceeded,
    /// No webhook of that name (or at that address).
    WebhookNotFound,
    /// A webhook's authentication and its configuration do not go together.
    InvalidWebhookAuthentication,
    /// A webhook filter that cannot be followed (a bad JsonPath, an unknown placeholder).
    InvalidWebhookFilterPattern,
    /// A provider type the service knows but Sluice cannot reach (a connection to Azure DevOps).
    UnsupportedProvider,
}

impl EngineError {
    pub fn refused(why: Refusal, message: impl Into<String>) -> Self {
        EngineError::Refused { why, message: message.into() }
    }
}

impl From<sqlx::Error> for EngineError {
    fn from(err: sqlx::Error) -> Self {
        EngineError::Store(err.into())
    }
}
