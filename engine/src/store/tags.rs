//! Tags on any taggable resource, keyed by its ARN.
use super::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Store {
    /// The resource's tags in key order.
    pub(crate) async fn list_tags(&self, resource_arn: &str) -> Result<Vec<Tag>> {
        let rows = sqlx::query("select tag_key, tag_value from resource_tag where resource_arn = $1 order by tag_key")
            .bind(resource_arn)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(Tag { key: row.try_get("tag_key")?, value: row.try_get("tag_value")? })).collect()
    }

    /// The tags of each of these resources in one query (a list page's worth of ARNs).
    pub(crate) async fn list_tags_of(
        &self,
        resource_arns: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<Tag>>> {
        let mut tags = std::collections::HashMap::<String, Vec<Tag>>::new();
        if resource_arns.is_empty() {
            return Ok(tags);
        }
        // `$n` placeholders, as every other query here writes them (both backends take them).
        let placeholders: Vec<String> = (1..=resource_arns.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "select resource_arn, tag_key, tag_value from resource_tag where resource_arn in ({}) \
             order by resource_arn, tag_key",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for arn in resource_arns {
            query = query.bind(arn);
        }
        for row in query.fetch_all(&self.pool).await? {
            let tag = Tag { key: row.try_get("tag_key")?, value: row.try_get("tag_value")? };
            tags.entry(row.try_get("resource_arn")?).or_default().push(tag);
        }
        Ok(tags)
    }

    /// Adds tags, overwriting the values of keys already present.
    pub(crate) async fn tag_resource(&self, resource_arn: &str, tags: &[Tag]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for tag in tags {
            upsert(&mut tx, resource_arn, tag).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes the given keys; keys that are not there are ignored, as AWS does.
    pub(crate) async fn untag_resource(&self, resource_arn: &str, keys: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for key in keys {
            sqlx::query("delete from resource_tag where resource_arn = $1 and tag_key = $2")
                .bind(resource_arn)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Replaces all of a resource's tags inside the caller's transaction.
pub(super) async fn replace_all(conn: &mut sqlx::AnyConnection, resource_arn: &str, tags: &[Tag]) -> Result<()> {
    sqlx::query("delete from resource_tag where resource_arn = $1").bind(resource_arn).execute(&mut *conn).await?;
    for tag in tags {
        upsert(conn, resource_arn, tag).await?;
    }
    Ok(())
}

async fn upsert(conn: &mut sqlx::AnyConnection, resource_arn: &str, tag: &Tag) -> Result<()> {
    sqlx::query(
        "insert into resource_tag (resource_arn, tag_key, tag_value) values ($1, $2, $3)
         on conflict (resource_arn, tag_key) do update set tag_value = excluded.tag_value",
    )
    .bind(resource_arn)
    .bind(&tag.key)
    .bind(&tag.value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
