//! Deliveries of matched events to rule targets, and the outbox cursor they were made from.
use super::columns::wire;
use super::{Result, Store};
use crate::notify::{Delivery, DeliveryStatus};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The cursor of the rule dispatcher in `event_cursor`.
const RULES_CURSOR: &str = "rules";

/// A delivery the dispatcher found: one matched event for one target.
#[derive(Debug, Clone)]
pub(crate) struct NewDelivery {
    pub event_id: i64,
    pub rule_name: String,
    pub target_id: String,
    pub target_arn: String,
    pub payload: String,
}

impl Delivery {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Delivery {
            id: row.try_get("delivery_id")?,
            event_id: row.try_get("event_id")?,
            rule_name: row.try_get("rule_name")?,
            target_id: row.try_get("target_id")?,
            target_arn: row.try_get("target_arn")?,
            payload: row.try_get("payload")?,
            status: wire(row.try_get("status")?, DeliveryStatus::from_wire)?,
            attempts: row.try_get("attempts")?,
            next_try_ms: row.try_get("next_try_ms")?,
            last_response: row.try_get("last_response")?,
            created_ms: row.try_get("created_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

/// Adds a delivery, due now; one that was already recorded stays as it is.
pub(crate) async fn insert_delivery(conn: &mut AnyConnection, delivery: &NewDelivery, now: i64) -> Result<()> {
    sqlx::query(
        "insert into event_delivery (event_id, rule_name, target_id, target_arn, payload, next_try_ms,
             created_ms, updated_ms)
         values ($1, $2, $3, $4, $5, $6, $6, $6)
         on conflict (event_id, rule_name, target_id) do nothing",
    )
    .bind(delivery.event_id)
    .bind(&delivery.rule_name)
    .bind(&delivery.target_id)
    .bind(&delivery.target_arn)
    .bind(&delivery.payload)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "delivery_id, event_id, rule_name, target_id, target_arn, payload, status, attempts, \
                       next_try_ms, last_response, created_ms, updated_ms";

impl Store {
    /// The last outbox id the dispatcher has matched against the rules.
    pub(crate) async fn delivery_cursor(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("select event_id from event_cursor where name = $1")
            .bind(RULES_CURSOR)
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Records the deliveries of events `from < id <= to` and moves the cursor to `to`, in one
    /// transaction. False (and nothing written) when another process moved the cursor first.
    pub(crate) async fn record_deliveries(&self, from: i64, to: i64, new: &[NewDelivery], now: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query("update event_cursor set event_id = $3 where name = $1 and event_id = $2")
            .bind(RULES_CURSOR)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        for delivery in new {
            insert_delivery(&mut tx, delivery, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Claims up to `limit` pending deliveries that are due and not leased, counting an attempt
    /// for each; the conditions are repeated outside the subquery so that, on PostgreSQL, a row
    /// another process claimed meanwhile is skipped rather than claimed twice.
    pub(crate) async fn claim_deliveries(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "update event_delivery set lease_until_ms = $2, attempts = attempts + 1
             where delivery_id in (
                 select delivery_id from event_delivery
                 where status = 'PENDING' and next_try_ms <= $1 and lease_until_ms <= $1
                 order by next_try_ms limit $3)
             and status = 'PENDING' and lease_until_ms <= $1
             returning {COLUMNS}"
        ))
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Delivery::from_row).collect()
    }

    /// Writes an attempt's outcome: `status`, when to try next (pending ones) and the answer.
    pub(crate) async fn finish_delivery(
        &self,
        id: i64,
        status: DeliveryStatus,
        next_try_ms: i64,
        response: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "update event_delivery set status = $2, next_try_ms = $3, last_response = $4, lease_until_ms = 0,
                 updated_ms = $5
             where delivery_id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(next_try_ms)
        .bind(response)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest deliveries first, of one status or all.
    pub(crate) async fn deliveries(&self, status: Option<DeliveryStatus>, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from event_delivery where $1 = '' or status = $1 order by delivery_id desc limit $2"
        ))
        .bind(status.map_or("", DeliveryStatus::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Delivery::from_row).collect()
    }

    /// A dead delivery back in the queue with a fresh count of attempts; false if it is not dead.
    pub(crate) async fn replay_delivery(&self, id: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "update event_delivery set status = 'PENDING', attempts = 0, next_try_ms = $2, lease_until_ms = 0,
                 updated_ms = $2
             where delivery_id = $1 and status = 'DEAD'",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Frees every claimed delivery: on an embedded database no other process can hold one.
    pub(crate) async fn release_delivery_leases(&self) -> Result<()> {
        sqlx::query("update event_delivery set lease_until_ms = 0 where status = 'PENDING'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
