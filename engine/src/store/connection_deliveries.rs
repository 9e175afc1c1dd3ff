//! A connection's webhook secret and the record of the deliveries to its webhook. The secret
//! is sealed with the connection's id as context, like its token.
use super::{Result, Store, StoreError};
use crate::connections::webhook::{DeliveryRecord, StartedRun};
use sqlx::any::AnyRow;
use sqlx::Row;

/// How many deliveries are kept per connection: enough to see what a host sent lately.
const KEPT_DELIVERIES: i64 = 100;

fn secret_context(id: &str) -> String {
    format!("connection-webhook:{id}")
}

fn record_of(row: &AnyRow) -> Result<DeliveryRecord> {
    let executions: String = row.try_get("executions")?;
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        connection_id: row.try_get("connection_id")?,
        host_delivery_id: row.try_get("host_delivery_id")?,
        event: row.try_get("event")?,
        received_ms: row.try_get("received_ms")?,
        outcome: row.try_get("outcome")?,
        executions: serde_json::from_str(&executions)
            .map_err(|e| StoreError::Corrupt(format!("connection delivery executions: {e}")))?,
    })
}

fn executions_text(executions: &[StartedRun]) -> Result<String> {
    serde_json::to_string(executions).map_err(|e| StoreError::Corrupt(format!("connection delivery executions: {e}")))
}

impl Store {
    /// Seals and keeps `secret` as the connection's webhook secret unless it has one; the
    /// secret it has afterwards, opened (None: no such connection).
    pub(crate) async fn ensure_connection_webhook_secret(&self, id: &str, secret: &str) -> Result<Option<String>> {
        let sealed = self.sealer()?.seal(&secret_context(id), secret)?;
        sqlx::query(
            "update connection set sealed_webhook_secret = $2
             where connection_id = $1 and sealed_webhook_secret is null",
        )
        .bind(id)
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        self.connection_webhook_secret(id).await
    }

    /// The connection's webhook secret, opened; None when it has none yet.
    pub(crate) async fn connection_webhook_secret(&self, id: &str) -> Result<Option<String>> {
        let sealed: Option<Option<String>> =
            sqlx::query_scalar("select sealed_webhook_secret from connection where connection_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match sealed.flatten() {
            Some(sealed) => Ok(Some(self.sealer()?.open(&secret_context(id), &sealed)?)),
            None => Ok(None),
        }
    }

    /// Records a delivery, and keeps only the newest ones of its connection. With a
    /// `dedupe_key` already recorded nothing is written and the earlier record is returned.
    pub(crate) async fn insert_connection_delivery(
        &self,
        record: &DeliveryRecord,
        dedupe_key: Option<&str>,
    ) -> Result<Option<DeliveryRecord>> {
        let inserted = sqlx::query(
            "insert into connection_delivery
             (id, connection_id, host_delivery_id, dedupe_key, event, received_ms, outcome, executions)
             values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (dedupe_key) do nothing",
        )
        .bind(&record.id)
        .bind(&record.connection_id)
        .bind(&record.host_delivery_id)
        .bind(dedupe_key)
        .bind(&record.event)
        .bind(record.received_ms)
        .bind(&record.outcome)
        .bind(executions_text(&record.executions)?)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            let earlier = sqlx::query("select * from connection_delivery where dedupe_key = $1")
                .bind(dedupe_key)
                .fetch_optional(&self.pool)
                .await?;
            return earlier.as_ref().map(record_of).transpose();
        }
        sqlx::query(
            "delete from connection_delivery where connection_id = $1 and id not in
             (select id from connection_delivery where connection_id = $1 order by received_ms desc, id limit $2)",
        )
        .bind(&record.connection_id)
        .bind(KEPT_DELIVERIES)
        .execute(&self.pool)
        .await?;
        Ok(None)
    }

    /// What a recorded delivery came to.
    pub(crate) async fn finish_connection_delivery(
        &self,
        id: &str,
        outcome: &str,
        executions: &[StartedRun],
    ) -> Result<()> {
        sqlx::query("update connection_delivery set outcome = $2, executions = $3 where id = $1")
            .bind(id)
            .bind(outcome)
            .bind(executions_text(executions)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The connection's recorded deliveries, newest first.
    pub(crate) async fn connection_deliveries(&self, connection_id: &str) -> Result<Vec<DeliveryRecord>> {
        let rows = sqlx::query(
            "select * from connection_delivery where connection_id = $1 order by received_ms desc, id desc",
        )
        .bind(connection_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_of).collect()
    }
}
