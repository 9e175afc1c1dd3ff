//! The figures `/metrics` reports: the database's, the same on every server that shares it
//! (`store::figures`), and this process's own.
pub use crate::store::figures::{StoredFigures, DURATION_BUCKETS};
use crate::{Engine, Result};

#[derive(Debug, Clone)]
pub struct Figures {
    pub stored: StoredFigures,
    /// Actions and rules this process runs now.
    pub running_here: usize,
    /// The database pool: connections open, and how many of them are idle.
    pub pool_size: u32,
    pub pool_idle: usize,
}

impl Engine {
    pub async fn figures(&self) -> Result<Figures> {
        let stored = self.store.figures().await?;
        let running_here = self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).len();
        let (pool_size, pool_idle) = self.store.pool_use();
        Ok(Figures { stored, running_here, pool_size, pool_idle })
    }
}
