//! Leases on leased work: action attempts and rule evaluations, each kind in its own table. A
//! runner holds its work's lease and renews it while it runs; work whose lease ran out (its
//! runner died) is claimed again by whichever node's sweep gets there first.
use super::attempts::AttemptTable;
use super::columns::{placeholders, IN_LIST_CHUNK, IN_PROGRESS};
use super::Result;
use model::ActionExecutionStatus;
use sqlx::{AnyConnection, Row};

/// The kinds of leased work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Action,
    Rule,
}

impl Work {
    fn table(self) -> &'static AttemptTable {
        match self {
            Work::Action => &super::actions::TABLE,
            Work::Rule => &super::conditions::RULES,
        }
    }

    /// What else must hold for work of this kind to be leased: an approval that waits for an
    /// answer has a token and no runner.
    fn leased_only(self) -> &'static str {
        match self {
            Work::Action => "and token is null",
            Work::Rule => "",
        }
    }
}

/// Work a sweep must pick up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub pipeline: String,
    pub id: String,
    /// An approval past its deadline, to be failed; otherwise work whose runner is gone.
    pub approval_expired: bool,
}

/// Work of this kind whose lease is free or expired (its runner died), and approvals past their
/// deadline.
pub async fn due(conn: &mut AnyConnection, work: Work, now: i64) -> Result<Vec<Due>> {
    let (table, id_column, leased_only) = (work.table().name, work.table().key, work.leased_only());
    let (expired_approvals, token) = match work {
        Work::Action => ("or (w.token is not null and w.expires_ms < $1)", "w.token"),
        Work::Rule => ("", "cast(null as text)"),
    };
    let rows = sqlx::query(&format!(
        "select e.pipeline_name, w.{id_column} as id, {token} as token
         from {table} w join pipeline_execution e using (execution_id)
         where w.status = $2 and (
             ((w.lease_expires_ms is null or w.lease_expires_ms < $1) {leased_only})
             {expired_approvals})"
    ))
    .bind(now)
    .bind(ActionExecutionStatus::InProgress.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Due {
                pipeline: row.try_get("pipeline_name")?,
                id: row.try_get("id")?,
                approval_expired: row.try_get::<Option<String>, _>("token")?.is_some(),
            })
        })
        .collect()
}

/// Takes work whose lease is free or expired. One statement, so two nodes cannot both win.
pub async fn claim(conn: &mut AnyConnection, work: Work, id: &str, owner: &str, until: i64, now: i64) -> Result<bool> {
    let (table, id_column, leased_only) = (work.table().name, work.table().key, work.leased_only());
    let done = sqlx::query(&format!(
        "update {table} set lease_owner = $2, lease_expires_ms = $3, claims = claims + 1
         where {id_column} = $1 and status = $5 {leased_only} and (lease_expires_ms is null or lease_expires_ms < $4)"
    ))
    .bind(id)
    .bind(owner)
    .bind(until)
    .bind(now)
    .bind(ActionExecutionStatus::InProgress.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Frees every lease of this kind; only right for the embedded database, where no other process runs.
pub async fn release_all(conn: &mut AnyConnection, work: Work) -> Result<()> {
    let (table, leased_only) = (work.table().name, work.leased_only());
    sqlx::query(&format!("update {table} set lease_expires_ms = 0 where status = $1 {leased_only}"))
        .bind(ActionExecutionStatus::InProgress.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Extends the leases of the actions (and rules) this node is still running; the lease of one
/// whose runner died with an error then runs out and the sweep takes it over. `running` holds
/// action and rule execution ids alike; each table matches its own. Returns how many it renewed.
///
/// The renewal runs beside the scheduler's transactions, which lock the action and rule rows of
/// a pipeline in whatever order their decisions need and hold them until they commit. So it must
/// never hold one row lock while it waits for another: on PostgreSQL a multi-row `update` that
/// locked rows A and B one after the other deadlocked with a transaction holding B and wanting A.
/// It first renews, in one statement, the rows nobody holds (`for update skip locked` waits for
/// nothing), then the few left over one row per statement, each waiting only for that row. On
/// SQLite the database has one writer at a time and no row locks: one statement per chunk.
pub async fn renew(conn: &mut AnyConnection, owner: &str, running: &[String], until: i64) -> Result<u64> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut renewed = 0;
    for (table, id_column) in [Work::Action, Work::Rule].map(|w| (w.table().name, w.table().key)) {
        for chunk in running.chunks(IN_LIST_CHUNK) {
            let list = placeholders(3, chunk.len());
            if !postgres {
                let sql = format!(
                    "update {table} set lease_expires_ms = $1 where lease_owner = $2 and status = '{IN_PROGRESS}' and {id_column} in ({list})"
                );
                let query = chunk.iter().fold(sqlx::query(&sql).bind(until).bind(owner), |q, id| q.bind(id));
                renewed += query.execute(&mut *conn).await?.rows_affected();
                continue;
            }
            let sql = format!(
                "update {table} set lease_expires_ms = $1 where {id_column} in (
                     select {id_column} from {table}
                     where lease_owner = $2 and status = '{IN_PROGRESS}' and {id_column} in ({list})
                     for update skip locked)
                 returning {id_column}"
            );
            let query =
                chunk.iter().fold(sqlx::query_scalar::<_, String>(&sql).bind(until).bind(owner), |q, id| q.bind(id));
            let done: std::collections::HashSet<String> = query.fetch_all(&mut *conn).await?.into_iter().collect();
            renewed += done.len() as u64;
            // Held by a scheduler transaction (which may finish the action) or not this node's
            // any more; either way, waiting for this one row alone cannot close a cycle.
            let one = format!("update {table} set lease_expires_ms = $1 where lease_owner = $2 and status = '{IN_PROGRESS}' and {id_column} = $3");
            for id in chunk.iter().filter(|id| !done.contains(*id)) {
                renewed +=
                    sqlx::query(&one).bind(until).bind(owner).bind(id).execute(&mut *conn).await?.rows_affected();
            }
        }
    }
    Ok(renewed)
}
