//! Jobs of custom actions. A job is served only while its action waits on it (the action row is
//! in progress and its token is the job's id), so a job row written by a runner whose outcome was
//! then discarded is never handed out. Claims are single conditional updates, so two pollers on
//! any number of nodes never get the same job.
use super::columns::IN_PROGRESS;
use super::{Result, StoreError};
use model::{ActionCategory, ActionOwner, ActionTypeId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// CodePipeline's JobStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Created,
    Queued,
    Dispatched,
    InProgress,
    TimedOut,
    Succeeded,
    Failed,
}

impl JobStatus {
    const ALL: [JobStatus; 7] = [
        JobStatus::Created,
        JobStatus::Queued,
        JobStatus::Dispatched,
        JobStatus::InProgress,
        JobStatus::TimedOut,
        JobStatus::Succeeded,
        JobStatus::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "Created",
            JobStatus::Queued => "Queued",
            JobStatus::Dispatched => "Dispatched",
            JobStatus::InProgress => "InProgress",
            JobStatus::TimedOut => "TimedOut",
            JobStatus::Succeeded => "Succeeded",
            JobStatus::Failed => "Failed",
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the job is over (nobody works on it any more).
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::TimedOut | JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub job_id: String,
    pub action_execution_id: String,
    pub pipeline_name: String,
    pub action_type: ActionTypeId,
    pub query_value: Option<String>,
    pub status: JobStatus,
    pub nonce: Option<String>,
    pub continuation_token: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

const COLUMNS: &str = "j.job_id, j.action_execution_id, j.pipeline_name, j.category, j.owner, j.provider, j.version, \
     j.query_value, j.status, j.nonce, j.continuation_token, j.created_ms, j.updated_ms";

impl JobRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("job {what}"));
        let category: String = row.try_get("category")?;
        let owner: String = row.try_get("owner")?;
        let status: String = row.try_get("status")?;
        Ok(JobRow {
            job_id: row.try_get("job_id")?,
            action_execution_id: row.try_get("action_execution_id")?,
            pipeline_name: row.try_get("pipeline_name")?,
            action_type: ActionTypeId {
                category: ActionCategory::from_wire(&category).ok_or_else(|| corrupt("category"))?,
                owner: ActionOwner::from_wire(&owner).ok_or_else(|| corrupt("owner"))?,
                provider: row.try_get("provider")?,
                version: row.try_get("version")?,
            },
            query_value: row.try_get("query_value")?,
            status: JobStatus::from_wire(&status).ok_or_else(|| corrupt("status"))?,
            nonce: row.try_get("nonce")?,
            continuation_token: row.try_get("continuation_token")?,
            created_ms: row.try_get("created_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

pub async fn insert_job(conn: &mut AnyConnection, job: &JobRow) -> Result<()> {
    let id = &job.action_type;
    sqlx::query(
        "insert into job (job_id, action_execution_id, pipeline_name, category, owner, provider, version,
             query_value, status, nonce, continuation_token, created_ms, updated_ms)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&job.job_id)
    .bind(&job.action_execution_id)
    .bind(&job.pipeline_name)
    .bind(id.category.as_str())
    .bind(id.owner.as_str())
    .bind(&id.provider)
    .bind(&id.version)
    .bind(&job.query_value)
    .bind(job.status.as_str())
    .bind(&job.nonce)
    .bind(&job.continuation_token)
    .bind(job.created_ms)
    .bind(job.updated_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn job(conn: &mut AnyConnection, job_id: &str) -> Result<Option<JobRow>> {
    let row = sqlx::query(&format!("select {COLUMNS} from job j where j.job_id = $1"))
        .bind(job_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(JobRow::from_row).transpose()
}

/// Queued jobs of a type whose actions wait on them, oldest first; with `query_value`, only
/// those whose queryable property has that value.
pub async fn queued_jobs(
    conn: &mut AnyConnection,
    id: &ActionTypeId,
    query_value: Option<&str>,
    limit: i64,
) -> Result<Vec<JobRow>> {
    let filter = if query_value.is_some() { "and j.query_value = $7" } else { "" };
    let sql = queued_sql("", "", filter);
    let mut query = queued(id, limit, &sql);
    if let Some(value) = query_value {
        query = query.bind(value);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(JobRow::from_row).collect()
}

/// Queued jobs of a partner (ThirdParty) type, oldest first, each with the clientId of its
/// action's partner client; jobs of actions without a client are not served.
pub async fn queued_partner_jobs(
    conn: &mut AnyConnection,
    id: &ActionTypeId,
    limit: i64,
) -> Result<Vec<(JobRow, String)>> {
    let client = "join partner_client c on c.pipeline_name = j.pipeline_name
         and c.stage_name = a.stage_name and c.action_name = a.action_name";
    let sql = queued_sql(", c.client_id", client, "");
    let rows = queued(id, limit, &sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|row| Ok((JobRow::from_row(row)?, row.try_get("client_id")?))).collect()
}

/// The query of jobs a poller may take: queued, of one type ($1-$4), whose action still waits on
/// them; `limit` is $6.
fn queued_sql(columns: &str, join: &str, filter: &str) -> String {
    format!(
        "select {COLUMNS}{columns} from job j join action_execution a
             on a.action_execution_id = j.action_execution_id and a.token = j.job_id {join}
         where j.category = $1 and j.owner = $2 and j.provider = $3 and j.version = $4
             and j.status = $5 and a.status = '{IN_PROGRESS}' {filter}
         order by j.created_ms, j.job_id limit $6"
    )
}

fn queued<'q>(id: &'q ActionTypeId, limit: i64, sql: &'q str) -> super::attempts::AnyQuery<'q> {
    sqlx::query(sql)
        .bind(id.category.as_str())
        .bind(id.owner.as_str())
        .bind(&id.provider)
        .bind(&id.version)
        .bind(JobStatus::Queued.as_str())
        .bind(limit)
}

/// Moves a job from `from` to `to` (with a new nonce when given); false when it was not in `from`
/// (another poller or worker got there first). One statement: the database decides the race.
pub async fn transition(
    conn: &mut AnyConnection,
    job_id: &str,
    from: &[JobStatus],
    to: JobStatus,
    nonce: Option<&str>,
    now: i64,
) -> Result<bool> {
    let allowed = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    let done = sqlx::query(&format!(
        "update job set status = $2, nonce = coalesce($3, nonce), updated_ms = $4
         where job_id = $1 and status in ({allowed})"
    ))
    .bind(job_id)
    .bind(to.as_str())
    .bind(nonce)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
