//! The event outbox and stage transitions.
use super::{Result, Store, StoreError};
use serde_json::Value;
use sqlx::{AnyConnection, Row};
use std::sync::Arc;

/// One outbox entry: an EventBridge-shaped event with its position in the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub pipeline_name: String,
    pub execution_id: Option<String>,
    pub detail_type: String,
    pub body: Value,
    /// The body with its `id`, serialized once: what every stream subscriber is sent.
    pub wire: Arc<str>,
}

impl StoredEvent {
    pub(crate) fn new(
        id: i64,
        pipeline_name: String,
        execution_id: Option<String>,
        detail_type: String,
        body: Value,
    ) -> Self {
        let mut with_id = body.clone();
        with_id["id"] = Value::String(id.to_string());
        StoredEvent { id, pipeline_name, execution_id, detail_type, body, wire: with_id.to_string().into() }
    }

    /// Whether Sluice's engine wrote it about a pipeline. Clients may send events of any other
    /// source with PutEvents (never `aws.*`), which no live view and no approval may trust.
    pub fn is_pipeline_event(&self) -> bool {
        self.body["source"] == "aws.codepipeline"
    }
}

pub async fn append_event(
    conn: &mut AnyConnection,
    pipeline: &str,
    execution_id: Option<&str>,
    detail_type: &str,
    body: &Value,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "insert into event (pipeline_name, execution_id, detail_type, body, created_ms)
         values ($1, $2, $3, $4, $5) returning event_id",
    )
    .bind(pipeline)
    .bind(execution_id)
    .bind(detail_type)
    .bind(body.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRow {
    pub stage_name: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub last_changed_by: Option<String>,
    pub last_changed_ms: i64,
}

pub async fn transitions(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<TransitionRow>> {
    let rows = sqlx::query(
        "select stage_name, enabled, disabled_reason, last_changed_by, last_changed_ms
         from stage_transition where pipeline_name = $1",
    )
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TransitionRow {
                stage_name: r.try_get("stage_name")?,
                enabled: r.try_get::<i64, _>("enabled")? != 0,
                disabled_reason: r.try_get("disabled_reason")?,
                last_changed_by: r.try_get("last_changed_by")?,
                last_changed_ms: r.try_get("last_changed_ms")?,
            })
        })
        .collect()
}

pub async fn set_transition(conn: &mut AnyConnection, pipeline: &str, t: &TransitionRow) -> Result<()> {
    sqlx::query(
        "insert into stage_transition (pipeline_name, stage_name, enabled, disabled_reason, last_changed_by, last_changed_ms)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (pipeline_name, stage_name) do update set enabled = excluded.enabled,
             disabled_reason = excluded.disabled_reason, last_changed_by = excluded.last_changed_by,
             last_changed_ms = excluded.last_changed_ms",
    )
    .bind(pipeline)
    .bind(&t.stage_name)
    .bind(i64::from(t.enabled))
    .bind(&t.disabled_reason)
    .bind(&t.last_changed_by)
    .bind(t.last_changed_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The newest outbox id (0 when empty): where a new subscriber starts.
    pub(crate) async fn latest_event_id(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("select max(event_id) from event").fetch_one(&self.pool).await?;
        Ok(id.unwrap_or(0))
    }

    /// Outbox entries after `after_id`, oldest first: what a reconnecting subscriber missed.
    pub(crate) async fn events_after(&self, after_id: i64, limit: i64) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "select event_id, pipeline_name, execution_id, detail_type, body from event
             where event_id > $1 order by event_id limit $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                Ok(StoredEvent::new(
                    r.try_get("event_id")?,
                    r.try_get("pipeline_name")?,
                    r.try_get("execution_id")?,
                    r.try_get("detail_type")?,
                    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ))
            })
            .collect()
    }
}

impl Store {
    /// Appends events that belong to no execution (custom events, pushes) in one transaction;
    /// answers them as stored, for the live subscribers.
    pub(crate) async fn append_events(&self, events: &[(String, Value)], now: i64) -> Result<Vec<StoredEvent>> {
        let mut tx = self.pool.begin().await?;
        let mut stored = Vec::with_capacity(events.len());
        for (detail_type, body) in events {
            let id = append_event(&mut tx, "", None, detail_type, body, now).await?;
            stored.push(StoredEvent::new(id, String::new(), None, detail_type.clone(), body.clone()));
        }
        tx.commit().await?;
        Ok(stored)
    }
}
