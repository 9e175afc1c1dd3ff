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

    /// The latest version of each key of `bucket` at or after `from` and after `after`, in S3's
    /// order (UTF-8 bytes: PostgreSQL compares with collation "C", SQLite's default is binary).
    pub(crate) async fn latest_objects_from(
        &self,
        bucket: &str,
        (from, after): (&str, &str),
        limit: u32,
    ) -> Result<Vec<ObjectVersion>> {
        let order = self.byte_order();
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from object_version where seq in
               (select max(seq) from object_version
                where bucket = $1 and object_key {order} >= $2 and object_key {order} > $3 group by object_key)
             order by object_key {order} limit $4"
        ))
        .bind(bucket)
        .bind(from)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Up to `limit` versions of the keys of `bucket` from `from` on, by key in byte order then
    /// newest first, after the version `after` = (key, version id) (after every version of the key
    /// when the id is empty); each with whether it is its key's latest.
    pub(crate) async fn object_versions_from(
        &self,
        bucket: &str,
        from: &str,
        (after_key, after_version): (&str, &str),
        limit: u32,
    ) -> Result<Vec<(ObjectVersion, bool)>> {
        let order = self.byte_order();
        let rows = sqlx::query(&format!(
            "select {COLUMNS}, seq,
               (select max(seq) from object_version newest
                where newest.bucket = object_version.bucket and newest.object_key = object_version.object_key) as latest_seq
             from object_version
             where bucket = $1 and object_key {order} >= $2 and (object_key {order} > $3 or (object_key = $3 and seq <
               coalesce((select seq from object_version marker
                         where marker.bucket = $1 and marker.object_key = $3 and marker.version_id = $4), 0)))
             order by object_key {order}, seq desc limit $5"
        ))
        .bind(bucket)
        .bind(from)
        .bind(after_key)
        .bind(after_version)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let (seq, latest): (i64, i64) = (row.try_get("seq")?, row.try_get("latest_seq")?);
                Ok((decode(row)?, seq == latest))
            })
            .collect()
    }

    /// Every bucket holding an object, in byte order, with the time its first version was stored.
    pub(crate) async fn object_buckets(&self) -> Result<Vec<(String, i64)>> {
        let order = self.byte_order();
        let rows = sqlx::query(&format!(
            "select bucket, min(created_ms) as created_ms from object_version group by bucket order by bucket {order}"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("bucket")?, row.try_get("created_ms")?))).collect()
    }

    /// Removes the rows of one version of a key, or of all its versions, and returns them.
    pub(crate) async fn delete_object_versions(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Vec<ObjectVersion>> {
        let one = if version_id.is_some() { " and version_id = $3" } else { "" };
        let query =
            format!("delete from object_version where bucket = $1 and object_key = $2{one} returning {COLUMNS}");
        let mut query = sqlx::query(&query).bind(bucket).bind(key);
        if let Some(id) = version_id {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }

    /// The collation that makes text compare as S3 keys do, by UTF-8 bytes.
    fn byte_order(&self) -> &'static str {
        match self.backend {
            super::Backend::Postgres => "collate \"C\"",
            super::Backend::Sqlite => "",
        }
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
