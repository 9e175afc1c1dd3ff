//! The last revision known for each source action (table `source_poll`), and the reads change
//! detection needs to poll every pipeline's sources in a few queries rather than one per source.
use super::{Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;

/// One source action's last known revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePollRow {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    /// What the action watched when this was recorded (`s3://bucket/key`, or '' for other providers).
    pub source: String,
    /// '' while the source had no revision at all.
    pub revision_id: String,
    pub revision_change_id: Option<String>,
    pub execution_id: Option<String>,
    pub updated_ms: i64,
}

/// A pipeline's latest version and creation time, for deciding what to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineHead {
    pub name: String,
    pub latest_version: u32,
    pub created_ms: i64,
    /// When the latest version was saved.
    pub updated_ms: i64,
}

/// The newest version of one object key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestObject {
    pub bucket: String,
    pub key: String,
    pub version_id: String,
    pub etag: String,
    pub created_ms: i64,
    /// Who uploaded it (a user ARN), when known.
    pub created_by: Option<String>,
}

const COLUMNS: &str =
    "pipeline_name, stage_name, action_name, source, revision_id, revision_change_id, execution_id, updated_ms";

/// Bounds the bind parameters of one statement (SQLite allows 32766, PostgreSQL 65535).
const KEYS_PER_QUERY: usize = 200;

impl SourcePollRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(SourcePollRow {
            pipeline_name: row.try_get("pipeline_name")?,
            stage_name: row.try_get("stage_name")?,
            action_name: row.try_get("action_name")?,
            source: row.try_get("source")?,
            revision_id: row.try_get("revision_id")?,
            revision_change_id: row.try_get("revision_change_id")?,
            execution_id: row.try_get("execution_id")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

impl Store {
    /// Every pipeline's name, latest version and creation time.
    pub(crate) async fn pipeline_heads(&self) -> Result<Vec<PipelineHead>> {
        let rows = sqlx::query("select name, latest_version, created_ms, updated_ms from pipeline order by name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let version: i64 = row.try_get("latest_version")?;
                Ok(PipelineHead {
                    name: row.try_get("name")?,
                    latest_version: u32::try_from(version)
                        .map_err(|_| StoreError::Corrupt(format!("version {version}")))?,
                    created_ms: row.try_get("created_ms")?,
                    updated_ms: row.try_get("updated_ms")?,
                })
            })
            .collect()
    }

    /// Every recorded source revision.
    pub(crate) async fn source_polls(&self) -> Result<Vec<SourcePollRow>> {
        let rows = sqlx::query(&format!("select {COLUMNS} from source_poll")).fetch_all(&self.pool).await?;
        rows.iter().map(SourcePollRow::from_row).collect()
    }

    pub(crate) async fn source_poll(&self, pipeline: &str, stage: &str, action: &str) -> Result<Option<SourcePollRow>> {
        let row = sqlx::query(&format!(
            "select {COLUMNS} from source_poll where pipeline_name = $1 and stage_name = $2 and action_name = $3"
        ))
        .bind(pipeline)
        .bind(stage)
        .bind(action)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(SourcePollRow::from_row).transpose()
    }

    /// Records `new` in place of `previous` (the row as read, or none). Compare-and-set: false when
    /// another request or replica changed the row first, so only one of them reacts to a change.
    pub(crate) async fn replace_source_poll(
        &self,
        previous: Option<&SourcePollRow>,
        new: &SourcePollRow,
    ) -> Result<bool> {
        let done = match previous {
            None => {
                sqlx::query(&format!(
                    "insert into source_poll ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)
                     on conflict (pipeline_name, stage_name, action_name) do nothing"
                ))
                .bind(&new.pipeline_name)
                .bind(&new.stage_name)
                .bind(&new.action_name)
                .bind(&new.source)
                .bind(&new.revision_id)
                .bind(&new.revision_change_id)
                .bind(&new.execution_id)
                .bind(new.updated_ms)
                .execute(&self.pool)
                .await?
            }
            Some(old) => {
                sqlx::query(
                    "update source_poll set source = $4, revision_id = $5, revision_change_id = $6,
                         execution_id = $7, updated_ms = $8
                     where pipeline_name = $1 and stage_name = $2 and action_name = $3
                       and revision_id = $9 and updated_ms = $10",
                )
                .bind(&new.pipeline_name)
                .bind(&new.stage_name)
                .bind(&new.action_name)
                .bind(&new.source)
                .bind(&new.revision_id)
                .bind(&new.revision_change_id)
                .bind(&new.execution_id)
                .bind(new.updated_ms)
                .bind(&old.revision_id)
                .bind(old.updated_ms)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Notes which execution a recorded revision started.
    pub(crate) async fn set_source_poll_execution(&self, row: &SourcePollRow, execution_id: &str) -> Result<()> {
        sqlx::query(
            "update source_poll set execution_id = $5
             where pipeline_name = $1 and stage_name = $2 and action_name = $3 and revision_id = $4",
        )
        .bind(&row.pipeline_name)
        .bind(&row.stage_name)
        .bind(&row.action_name)
        .bind(&row.revision_id)
        .bind(execution_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a row, when the revision it recorded could not start anything.
    pub(crate) async fn delete_source_poll(&self, row: &SourcePollRow) -> Result<()> {
        sqlx::query(
            "delete from source_poll
             where pipeline_name = $1 and stage_name = $2 and action_name = $3 and revision_id = $4",
        )
        .bind(&row.pipeline_name)
        .bind(&row.stage_name)
        .bind(&row.action_name)
        .bind(&row.revision_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The version of a key that was the latest at `at_ms`, if there was one.
    pub(crate) async fn object_version_at(&self, bucket: &str, key: &str, at_ms: i64) -> Result<Option<LatestObject>> {
        let row = sqlx::query(
            "select bucket, object_key, version_id, etag, created_ms, created_by from object_version
             where bucket = $1 and object_key = $2 and created_ms <= $3 order by seq desc limit 1",
        )
        .bind(bucket)
        .bind(key)
        .bind(at_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(latest_object).transpose()
    }

    /// The newest version of each of these keys that has any, a few hundred keys per query.
    pub(crate) async fn latest_object_versions(&self, keys: &[(String, String)]) -> Result<Vec<LatestObject>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let wanted: Vec<String> = (0..chunk.len())
                .map(|i| format!("(bucket = ${} and object_key = ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "select bucket, object_key, version_id, etag, created_ms, created_by from object_version where seq in
                 (select max(seq) from object_version where {} group by bucket, object_key)",
                wanted.join(" or ")
            );
            let mut query = sqlx::query(&sql);
            for (bucket, key) in chunk {
                query = query.bind(bucket).bind(key);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(latest_object(&row)?);
            }
        }
        Ok(found)
    }
}

fn latest_object(row: &AnyRow) -> Result<LatestObject> {
    Ok(LatestObject {
        bucket: row.try_get("bucket")?,
        key: row.try_get("object_key")?,
        version_id: row.try_get("version_id")?,
        etag: row.try_get("etag")?,
        created_ms: row.try_get("created_ms")?,
        created_by: row.try_get("created_by")?,
    })
}
