//! The one way to change a pipeline's executions: `Engine::lock` takes the pipeline's lock in
//! this process (a mutex, so local writers queue without holding a database connection) and in
//! the database (so other servers wait too), inside one transaction. Holding a `PipelineTx`
//! proves both are held; `Tick::commit` takes one, so no change commits without the lock.
use crate::store::executions::lock_pipeline;
use crate::{Engine, EngineError, Result};
use sqlx::AnyConnection;
use std::ops::{Deref, DerefMut};
use tokio::sync::OwnedMutexGuard;

pub(crate) struct PipelineTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    // Released after the transaction ends: fields drop in order.
    _serial: OwnedMutexGuard<()>,
}

impl Engine {
    /// Locks `pipeline` for a change; `PipelineNotFound` when it does not exist (or was deleted
    /// while this waited).
    pub(crate) async fn lock(&self, pipeline: &str) -> Result<PipelineTx> {
        let serial = self.runtime.pipeline_lock(pipeline).lock_owned().await;
        let mut tx = self.store.begin().await?;
        if !lock_pipeline(&mut tx, pipeline).await? {
            return Err(EngineError::PipelineNotFound(pipeline.to_owned()));
        }
        Ok(PipelineTx { tx, _serial: serial })
    }
}

impl PipelineTx {
    pub(crate) async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    /// Ends the transaction without a change, sparing the durable commit.
    pub(crate) async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

impl Deref for PipelineTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for PipelineTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
