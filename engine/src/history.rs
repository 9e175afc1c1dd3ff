//! The run history: a pipeline's executions, filtered and paged.
use crate::store::executions::{self as rows, ExecutionRow, HistoryFilter};
use crate::{Engine, Result};

impl Engine {
    /// A page of executions matching `filter`, newest first, below `before_seq`.
    pub async fn execution_history(
        &self,
        pipeline: &str,
        filter: &HistoryFilter,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ExecutionRow>> {
        self.pipeline(pipeline, None).await?;
        let mut conn = self.store.conn().await?;
        Ok(rows::search_executions(&mut conn, pipeline, filter, before_seq, limit).await?)
    }
}
