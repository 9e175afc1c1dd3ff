//! What `/metrics` reads from the database: counted when scraped, so every server on one
//! database reports the same totals.
use super::columns::IN_PROGRESS;
use super::{Result, Store};
use sqlx::Row;

/// Upper bounds (seconds) of the action duration histogram's buckets.
pub const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0, 3600.0];

/// The database's side of the figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredFigures {
    pub executions_by_status: Vec<(String, i64)>,
    pub actions_by_status: Vec<(String, i64)>,
    /// Finished actions: how many took at most each of `DURATION_BUCKETS` (cumulative), in all,
    /// and their total milliseconds.
    pub action_duration_buckets: Vec<i64>,
    pub actions_finished: i64,
    pub action_duration_total_ms: i64,
    /// Jobs waiting for a worker to poll them.
    pub jobs_queued: i64,
    /// Times an action or rule was taken over from a runner that stopped renewing its lease.
    pub lease_takeovers: i64,
}

impl Store {
    pub(crate) async fn figures(&self) -> Result<StoredFigures> {
        let mut conn = self.conn().await?;
        let by_status =
            |table: &str| format!("select status, count(*) as n from {table} group by status order by status");
        let pairs = |rows: Vec<sqlx::any::AnyRow>| -> Result<Vec<(String, i64)>> {
            rows.iter().map(|row| Ok((row.try_get("status")?, row.try_get("n")?))).collect()
        };
        let executions_by_status = pairs(sqlx::query(&by_status("pipeline_execution")).fetch_all(&mut *conn).await?)?;
        let actions_by_status = pairs(sqlx::query(&by_status("action_execution")).fetch_all(&mut *conn).await?)?;
        // One pass over the finished actions; casts keep PostgreSQL's sums integers.
        let buckets: String = DURATION_BUCKETS
            .iter()
            .enumerate()
            .map(|(i, seconds)| {
                let ms = (seconds * 1000.0) as i64;
                format!(", cast(coalesce(sum(case when updated_ms - started_ms <= {ms} then 1 else 0 end), 0) as bigint) as b{i}")
            })
            .collect();
        let durations = sqlx::query(&format!(
            "select count(*) as n, cast(coalesce(sum(updated_ms - started_ms), 0) as bigint) as total {buckets}
             from action_execution where status <> '{IN_PROGRESS}'"
        ))
        .fetch_one(&mut *conn)
        .await?;
        let action_duration_buckets = (0..DURATION_BUCKETS.len())
            .map(|i| durations.try_get(format!("b{i}").as_str()))
            .collect::<Result<_, _>>()?;
        let jobs_queued: i64 = sqlx::query_scalar(&format!(
            "select count(*) from job j join action_execution a
                 on a.action_execution_id = j.action_execution_id and a.token = j.job_id
             where j.status = 'Queued' and a.status = '{IN_PROGRESS}'"
        ))
        .fetch_one(&mut *conn)
        .await?;
        let mut lease_takeovers = 0;
        for table in ["action_execution", "rule_execution"] {
            let taken: i64 = sqlx::query_scalar(&format!(
                "select cast(coalesce(sum(claims - 1), 0) as bigint) from {table} where claims > 1"
            ))
            .fetch_one(&mut *conn)
            .await?;
            lease_takeovers += taken;
        }
        Ok(StoredFigures {
            executions_by_status,
            actions_by_status,
            action_duration_buckets,
            actions_finished: durations.try_get("n")?,
            action_duration_total_ms: durations.try_get("total")?,
            jobs_queued,
            lease_takeovers,
        })
    }

    /// Connections the main pool holds, and how many of them are idle.
    pub(crate) fn pool_use(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}
