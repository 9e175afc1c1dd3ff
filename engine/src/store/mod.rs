//! Provides access to the database: SQLite by default, PostgreSQL for several replicas.
//!
//! Both backends go through sqlx's `Any` driver with one set of queries (`$n` placeholders work on
//! both); only the DDL differs, so each backend keeps its own migrations folder.
pub(crate) mod actions;
pub(crate) mod approvals;
mod attempts;
pub(crate) mod audit;
mod build_projects;
mod builds;
mod columns;
pub(crate) mod conditions;
mod connection_deliveries;
mod connections;
mod custom_types;
pub(crate) mod deliveries;
pub(crate) mod event_rules;
pub(crate) mod events;
pub(crate) mod executions;
pub(crate) mod figures;
pub(crate) mod groups;
pub(crate) mod identity;
pub(crate) mod jobs;
pub(crate) mod leases;
pub(crate) mod logs;
mod objects;
pub(crate) mod partner_clients;
pub(crate) mod pipelines;
mod secrets;
pub(crate) mod sources;
pub(crate) mod stages;
mod tags;
#[cfg(test)]
mod tests;
mod topics;
mod webhooks;

use crate::secrets::Sealer;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;

pub use pipelines::{PipelineRecord, PipelineSummary};
pub use secrets::SecretSummary;
pub use tags::Tag;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key is taken (a pipeline name, say).
    #[error("already exists")]
    Conflict,
    /// A stored value no longer parses: the database was edited by hand or a migration is missing.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://... or postgres://...")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A value could not be sealed or opened (no master key, a damaged value, a bad secret name).
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// The handle every other layer uses; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite on a file only: one connection that commits action logs without waiting for the
    /// disk (`synchronous = normal`); see `append_log`. PostgreSQL does it per transaction.
    log_pool: Option<AnyPool>,
    backend: Backend,
    /// Seals secrets before they are written; `None` until `with_sealer` names the data dir.
    sealer: Option<Sealer>,
}

impl Store {
    /// Opens the database and applies pending migrations; start-up fails if they fail.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the single writer; the wait absorbs write bursts.
                        conn.execute(
                            "pragma journal_mode = wal; pragma busy_timeout = 10000; pragma foreign_keys = on;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&pool).await?,
        }
        // An in-memory database is private to its connection: its logs stay on the main pool.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let log_pool = match backend {
            Backend::Sqlite if !in_memory => Some(
                AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("pragma busy_timeout = 10000; pragma synchronous = normal;").await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(url)?.disable_statement_logging())
                    .await?,
            ),
            Backend::Sqlite | Backend::Postgres => None,
        };
        Ok(Store { pool, log_pool, backend, sealer: None })
    }

    /// This store sealing secrets under the master key of `sealer`'s data dir.
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// The sealer; writing a secret through a store opened without one is refused.
    pub(crate) fn sealer(&self) -> Result<&Sealer> {
        self.sealer.as_ref().ok_or(StoreError::Secret(crate::secrets::SecretError::NoMasterKey))
    }

    /// A transaction for the scheduler's multi-row changes.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.pool.begin().await?)
    }

    /// A pooled connection for reads that span several queries.
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers (for `/healthz`).
    pub(crate) async fn ping(&self) -> Result<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Maps a unique-key violation to `Conflict`, leaving other errors as they are.
/// `NotFound` when an update or delete touched no row.
fn found(done: sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn conflict_on_unique(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(err),
    }
}
