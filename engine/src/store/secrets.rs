//! The secret store's rows: names in the clear, values sealed under the master key and bound to
//! their name (a sealed value moved to another row does not open).
use super::{Result, Store, StoreError};
use crate::now_ms;
use crate::secrets::{context, validate_name};
use sqlx::Row;

/// A secret as `sluice secret list` shows it: never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSummary {
    pub name: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Store {
    /// Stores `value` under `name`, replacing an earlier value; true when the secret is new.
    pub(crate) async fn put_secret(&self, name: &str, value: &str) -> Result<bool> {
        validate_name(name)?;
        let sealed = self.sealer()?.seal(&context::secret(name), value)?;
        let now = now_ms();
        // Asked in the same transaction as the write: two writes within one millisecond cannot be
        // told apart by their timestamps.
        let mut tx = self.pool.begin().await?;
        let existed: i64 = sqlx::query_scalar("select count(*) from secret where secret_name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "insert into secret (secret_name, sealed_value, created_ms, updated_ms) values ($1, $2, $3, $3)
             on conflict (secret_name) do update set sealed_value = excluded.sealed_value, updated_ms = excluded.updated_ms",
        )
        .bind(name)
        .bind(&sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(existed == 0)
    }

    /// The plain value of a secret, or `None` when there is no secret of that name.
    pub(crate) async fn secret_value(&self, name: &str) -> Result<Option<String>> {
        let sealed: Option<String> = sqlx::query_scalar("select sealed_value from secret where secret_name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        match sealed {
            Some(sealed) => Ok(Some(self.sealer()?.open(&context::secret(name), &sealed)?)),
            None => Ok(None),
        }
    }

    /// Every secret's name and dates, in name order.
    pub(crate) async fn list_secrets(&self) -> Result<Vec<SecretSummary>> {
        let rows = sqlx::query("select secret_name, created_ms, updated_ms from secret order by secret_name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SecretSummary {
                    name: row.try_get("secret_name")?,
                    created_ms: row.try_get("created_ms")?,
                    updated_ms: row.try_get("updated_ms")?,
                })
            })
            .collect()
    }

    /// Deletes a secret; `NotFound` if there is none of that name.
    pub(crate) async fn delete_secret(&self, name: &str) -> Result<()> {
        let done = sqlx::query("delete from secret where secret_name = $1").bind(name).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
