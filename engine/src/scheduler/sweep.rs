//! The background work: lease renewal, and the sweep that takes over actions whose runner
//! stopped, fails expired approvals, advances active pipelines and polls sources.
use crate::now_ms;
use crate::store::leases::{self, Due, Work};
use crate::{Engine, Result};

impl Engine {
    /// Starts the background work: lease renewal, the sweep, and resuming what a previous process
    /// left running. Call once per process.
    pub async fn start_background(&self) -> Result<()> {
        if self.store.backend() == crate::store::Backend::Sqlite {
            // An embedded database has no other process: whatever a dead process had claimed can
            // be taken over now instead of after the lease runs out.
            let mut conn = self.store.conn().await?;
            for work in [Work::Action, Work::Rule] {
                leases::release_all(&mut conn, work).await?;
            }
        }
        self.sweep().await?;
        let engine = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(engine.runtime.config.sweep_interval);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_renewal = now_ms();
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = engine.runtime.shutdown.cancelled() => break,
                }
                let ttl = engine.runtime.config.lease_ttl.as_millis() as i64;
                if now_ms() - last_renewal >= ttl / 3 {
                    last_renewal = now_ms();
                    if let Err(err) = engine.renew_leases().await {
                        tracing::error!(error = %err, "lease renewal failed");
                    }
                }
                if let Err(err) = engine.sweep().await {
                    tracing::error!(error = %err, "sweep failed");
                }
            }
        });
        Ok(())
    }

    /// Stops this process's background work and runners; their leases expire and another
    /// process (or the next start) takes the actions over.
    pub fn shutdown(&self) {
        self.runtime.shutdown.cancel();
        for token in self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).values() {
            token.cancel();
        }
    }

    async fn renew_leases(&self) -> Result<()> {
        let until = self.runtime.lease_until(now_ms());
        let running: Vec<String> =
            self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        let mut conn = self.store.conn().await?;
        leases::renew(&mut conn, &self.runtime.node_id, &running, until).await?;
        Ok(())
    }

    /// One pass of the sweep: take over actions whose runner is gone, fail expired approvals,
    /// and advance every pipeline that has active executions.
    pub async fn sweep(&self) -> Result<()> {
        let now = now_ms();
        for work in [Work::Action, Work::Rule] {
            let due = {
                let mut conn = self.store.conn().await?;
                leases::due(&mut conn, work, now).await?
            };
            for Due { pipeline, id, approval_expired } in due {
                if approval_expired {
                    self.expire_approval(&pipeline, &id).await?;
                } else if self.claim(work, &id, now).await? {
                    tracing::warn!(?work, %id, "taking over work whose runner stopped");
                    self.spawn_work(work, id);
                }
            }
        }
        for pipeline in self.store.pipelines_with_active_executions().await? {
            self.advance(&pipeline).await?;
        }
        self.poll_sources().await?;
        Ok(())
    }

    /// Claims work whose lease ran out; false when another node got there first.
    async fn claim(&self, work: Work, id: &str, now: i64) -> Result<bool> {
        let until = self.runtime.lease_until(now);
        let mut conn = self.store.conn().await?;
        Ok(leases::claim(&mut conn, work, id, &self.runtime.node_id, until, now).await?)
    }
}
