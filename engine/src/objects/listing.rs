//! Listing and removing what the store holds, for the S3 API: keys in S3's order, buckets, and
//! deletion. The store keeps no delete markers: a delete removes versions (rows, then files).
use super::{names::validate_version_id, validate_bucket, validate_key, ObjectStore, ObjectVersion, Result};
use std::fs;

impl ObjectStore {
    /// Up to `limit` keys of `bucket` that are `>= from` and `> after`, each with its latest
    /// version, in byte order: a listing of the keys starting with a prefix begins at the prefix.
    pub async fn latest_from(&self, bucket: &str, from: &str, after: &str, limit: u32) -> Result<Vec<ObjectVersion>> {
        validate_bucket(bucket)?;
        Ok(self.store.latest_objects_from(bucket, (from, after), limit).await?)
    }

    /// Up to `limit` versions of the keys `>= from`, by key then newest first, after the version
    /// `(key, version id)` (after every version of the key when the id is empty), each with
    /// whether it is the latest of its key.
    pub async fn versions_from(
        &self,
        bucket: &str,
        from: &str,
        after: (&str, &str),
        limit: u32,
    ) -> Result<Vec<(ObjectVersion, bool)>> {
        validate_bucket(bucket)?;
        Ok(self.store.object_versions_from(bucket, from, after, limit).await?)
    }

    /// Every bucket that holds an object, with when its first version was stored (ms).
    pub async fn buckets(&self) -> Result<Vec<(String, i64)>> {
        Ok(self.store.object_buckets().await?)
    }

    /// Removes `version_id` of `bucket`/`key`, or every version when it is `None`, and returns
    /// what was removed (nothing if there was nothing). The rows go first: a crash between the
    /// two leaves an orphan file, never a row without its file.
    pub async fn delete(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<Vec<ObjectVersion>> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        version_id.map(validate_version_id).transpose()?;
        let removed = self.store.delete_object_versions(bucket, key, version_id).await?;
        for version in &removed {
            if let Ok(path) = self.path_of(version) {
                if let Err(err) = fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %err, "could not remove a deleted version's file");
                }
            }
        }
        Ok(removed)
    }
}
