//! Decoding and encoding columns, shared by the row modules.
use super::{Result, StoreError};
use model::{ActionExecutionStatus, PipelineExecutionStatus as P};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Decodes a status or type column written with `as_str`.
pub(super) fn wire<T>(text: String, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unknown status or type {text:?}")))
}

/// A column list with each column prefixed by a table alias, for joins.
pub(super) fn qualified(alias: &str, columns: &str) -> String {
    columns.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// Decodes a JSON column into its type.
pub(super) fn json<T: serde::de::DeserializeOwned>(text: String) -> Result<T> {
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Encodes a JSON column.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("column types serialize")
}

pub(super) fn to_usize(value: i64) -> Result<usize> {
    usize::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative index {value}")))
}

/// Bind parameters per `in (...)` list, well under SQLite's and PostgreSQL's limits.
pub(super) const IN_LIST_CHUNK: usize = 500;

/// `$first, $first+1, ...`: `n` numbered parameters for an `in (...)` list.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Rows of `select ... where execution_id in (...)` for the given executions; `query` holds
/// `{ids}` where the list goes.
pub(super) async fn rows_of_executions(conn: &mut AnyConnection, query: &str, ids: &[String]) -> Result<Vec<AnyRow>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = query.replace("{ids}", &placeholders(1, chunk.len()));
        let query = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id));
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Statuses as the queries name them: spelled once, by the enums.
pub(super) const IN_PROGRESS: &str = ActionExecutionStatus::InProgress.as_str();

/// The statuses of an execution that still holds or waits for stages, as an SQL list (built
/// once: every advance's queries use it).
pub(super) fn active_statuses() -> &'static str {
    static LIST: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        P::ALL.iter().filter(|s| s.is_active()).map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
    });
    &LIST
}
