//! Rows of webhooks. The declaration is stored as JSON with its SecretToken sealed, so a copy
//! of the database does not hand out the secret that signs deliveries.
use super::{Result, Store, StoreError};
use crate::secrets::context;
use crate::webhooks::{Webhook, WebhookDefinition};
use sqlx::any::AnyRow;
use sqlx::Row;

impl Store {
    /// Inserts the webhook with `token`, or replaces the declaration of the one of that name
    /// (keeping its token). False, and nothing written, when a new webhook would be past `limit`.
    pub(crate) async fn put_webhook(
        &self,
        definition: &WebhookDefinition,
        token: &str,
        now_ms: i64,
        limit: usize,
    ) -> Result<bool> {
        let mut stored = definition.clone();
        if let Some(secret) = &definition.authentication_configuration.secret_token {
            let sealed = self.sealer()?.seal(&context::webhook(&definition.name), secret)?;
            stored.authentication_configuration.secret_token = Some(sealed);
        }
        let json = serde_json::to_string(&stored).map_err(|err| StoreError::Corrupt(format!("webhook: {err}")))?;
        // The write comes first, so the transaction holds SQLite's write lock before it reads.
        let mut tx = self.pool.begin().await?;
        let kept_token: String = sqlx::query_scalar(
            "insert into webhook (name, definition, token, created_ms, updated_ms) values ($1, $2, $3, $4, $4)
             on conflict (name) do update set definition = excluded.definition, updated_ms = excluded.updated_ms
             returning token",
        )
        .bind(&definition.name)
        .bind(json)
        .bind(token)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        if kept_token == token {
            let count: i64 = sqlx::query_scalar("select count(*) from webhook").fetch_one(&mut *tx).await?;
            if count > limit as i64 {
                return Ok(false); // dropping the transaction rolls the insert back
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn webhook(&self, name: &str) -> Result<Option<Webhook>> {
        let row = sqlx::query("select * from webhook where name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.map(|row| self.webhook_of(&row)).transpose()
    }

    pub(crate) async fn webhook_by_token(&self, token: &str) -> Result<Option<Webhook>> {
        let row = sqlx::query("select * from webhook where token = $1").bind(token).fetch_optional(&self.pool).await?;
        row.map(|row| self.webhook_of(&row)).transpose()
    }

    pub(crate) async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = sqlx::query("select * from webhook order by name").fetch_all(&self.pool).await?;
        rows.iter().map(|row| self.webhook_of(row)).collect()
    }

    /// The webhook and its tags.
    pub(crate) async fn delete_webhook(&self, name: &str, arn: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("delete from webhook where name = $1").bind(name).execute(&mut *tx).await?;
        super::tags::replace_all(&mut tx, arn, &[]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A delivery's outcome: when it started the pipeline, or why it failed (cleared by a
    /// delivery that did not fail).
    pub(crate) async fn record_webhook_delivery(
        &self,
        name: &str,
        triggered_ms: Option<i64>,
        error: Option<(String, String)>,
    ) -> Result<()> {
        let (code, message) = error.unzip();
        sqlx::query(
            "update webhook set last_triggered_ms = coalesce($2, last_triggered_ms), error_code = $3,
             error_message = $4 where name = $1",
        )
        .bind(name)
        .bind(triggered_ms)
        .bind(code)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    fn webhook_of(&self, row: &AnyRow) -> Result<Webhook> {
        let text: String = row.try_get("definition")?;
        let mut definition: WebhookDefinition =
            serde_json::from_str(&text).map_err(|err| StoreError::Corrupt(format!("webhook: {err}")))?;
        if let Some(sealed) = &definition.authentication_configuration.secret_token {
            let secret = self.sealer()?.open(&context::webhook(&definition.name), sealed)?;
            definition.authentication_configuration.secret_token = Some(secret);
        }
        let error_code: Option<String> = row.try_get("error_code")?;
        let error_message: Option<String> = row.try_get("error_message")?;
        Ok(Webhook {
            definition,
            token: row.try_get("token")?,
            created_ms: row.try_get("created_ms")?,
            last_triggered_ms: row.try_get("last_triggered_ms")?,
            error: error_code.map(|code| (code, error_message.unwrap_or_default())),
        })
    }
}
