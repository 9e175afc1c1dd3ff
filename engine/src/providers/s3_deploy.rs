//! Deploy / S3, run locally: the input artifact goes into Sluice's own object store, extracted
//! (each file under `ObjectKey` as a prefix) or as one zip object at `ObjectKey`, where
//! `{datetime}` and `{uuid}` are replaced as CodePipeline does. Objects are written as the
//! pipeline, so they are readable by those who may read the pipeline (objects follow pipelines).
//!
//! `KMSEncryptionKeyARN` names a key of Sluice's key store (`sluice kms create-key ID`), by id or
//! by an ARN ending in `key/ID` or `alias/ID`. The store keeps no ACLs and no per-object metadata,
//! so `CannedACL` and `CacheControl` are accepted and logged as having no effect here.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture};
use crate::objects::{artifact_files, key_id_of, ObjectError, ObjectStore, ObjectVersion};
use crate::Account;
use std::path::PathBuf;

pub struct S3Deploy {
    account: Account,
}

impl S3Deploy {
    pub fn new(account: Account) -> Self {
        S3Deploy { account }
    }
}

/// Where and how one action deploys, read from its configuration.
struct Target<'a> {
    bucket: &'a str,
    /// The object key (Extract=false) or the prefix (Extract=true, may be empty), placeholders replaced.
    key: String,
    extract: bool,
    encryption_key_id: Option<String>,
    writer: String,
}

impl ActionProvider for S3Deploy {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let target = self.target(ctx)?;
            let input = ctx
                .inputs
                .first()
                .ok_or_else(|| ActionFailure::configuration("The S3 deploy action needs one input artifact"))?;
            for ignored in ["CannedACL", "CacheControl"] {
                if let Some(value) = ctx.configuration.get(ignored) {
                    ctx.log.line(format!(
                        "{ignored}={value} has no effect: Sluice's object store keeps no ACLs or object metadata"
                    ));
                }
            }
            let objects = &ctx.services.objects;
            let summary = if target.extract {
                deploy_extracted(ctx, objects, &target, input.dir.clone()).await?
            } else {
                let version = objects
                    .put_dir(
                        target.bucket,
                        &target.key,
                        &input.dir,
                        target.encryption_key_id.as_deref(),
                        Some(&target.writer),
                    )
                    .await
                    .map_err(|err| write_failure(&target, &target.key, err))?;
                log_written(ctx, &version);
                format!(
                    "Deployed {} to s3://{}/{} version {}",
                    input.name, version.bucket, version.key, version.version_id
                )
            };
            Ok(ActionOutcome::Succeeded(ActionResult { summary: Some(summary), ..ActionResult::default() }))
        })
    }
}

impl S3Deploy {
    fn target<'a>(&self, ctx: &'a ActionContext) -> Result<Target<'a>, ActionFailure> {
        let config = |key: &str| ctx.configuration.get(key).map(String::as_str).filter(|v| !v.trim().is_empty());
        let bucket = config("BucketName").ok_or_else(|| ActionFailure::configuration("BucketName is required"))?;
        let extract = match config("Extract").map(str::to_ascii_lowercase).as_deref() {
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ActionFailure::configuration(format!("Extract must be true or false, not {other:?}")))
            }
            None => return Err(ActionFailure::configuration("Extract is required (true or false)")),
        };
        let key = match config("ObjectKey") {
            Some(key) => with_placeholders(key),
            None if extract => String::new(),
            None => return Err(ActionFailure::configuration("ObjectKey is required when Extract is false")),
        };
        let encryption_key_id = config("KMSEncryptionKeyARN").map(|arn| key_id_of(arn).to_owned());
        if let Some(id) = &encryption_key_id {
            if !ctx.services.objects.keys().has_key(id) {
                return Err(ActionFailure::configuration(format!(
                    "KMSEncryptionKeyARN: {}",
                    ObjectError::UnknownKey { id: id.clone() }
                )));
            }
        }
        let writer = format!("arn:aws:codepipeline:{}:{}:{}", self.account.region, self.account.id, ctx.pipeline_name);
        Ok(Target { bucket, key, extract, encryption_key_id, writer })
    }
}

/// Puts each file of the unpacked artifact under the target's prefix; the summary says how many.
async fn deploy_extracted(
    ctx: &ActionContext,
    objects: &ObjectStore,
    target: &Target<'_>,
    dir: PathBuf,
) -> Result<String, ActionFailure> {
    let (files, skipped) = tokio::task::spawn_blocking(move || artifact_files(&dir))
        .await
        .map_err(|err| ActionFailure::job_failed(format!("listing the input artifact failed: {err}")))?
        .map_err(|err| ActionFailure::job_failed(format!("listing the input artifact failed: {err}")))?;
    for name in skipped {
        ctx.log.line(format!("Skipped {name}"));
    }
    let prefix = target.key.trim_end_matches('/');
    let mut bytes = 0;
    for (name, path) in &files {
        if ctx.cancel.is_cancelled() {
            return Err(ActionFailure::job_failed("Stopped before every file was written"));
        }
        let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        let version = objects
            .put_file_by(target.bucket, &key, path, target.encryption_key_id.as_deref(), Some(&target.writer))
            .await
            .map_err(|err| write_failure(target, &key, err))?;
        log_written(ctx, &version);
        bytes += version.size;
    }
    Ok(format!("Extracted {} files ({bytes} bytes) to s3://{}/{prefix}", files.len(), target.bucket))
}

fn log_written(ctx: &ActionContext, version: &ObjectVersion) {
    ctx.log.line(format!(
        "Wrote s3://{}/{} version {} ({} bytes)",
        version.bucket, version.key, version.version_id, version.size
    ));
}

/// A refused name is the configuration's fault; anything else is the store's.
fn write_failure(target: &Target<'_>, key: &str, err: ObjectError) -> ActionFailure {
    let message = format!("Writing s3://{}/{key} failed: {err}", target.bucket);
    match err {
        ObjectError::InvalidBucket { .. } | ObjectError::InvalidKey { .. } | ObjectError::UnknownKey { .. } => {
            ActionFailure::configuration(message)
        }
        _ => ActionFailure::job_failed(message),
    }
}

/// `{datetime}` as `2026-12-03_18-57-23` (UTC) and `{uuid}` as a new random UUID.
fn with_placeholders(key: &str) -> String {
    let datetime = model::time::rfc3339(crate::now_ms()).trim_end_matches('Z').replace('T', "_").replace(':', "-");
    key.replace("{datetime}", &datetime).replace("{uuid}", &uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_ids_come_from_ids_and_arns() {
        use crate::objects::key_id_of;
        assert_eq!(key_id_of("deploys"), "deploys");
        assert_eq!(key_id_of("arn:aws:kms:us-east-1:000000000000:key/deploys"), "deploys");
        assert_eq!(key_id_of("arn:aws:kms:us-east-1:000000000000:alias/web"), "web");
        assert_eq!(key_id_of("arn:aws:kms:us-east-1:000000000000:thing"), "arn:aws:kms:us-east-1:000000000000:thing");
    }

    #[test]
    fn placeholders_are_replaced() {
        let key = super::with_placeholders("release-{datetime}-{uuid}.zip");
        assert!(!key.contains('{'), "{key}");
        assert_eq!(key.len(), "release-2026-12-03_18-57-23-".len() + 36 + ".zip".len(), "{key}");
    }
}
