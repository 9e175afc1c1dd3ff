//! Custom action types: their declarations, and whether they were deleted (a deleted type keeps
//! its row, so its version can be restored with the same declaration but not reused).
use super::columns::{json, to_json};
use super::{conflict_on_unique, Result, Store};
use model::catalog::CustomActionType;
use model::ActionCategory;
use sqlx::Row;

/// A stored custom type and whether it was deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCustomType {
    pub declaration: CustomActionType,
    pub deleted: bool,
}

impl Store {
    /// The type with this id, deleted or not.
    pub(crate) async fn custom_type(
        &self,
        category: ActionCategory,
        provider: &str,
        version: &str,
    ) -> Result<Option<StoredCustomType>> {
        let row = sqlx::query(
            "select declaration, deleted from custom_action_type where category = $1 and provider = $2 and version = $3",
        )
        .bind(category.as_str())
        .bind(provider)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredCustomType {
                declaration: json(row.try_get("declaration")?)?,
                deleted: row.try_get::<i64, _>("deleted")? != 0,
            })
        })
        .transpose()
    }

    /// Every type that is not deleted, by category, provider and version.
    pub(crate) async fn live_custom_types(&self) -> Result<Vec<CustomActionType>> {
        let rows = sqlx::query(
            "select declaration from custom_action_type where deleted = 0 order by category, provider, version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| json(row.try_get("declaration")?)).collect()
    }

    /// Saves a new type; `Conflict` when its id is taken (deleted or not).
    pub(crate) async fn insert_custom_type(&self, declared: &CustomActionType, now: i64) -> Result<()> {
        sqlx::query(
            "insert into custom_action_type (category, provider, version, declaration, deleted, created_ms, updated_ms)
             values ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(declared.category.as_str())
        .bind(&declared.provider)
        .bind(&declared.version)
        .bind(to_json(declared))
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(conflict_on_unique)?;
        Ok(())
    }

    /// Replaces a type's declaration and sets whether it is deleted; false when there is no such type.
    pub(crate) async fn save_custom_type(&self, declared: &CustomActionType, deleted: bool, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "update custom_action_type set declaration = $4, deleted = $5, updated_ms = $6
             where category = $1 and provider = $2 and version = $3",
        )
        .bind(declared.category.as_str())
        .bind(&declared.provider)
        .bind(&declared.version)
        .bind(to_json(declared))
        .bind(i64::from(deleted))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
