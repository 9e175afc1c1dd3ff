//! What the tables of leased work (`action_execution`, `rule_execution`) share: the columns of an
//! attempt's state, and the upsert that writes a row. Each table adds its own key and columns.
use super::columns::wire;
use super::Result;
use crate::runs::AttemptState;
use model::ActionExecutionStatus;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Row};

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// The columns of [`AttemptState`], in the order [`AttemptState::bind`] binds them.
const STATE_COLUMNS: [&str; 9] = [
    "status",
    "summary",
    "error_code",
    "error_message",
    "lease_owner",
    "lease_expires_ms",
    "claims",
    "started_ms",
    "updated_ms",
];

/// A table of attempts. Its columns are `own`, then the state's, then `input` and `output`;
/// a row is bound in that order.
pub(super) struct AttemptTable {
    pub name: &'static str,
    /// The primary key, the first of `own`.
    pub key: &'static str,
    /// The table's own columns; the first `fixed` of them never change after the insert.
    pub own: &'static [&'static str],
    pub fixed: usize,
}

impl AttemptTable {
    fn column_names(&self) -> impl Iterator<Item = &'static str> {
        self.own.iter().copied().chain(STATE_COLUMNS).chain(["input", "output"])
    }

    /// Every column, comma-separated, for `select` and `insert`.
    pub fn columns(&self) -> String {
        self.column_names().collect::<Vec<_>>().join(", ")
    }

    /// Inserts a row or updates what can change of it (never its identity or start).
    pub fn upsert_sql(&self) -> String {
        let count = self.column_names().count();
        let changing = self
            .column_names()
            .skip(self.fixed)
            .filter(|c| *c != "started_ms")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "insert into {} ({}) values ({}) on conflict ({}) do update set {changing}",
            self.name,
            self.columns(),
            super::columns::placeholders(1, count),
            self.key
        )
    }
}

impl AttemptState {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(AttemptState {
            status: wire(row.try_get("status")?, ActionExecutionStatus::from_wire)?,
            summary: row.try_get("summary")?,
            error_code: row.try_get("error_code")?,
            error_message: row.try_get("error_message")?,
            lease_owner: row.try_get("lease_owner")?,
            lease_expires_ms: row.try_get("lease_expires_ms")?,
            claims: row.try_get("claims")?,
            started_ms: row.try_get("started_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }

    /// Binds the state's columns, in [`STATE_COLUMNS`]' order.
    pub(super) fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.status.as_str())
            .bind(&self.summary)
            .bind(&self.error_code)
            .bind(&self.error_message)
            .bind(&self.lease_owner)
            .bind(self.lease_expires_ms)
            .bind(self.claims)
            .bind(self.started_ms)
            .bind(self.updated_ms)
    }
}
