//! Rows of builds: the columns the lists sort and filter by, and the rest as one JSON document
//! (see `builds::record`).
use super::{conflict_on_unique, found, Result, Store, StoreError};
use crate::builds::{Build, BuildStatus};
use sqlx::any::AnyRow;
use sqlx::Row;

fn from_row(row: &AnyRow) -> Result<Build> {
    let corrupt = |what: String| StoreError::Corrupt(format!("build: {what}"));
    let status: String = row.try_get("status")?;
    let detail: String = row.try_get("detail")?;
    Ok(Build {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        number: row.try_get("build_number")?,
        status: BuildStatus::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
        current_phase: row.try_get("current_phase")?,
        initiator: row.try_get("initiator")?,
        log_key: row.try_get("log_key")?,
        action_execution_id: row.try_get("action_execution_id")?,
        idempotency_token: row.try_get("idempotency_token")?,
        start_ms: row.try_get("start_ms")?,
        end_ms: row.try_get("end_ms")?,
        detail: serde_json::from_str(&detail).map_err(|err| corrupt(err.to_string()))?,
    })
}

fn detail(build: &Build) -> Result<String> {
    serde_json::to_string(&build.detail).map_err(|err| StoreError::Corrupt(format!("build detail: {err}")))
}

impl Store {
    pub(crate) async fn insert_build(&self, build: &Build) -> Result<()> {
        sqlx::query(
            "insert into build (id, project, build_number, status, current_phase, initiator, log_key, \
             action_execution_id, idempotency_token, detail, start_ms, end_ms) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&build.id)
        .bind(&build.project)
        .bind(build.number)
        .bind(build.status.as_str())
        .bind(&build.current_phase)
        .bind(&build.initiator)
        .bind(&build.log_key)
        .bind(&build.action_execution_id)
        .bind(&build.idempotency_token)
        .bind(detail(build)?)
        .bind(build.start_ms)
        .bind(build.end_ms)
        .execute(&self.pool)
        .await
        .map_err(conflict_on_unique)?;
        Ok(())
    }

    /// Writes what changes while a build runs; a build that already ended is left as it is, so
    /// a late phase event cannot reopen a stopped build. `NotFound` when nothing was written.
    pub(crate) async fn update_build(&self, build: &Build) -> Result<()> {
        let done = sqlx::query(
            "update build set status = $2, current_phase = $3, detail = $4, end_ms = $5 \
             where id = $1 and status = 'IN_PROGRESS'",
        )
        .bind(&build.id)
        .bind(build.status.as_str())
        .bind(&build.current_phase)
        .bind(detail(build)?)
        .bind(build.end_ms)
        .execute(&self.pool)
        .await?;
        found(done)
    }

    pub(crate) async fn build(&self, id: &str) -> Result<Option<Build>> {
        let row = sqlx::query("select * from build where id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The build a StartBuild with this token already started, if any.
    pub(crate) async fn build_by_token(&self, project: &str, token: &str) -> Result<Option<Build>> {
        let row = sqlx::query("select * from build where project = $1 and idempotency_token = $2")
            .bind(project)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The newest build an action execution ran.
    pub(crate) async fn build_of_action(&self, action_execution_id: &str) -> Result<Option<Build>> {
        let row = sqlx::query("select * from build where action_execution_id = $1 order by start_ms desc limit 1")
            .bind(action_execution_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Build ids, of one project or of all, by start time (newest first unless `ascending`).
    pub(crate) async fn build_ids(&self, project: Option<&str>, ascending: bool) -> Result<Vec<String>> {
        let order = if ascending { "asc" } else { "desc" };
        let ids = match project {
            Some(project) => {
                sqlx::query_scalar(&format!(
                    "select id from build where project = $1 order by start_ms {order}, build_number {order}"
                ))
                .bind(project)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_scalar(&format!("select id from build order by start_ms {order}, id {order}"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(ids)
    }

    /// The newest `limit` builds of a project, newest first.
    pub(crate) async fn builds_of_project(&self, project: &str, limit: i64) -> Result<Vec<Build>> {
        let rows =
            sqlx::query("select * from build where project = $1 order by start_ms desc, build_number desc limit $2")
                .bind(project)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(from_row).collect()
    }

    /// Deletes a finished build and its log; `NotFound` if there is no such finished build.
    pub(crate) async fn delete_build(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Written first: on SQLite a transaction that reads before it writes can deadlock.
        let log_key: Option<String> =
            sqlx::query_scalar("delete from build where id = $1 and status <> 'IN_PROGRESS' returning log_key")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(log_key) = log_key else { return Err(StoreError::NotFound) };
        if log_key == id {
            sqlx::query("delete from action_log where action_execution_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
