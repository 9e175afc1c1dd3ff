//! Source actions: the only actions allowed in the first stage; they produce the first artifact.

use super::spec::{action, ActionTypeSpec, PropertySpec as P, BOOL, OUTPUT_ARTIFACT_FORMAT};
use crate::pipeline::{ActionCategory::Source, ActionOwner};

pub(super) const S3: ActionTypeSpec = action(
    Source,
    ActionOwner::Aws,
    "S3",
    "A zip object in a versioned S3 bucket",
    (0, 0),
    (1, 1),
    &[
        P::required("S3Bucket", "Bucket holding the source object (must be versioned)"),
        P::required("S3ObjectKey", "Key of the source object"),
        P::optional("PollForSourceChanges", "Poll for changes (default true)").one_of(BOOL),
        P::optional("AllowOverrideForS3ObjectKey", "Allow StartPipelineExecution to override the key").one_of(BOOL),
    ],
    &["ETag", "VersionId"],
);

pub(super) const CODE_COMMIT: ActionTypeSpec = action(
    Source,
    ActionOwner::Aws,
    "CodeCommit",
    "A branch of a CodeCommit repository",
    (0, 0),
    (1, 1),
    &[
        P::required("RepositoryName", "Repository name"),
        P::required("BranchName", "Branch to track"),
        P::optional("PollForSourceChanges", "Poll for changes").one_of(BOOL),
        P::optional("OutputArtifactFormat", "CODE_ZIP (default) or a clone reference").one_of(OUTPUT_ARTIFACT_FORMAT),
    ],
    &["AuthorDate", "BranchName", "CommitId", "CommitMessage", "CommitterDate", "RepositoryName"],
);

pub(super) const ECR: ActionTypeSpec = action(
    Source,
    ActionOwner::Aws,
    "ECR",
    "An image tag in an ECR repository (outputs imageDetail.json)",
    (0, 0),
    (1, 1),
    &[P::required("RepositoryName", "ECR repository name"), P::optional("ImageTag", "Tag to track (default latest)")],
    &["ImageDigest", "ImageTag", "ImageURI", "RegistryId", "RepositoryName"],
);

pub(super) const CODE_STAR_SOURCE_CONNECTION: ActionTypeSpec = action(
    Source,
    ActionOwner::Aws,
    "CodeStarSourceConnection",
    "A branch on GitHub, GitLab or Bitbucket through a connection",
    (0, 0),
    (1, 1),
    &[
        P::required("ConnectionArn", "Connection ARN"),
        P::required("FullRepositoryId", "owner/repository"),
        P::required("BranchName", "Branch to track"),
        P::optional("OutputArtifactFormat", "CODE_ZIP (default) or a clone reference").one_of(OUTPUT_ARTIFACT_FORMAT),
        P::optional("DetectChanges", "Start on new commits (default true)").one_of(BOOL),
    ],
    &["AuthorDate", "BranchName", "CommitId", "CommitMessage", "ConnectionArn", "FullRepositoryName"],
);

pub(super) const GITHUB_V1: ActionTypeSpec = action(
    Source,
    ActionOwner::ThirdParty,
    "GitHub",
    "Legacy GitHub (version 1) source with an OAuth token",
    (0, 0),
    (1, 1),
    &[
        P::required("Owner", "Repository owner"),
        P::required("Repo", "Repository name"),
        P::required("Branch", "Branch to track"),
        P::required("OAuthToken", "Personal access token").secret(),
        P::optional("PollForSourceChanges", "Poll for changes").one_of(BOOL),
    ],
    &["AuthorDate", "BranchName", "CommitId", "CommitMessage", "CommitterDate", "CommitUrl", "RepositoryName"],
);
