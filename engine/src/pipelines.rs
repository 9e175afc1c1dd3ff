//! Creating, updating and reading pipeline declarations.
use crate::scheduler::{Run, Tick};
use crate::store::{executions, pipelines};
use crate::{Engine, EngineError, PipelineRecord, PipelineSummary, Principal, Result, StartRequest, StoreError, Tag};
use model::{ExecutionMode, PipelineDeclaration, PipelineType, TriggerType};

impl Engine {
    /// Validates and saves version 1 of a new pipeline with its tags, then starts its first
    /// execution, as CodePipeline does, started by its creator. The creator must be allowed to
    /// read what the pipeline reads (`access`).
    pub async fn create_pipeline(
        &self,
        pipeline: PipelineDeclaration,
        tags: &[Tag],
        by: &Principal,
    ) -> Result<PipelineRecord> {
        let pipeline = self.prepared(pipeline).await?;
        self.check_pipeline_reads(&pipeline, by).await?;
        let arn = self.pipeline_arn(&pipeline.name);
        let record = self.store.create_pipeline(&pipeline, &arn, tags).await.map_err(|err| match err {
            StoreError::Conflict => EngineError::NameInUse(pipeline.name.clone()),
            other => other.into(),
        })?;
        let start = StartRequest { started_by: Some(by.clone()), ..StartRequest::new(TriggerType::CreatePipeline) };
        self.start_execution(&record.declaration.name, start).await?;
        Ok(record)
    }

    /// Validates and saves the next version. When the declaration carries a `version`, it must be
    /// the latest one: saving over a version the caller never saw would drop someone's change.
    /// A secret configuration value sent as the `****` reads show keeps the stored value, so the
    /// API and the web editor can send back what they read. The user saving it must be allowed to
    /// read what it reads (`access`).
    pub async fn update_pipeline(&self, mut pipeline: PipelineDeclaration, by: &Principal) -> Result<PipelineRecord> {
        match self.store.get_pipeline(&pipeline.name, None).await {
            Ok(stored) => {
                let custom = self.store.live_custom_types().await?;
                model::catalog::keep_masked_secrets_with(&mut pipeline, &stored.declaration, &custom)
            }
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
        let based_on = pipeline.version;
        let pipeline = self.prepared(pipeline).await?;
        self.check_pipeline_reads(&pipeline, by).await?;
        self.store.update_pipeline(&pipeline, based_on).await.map_err(|err| match err {
            StoreError::NotFound => EngineError::PipelineNotFound(pipeline.name.clone()),
            StoreError::Conflict => {
                EngineError::StaleVersion { name: pipeline.name.clone(), based_on: based_on.unwrap_or_default() }
            }
            other => other.into(),
        })
    }

    /// The latest version of a pipeline, or the given one.
    pub async fn pipeline(&self, name: &str, version: Option<u32>) -> Result<PipelineRecord> {
        match self.store.get_pipeline(name, version).await {
            Err(StoreError::NotFound) => Err(match version {
                Some(version) if self.store.pipeline_exists(name).await? => {
                    EngineError::VersionNotFound { name: name.to_owned(), version }
                }
                _ => EngineError::PipelineNotFound(name.to_owned()),
            }),
            other => Ok(other?),
        }
    }

    /// A page of pipeline summaries in name order, after the name `after`.
    pub async fn list_pipelines(&self, after: Option<&str>, limit: i64) -> Result<Vec<PipelineSummary>> {
        Ok(self.store.list_pipelines(after, limit).await?)
    }

    pub async fn pipeline_exists(&self, name: &str) -> Result<bool> {
        Ok(self.store.pipeline_exists(name).await?)
    }

    /// Deletes a pipeline, its versions and its tags; true when there was one. Its active
    /// executions stop first, their actions abandoned, so nothing of it keeps running or waits in
    /// the approval inbox; their history stays.
    pub async fn delete_pipeline(&self, name: &str) -> Result<bool> {
        let mut tx = match self.lock(name).await {
            Err(EngineError::PipelineNotFound(_)) => return Ok(false),
            locked => locked?,
        };
        let mut tick = Tick::new(self);
        for exec in executions::active_executions(&mut tx, name).await? {
            let decl = self.declaration(name, exec.pipeline_version).await?;
            let mut run = Run::load(&mut tx, exec, decl).await?;
            crate::executions::stop(&mut run, &mut tick, true, Some("The pipeline was deleted.".into()));
            run.save(&mut tx).await?;
        }
        pipelines::delete_pipeline(&mut tx, name, &self.pipeline_arn(name)).await?;
        tick.commit(tx).await?;
        Ok(true)
    }
}

impl Engine {
    /// Fills in what AWS fills in (type V1, mode SUPERSEDED) and validates against this
    /// server's region (cross-region rules need to know which region is home) and the custom
    /// action types that exist now.
    async fn prepared(&self, mut pipeline: PipelineDeclaration) -> Result<PipelineDeclaration> {
        pipeline.pipeline_type.get_or_insert(PipelineType::V1);
        pipeline.execution_mode.get_or_insert(ExecutionMode::Superseded);
        let custom = self.store.live_custom_types().await?;
        let errors =
            model::validate_with_custom_types(&pipeline, &self.account.region, model::CustomTypes::Known(&custom));
        if errors.is_empty() {
            Ok(pipeline)
        } else {
            Err(EngineError::Invalid(errors))
        }
    }
}
