//! The CodePipeline error shape: `{"__type": "...Exception", "message": "..."}` with HTTP 400.
use axum::http::StatusCode;
use engine::{EngineError, IdentityError, Refusal, StoreError};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// The caller's mistake, named as CodePipeline names it (`PipelineNotFoundException`, ...).
    Client { exception: &'static str, message: String },
    /// Our mistake; logged, and reported without details.
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(exception: &'static str, message: impl Into<String>) -> Self {
        ApiError::Client { exception, message: message.into() }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// The status, the `__type` and the body of the answer.
    pub fn parts(&self) -> (StatusCode, &'static str, serde_json::Value) {
        match self {
            ApiError::Client { exception, message } => {
                (StatusCode::BAD_REQUEST, exception, json!({ "__type": exception, "message": message }))
            }
            ApiError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                let message = "An internal error occurred; the server log has the details.";
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalFailure",
                    json!({ "__type": "InternalFailure", "message": message }),
                )
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Invalid(errors) => {
                // AWS reports one problem; say how many more there are so nobody fixes them one by one.
                let first = &errors[0];
                let more = match errors.len() {
                    1 => String::new(),
                    2 => " (and 1 more problem)".to_owned(),
                    n => format!(" (and {} more problems)", n - 1),
                };
                ApiError::new(first.exception.name(), format!("{}{more}", first.message))
            }
            EngineError::NameInUse(name) => {
                ApiError::new("PipelineNameInUseException", format!("A pipeline with the name '{name}' already exists"))
            }
            EngineError::PipelineNotFound(name) => {
                ApiError::new("PipelineNotFoundException", format!("The pipeline '{name}' does not exist"))
            }
            EngineError::VersionNotFound { name, version } => {
                ApiError::new("PipelineVersionNotFoundException", format!("Pipeline '{name}' has no version {version}"))
            }
            EngineError::StaleVersion { name, based_on } => ApiError::new(
                "InvalidStructureException",
                format!(
                    "Pipeline '{name}' was updated after version {based_on} was read; \
                     get the latest version and apply your change to it"
                ),
            ),
            EngineError::Refused { why, message } => ApiError::new(exception(why), message),
            EngineError::Io(_) | EngineError::Store(_) => ApiError::Internal(err.into()),
        }
    }
}

/// CodePipeline's name for each refusal.
fn exception(why: Refusal) -> &'static str {
    match why {
        Refusal::ExecutionNotFound => "PipelineExecutionNotFoundException",
        Refusal::StageNotFound => "StageNotFoundException",
        Refusal::ActionNotFound => "ActionNotFoundException",
        Refusal::NotStoppable => "PipelineExecutionNotStoppableException",
        Refusal::StopAlreadyRequested => "DuplicatedStopRequestException",
        Refusal::StageNotRetryable => "StageNotRetryableException",
        Refusal::NotLatestExecution => "NotLatestPipelineExecutionException",
        Refusal::ExecutionOutdated => "PipelineExecutionOutdatedException",
        Refusal::UnableToRollback => "UnableToRollbackStageException",
        Refusal::ConditionNotOverridable => "ConditionNotOverridableException",
        Refusal::InvalidApprovalToken => "InvalidApprovalTokenException",
        Refusal::ApprovalAlreadyAnswered => "ApprovalAlreadyCompletedException",
        Refusal::Conflict => "ConflictException",
        Refusal::ConcurrentModification => "ConcurrentModificationException",
        Refusal::NotAuthorized => "AccessDeniedException",
        Refusal::InvalidRequest => "ValidationException",
        Refusal::ResourceNotFound => "ResourceNotFoundException",
        Refusal::InvalidEventPattern => "InvalidEventPatternException",
        Refusal::LimitExceeded => "LimitExceededException",
        Refusal::ActionTypeNotFound => "ActionTypeNotFoundException",
        Refusal::ActionTypeAlreadyExists => "ActionTypeAlreadyExistsException",
        Refusal::JobNotFound => "JobNotFoundException",
        Refusal::InvalidNonce => "InvalidNonceException",
        Refusal::InvalidClientToken => "InvalidClientTokenException",
        Refusal::InvalidJobState => "InvalidJobStateException",
        Refusal::OutputVariablesSizeExceeded => "OutputVariablesSizeExceededException",
        Refusal::WebhookNotFound => "WebhookNotFoundException",
        Refusal::InvalidWebhookAuthentication => "InvalidWebhookAuthenticationParametersException",
        Refusal::InvalidWebhookFilterPattern => "InvalidWebhookFilterPatternException",
        Refusal::UnsupportedProvider => "UnsupportedProviderTypeException",
    }
}

/// Identity refusals named as IAM names them.
impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        let exception = match &err {
            IdentityError::Hashing(_) | IdentityError::Store(_) => return ApiError::Internal(err.into()),
            err if err.is_not_found() => "NoSuchEntityException",
            IdentityError::UserNameInUse(_) | IdentityError::GroupNameInUse(_) => "EntityAlreadyExistsException",
            IdentityError::InvalidPolicy(_) => "MalformedPolicyDocumentException",
            IdentityError::LastAdmin(_) => "DeleteConflictException",
            IdentityError::WrongPassword => "AccessDeniedException",
            IdentityError::PasswordTooShort | IdentityError::PasswordUnchanged => "PasswordPolicyViolationException",
            _ => "ValidationException",
        };
        ApiError::new(exception, err.to_string())
    }
}
