//! Rows of the versioned object store: one per object version. The bytes are files the object store
//! owns (`crate::objects`); this table says which versions exist and what their content must hash to.
use super::{conflict_on_unique, Result, Store, StoreError};
use crate::objects::ObjectVersion;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "bucket, object_key, version_id, etag, sha256, size, encryption_key_id, created_ms, created_by";

impl Store {
    /// Records a version whose file is already durable. `Conflict` if the version id is taken.
    pub(crate) async fn insert_object_version(&self, version: &ObjectVersion) -> Result<()> {
        let size = i64::try_from(version.size).map_err(|_| StoreError::Corrupt("object size overflows".into()))?;
        sqlx::query(&format!("insert into object_version ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&version.bucket)
            .bind(&version.key)
            .bind(&version.version_id)
            .bind(&version.etag)
            .bind(&version.sha256)
            .bind(size)
            .bind(version.encryption_key_id.as_deref())
            .bind(version.created_ms)
            .bind(version.created_by.as_deref())
            .execute(&self.pool)
            .await
            .map_err(conflict_on_unique)?;
        Ok(())
    }

    /// The most recently stored version of a key.
    pub(crate) async fn latest_object_version(&self, bucket: &str, key: &str) -> Result<Option<ObjectVersion>> {
        Ok(self.object_versions(bucket, key, 1).await?.pop())
    }

    /// One version of a key.
    pub(crate) async fn object_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectVersion>> {
        let row = sqlx::query(&format!(
            "select {COLUMNS} from object_version where bucket = $1 and object_key = $2 and version_id = $3"
        ))
        .bind(bucket)
        .bind(key)
        .bind(version_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Up to `limit` versions of a key, newest first.
    pub(crate) async fn object_versions(&self, bucket: &str, key: &str, limit: u32) -> Result<Vec<ObjectVersion>> {
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from object_version where bucket = $1 and object_key = $2 order by seq desc limit $3"
        ))
        .bind(bucket)
        .bind(key)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// The pipelines (by ARN) that wrote any version of a key as an artifact.
    pub(crate) async fn object_writer_pipelines(&self, bucket: &str, key: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "select distinct created_by from object_version
             where bucket = $1 and object_key = $2 and created_by like 'arn:aws:codepipeline:%' order by created_by",
        )
        .bind(bucket)
        .bind(key)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn decode(row: &AnyRow) -> Result<ObjectVersion> {
    let size: i64 = row.try_get("size")?;
    Ok(ObjectVersion {
        bucket: row.try_get("bucket")?,
        key: row.try_get("object_key")?,
        version_id: row.try_get("version_id")?,
        etag: row.try_get("etag")?,
        sha256: row.try_get("sha256")?,
        size: u64::try_from(size).map_err(|_| StoreError::Corrupt(format!("negative object size {size}")))?,
        encryption_key_id: row.try_get("encryption_key_id")?,
        created_ms: row.try_get("created_ms")?,
        created_by: row.try_get("created_by")?,
    })
}
