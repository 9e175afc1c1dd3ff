//! Action logs, one row per line. Lines go through a connection of their own on SQLite: see
//! `Store::append_log`.
use super::Result;
use sqlx::{AnyConnection, Row};

pub async fn append_log(
    conn: &mut AnyConnection,
    action_execution_id: &str,
    first_line_no: i64,
    lines: &[String],
) -> Result<()> {
    for (i, line) in lines.iter().enumerate() {
        sqlx::query("insert into action_log (action_execution_id, line_no, line) values ($1, $2, $3)")
            .bind(action_execution_id)
            .bind(first_line_no + i as i64)
            .bind(line)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn log_lines(
    conn: &mut AnyConnection,
    action_execution_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "select line_no, line from action_log where action_execution_id = $1 and line_no > $2 order by line_no limit $3",
    )
    .bind(action_execution_id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("line_no")?, r.try_get("line")?))).collect()
}

impl super::Store {
    pub(crate) async fn last_log_line(&self, action_execution_id: &str) -> Result<i64> {
        let last: Option<i64> =
            sqlx::query_scalar("select max(line_no) from action_log where action_execution_id = $1")
                .bind(action_execution_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(last.unwrap_or(0))
    }

    /// Stores lines of an action's log. Their commit does not wait for the disk: the runner
    /// records the action's outcome only after its last lines are in, and that commit is durable
    /// and flushes these with it (PostgreSQL's WAL and SQLite's are each one sequential file).
    /// A crash can lose only the latest lines of an attempt that has not finished, which is then
    /// run again. Waiting for an fsync per batch of lines put a disk flush on every action's
    /// critical path, and on SQLite serialised those flushes across all running actions.
    pub(crate) async fn append_log(
        &self,
        action_execution_id: &str,
        first_line_no: i64,
        lines: &[String],
    ) -> Result<()> {
        let mut tx = match (&self.log_pool, self.backend) {
            (Some(pool), _) => pool.begin().await?,
            (None, super::Backend::Postgres) => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await?;
                tx
            }
            (None, super::Backend::Sqlite) => self.pool.begin().await?,
        };
        append_log(&mut tx, action_execution_id, first_line_no, lines).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn log(&self, action_execution_id: &str, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let mut conn = self.pool.acquire().await?;
        log_lines(&mut conn, action_execution_id, after, limit).await
    }
}
