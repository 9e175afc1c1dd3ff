//! Pipelines, with every version of their declaration kept.
use super::{conflict_on_unique, tags, Result, Store, StoreError, Tag};
use crate::now_ms;
use model::PipelineDeclaration;
use sqlx::{AnyConnection, Row};

/// One stored version of a pipeline.
#[derive(Debug, Clone)]
pub struct PipelineRecord {
    /// The declaration as saved, with `version` set.
    pub declaration: PipelineDeclaration,
    /// When the pipeline was first created.
    pub created_ms: i64,
    /// When this version was saved.
    pub updated_ms: i64,
}

/// A row of ListPipelines.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSummary {
    pub name: String,
    pub version: i64,
    pub pipeline_type: String,
    pub execution_mode: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Store {
    /// Saves version 1 of a new pipeline (and its tags) in one transaction.
    /// `declaration.version` is ignored and set to 1.
    pub(crate) async fn create_pipeline(
        &self,
        declaration: &PipelineDeclaration,
        resource_arn: &str,
        tags: &[Tag],
    ) -> Result<PipelineRecord> {
        let mut saved = self.sealed(declaration).await?;
        saved.version = Some(1);
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let pipeline_id: i64 = sqlx::query_scalar(
            "insert into pipeline (name, latest_version, pipeline_type, execution_mode, created_ms, updated_ms)
             values ($1, 1, $2, $3, $4, $4) returning pipeline_id",
        )
        .bind(&saved.name)
        .bind(saved.effective_pipeline_type().as_str())
        .bind(saved.effective_execution_mode().as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_on_unique)?;
        insert_version(&mut tx, pipeline_id, &saved, now).await?;
        tags::replace_all(&mut tx, resource_arn, tags).await?;
        tx.commit().await?;
        Ok(PipelineRecord { declaration: saved, created_ms: now, updated_ms: now })
    }

    /// Saves the next version of an existing pipeline: the stored version plus 1.
    /// With `expected_version`, the save only happens if that is still the latest version
    /// (`Conflict` otherwise), so an editor never overwrites a change it has not seen.
    pub(crate) async fn update_pipeline(
        &self,
        declaration: &PipelineDeclaration,
        expected_version: Option<u32>,
    ) -> Result<PipelineRecord> {
        let mut saved = self.sealed(declaration).await?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // One statement both bumps and reads the version, so two concurrent updates cannot both
        // become version n+1.
        let row = sqlx::query(
            "update pipeline set latest_version = latest_version + 1, pipeline_type = $2,
                 execution_mode = $3, updated_ms = $4
             where name = $1 and ($5 is null or latest_version = $5)
             returning pipeline_id, latest_version, created_ms",
        )
        .bind(&declaration.name)
        .bind(declaration.effective_pipeline_type().as_str())
        .bind(declaration.effective_execution_mode().as_str())
        .bind(now)
        .bind(expected_version.map(i64::from))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return Err(match self.pipeline_exists(&declaration.name).await? {
                true => StoreError::Conflict,
                false => StoreError::NotFound,
            });
        };
        saved.version = Some(to_u32(row.try_get("latest_version")?)?);
        insert_version(&mut tx, row.try_get("pipeline_id")?, &saved, now).await?;
        tx.commit().await?;
        Ok(PipelineRecord { declaration: saved, created_ms: row.try_get("created_ms")?, updated_ms: now })
    }

    /// A copy of `declaration` with every secret configuration value sealed (values already
    /// sealed, kept from an earlier version through `****`, stay as they are).
    /// Custom action types name their own secret properties.
    async fn sealed(&self, declaration: &PipelineDeclaration) -> Result<PipelineDeclaration> {
        let custom = self.live_custom_types().await?;
        let mut saved = declaration.clone();
        for value in model::catalog::secret_values_mut_with(&mut saved, &custom) {
            if !crate::secrets::is_sealed(value) {
                *value = self.sealer()?.seal(crate::secrets::context::CONFIGURATION, value)?;
            }
        }
        Ok(saved)
    }

    /// The latest version, or the given one (secret configuration values sealed).
    pub(crate) async fn get_pipeline(&self, name: &str, version: Option<u32>) -> Result<PipelineRecord> {
        let row = sqlx::query(
            "select v.declaration, p.created_ms, v.created_ms as updated_ms
             from pipeline p join pipeline_version v on v.pipeline_id = p.pipeline_id
             where p.name = $1 and v.version = coalesce($2, p.latest_version)",
        )
        .bind(name)
        .bind(version.map(i64::from))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let text: String = row.try_get("declaration")?;
        let declaration =
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("pipeline {name:?}: {e}")))?;
        Ok(PipelineRecord {
            declaration,
            created_ms: row.try_get("created_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }

    /// Whether a pipeline of this name exists (any version).
    pub(crate) async fn pipeline_exists(&self, name: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("select pipeline_id from pipeline where name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Pipelines in name order, starting after `after`, at most `limit` of them.
    pub(crate) async fn list_pipelines(&self, after: Option<&str>, limit: i64) -> Result<Vec<PipelineSummary>> {
        let rows = sqlx::query(
            "select name, latest_version, pipeline_type, execution_mode, created_ms, updated_ms
             from pipeline where $1 is null or name > $1 order by name limit $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PipelineSummary {
                    name: row.try_get("name")?,
                    version: row.try_get("latest_version")?,
                    pipeline_type: row.try_get("pipeline_type")?,
                    execution_mode: row.try_get("execution_mode")?,
                    created_ms: row.try_get("created_ms")?,
                    updated_ms: row.try_get("updated_ms")?,
                })
            })
            .collect()
    }
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    pipeline_id: i64,
    declaration: &PipelineDeclaration,
    now: i64,
) -> Result<()> {
    let text = serde_json::to_string(declaration).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query("insert into pipeline_version (pipeline_id, version, declaration, created_ms) values ($1, $2, $3, $4)")
        .bind(pipeline_id)
        .bind(declaration.version.map(i64::from))
        .bind(text)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn to_u32(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("version {value} out of range")))
}

/// Deletes a pipeline with all its versions and tags inside the caller's transaction. Returns
/// false when there was none.
pub(crate) async fn delete_pipeline(conn: &mut AnyConnection, name: &str, resource_arn: &str) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar("delete from pipeline where name = $1 returning pipeline_id")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = id {
        sqlx::query("delete from pipeline_version where pipeline_id = $1").bind(id).execute(&mut *conn).await?;
        tags::replace_all(conn, resource_arn, &[]).await?;
        super::partner_clients::delete_of_pipeline(conn, name).await?;
    }
    Ok(id.is_some())
}
