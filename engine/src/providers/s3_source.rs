//! S3 source: the latest version of an object in Sluice's versioned object store becomes the
//! action's output artifact, unchanged, with `ETag` and `VersionId` as variables.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture};
use super::{OutputArtifactPayload, Payload};
use crate::runs::Revision;
use indexmap::IndexMap;

pub struct S3Source;

impl ActionProvider for S3Source {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let setting = |key: &str| {
                ctx.configuration
                    .get(key)
                    .cloned()
                    .ok_or_else(|| ActionFailure::configuration(format!("{key} is required")))
            };
            let (bucket, key) = (setting("S3Bucket")?, setting("S3ObjectKey")?);
            let objects = &ctx.services.objects;
            let found = match &ctx.source_revision {
                Some(version_id) => objects.version(&bucket, &key, version_id).await,
                None => objects.latest(&bucket, &key).await,
            };
            let version = found
                .map_err(|e| ActionFailure::configuration(format!("s3://{bucket}/{key}: {e}")))?
                .ok_or_else(|| {
                    let message = match &ctx.source_revision {
                        Some(version_id) => format!("s3://{bucket}/{key} has no version {version_id}"),
                        None => format!(
                            "s3://{bucket}/{key} has no versions yet; upload one with PUT /objects/{bucket}/{key}"
                        ),
                    };
                    ActionFailure { kind: super::FailureKind::RevisionUnavailable, message }
                })?;
            let file = ctx.workspace.join("source-object");
            tokio::fs::create_dir_all(&ctx.workspace)
                .await
                .map_err(|e| ActionFailure::job_failed(format!("cannot create the workspace: {e}")))?;
            objects
                .read_to_file(&version, &file)
                .await
                .map_err(|e| ActionFailure::job_failed(format!("s3://{bucket}/{key} could not be read: {e}")))?;
            ctx.log.line(format!("Using s3://{bucket}/{key} version {} ({} bytes)", version.version_id, version.size));
            let outputs = ctx
                .action
                .output_artifacts
                .first()
                .map(|a| vec![OutputArtifactPayload { name: a.name.clone(), payload: Payload::File(file) }])
                .unwrap_or_default();
            let variables = IndexMap::from([
                ("ETag".to_owned(), version.etag.clone()),
                ("VersionId".to_owned(), version.version_id.clone()),
            ]);
            Ok(ActionOutcome::Succeeded(ActionResult {
                outputs,
                variables,
                summary: Some(format!("s3://{bucket}/{key} version {}", version.version_id)),
                revision: Some(Revision {
                    revision_id: version.version_id.clone(),
                    revision_change_id: Some(version.etag.clone()),
                    revision_summary: Some(format!("s3://{bucket}/{key}")),
                    revision_url: None,
                    created_ms: Some(version.created_ms),
                }),
                ..ActionResult::default()
            }))
        })
    }
}
