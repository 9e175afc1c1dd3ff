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
    /// A caller's request that CodePipeline refuses with the named exception
    /// (`PipelineExecutionNotStoppableException`, `InvalidApprovalTokenException`, ...).
    #[error("{message}")]
    Refused { exception: &'static str, message: String },
    /// The local file system failed (workspaces, artifacts).
    #[error("file system: {0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    pub fn refused(exception: &'static str, message: impl Into<String>) -> Self {
        EngineError::Refused { exception, message: message.into() }
    }
}

impl From<sqlx::Error> for EngineError {
    fn from(err: sqlx::Error) -> Self {
        EngineError::Store(err.into())
    }
}
