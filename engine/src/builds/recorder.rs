//! Keeps a running build's record up to date: each phase as it starts and ends, then how the
//! build ended. A write that fails is logged and the build goes on; the next write carries the
//! whole record again.
use super::{Build, BuildPhase, BuildStatus};
use crate::providers::PhaseEvent;
use crate::{now_ms, Store};
use indexmap::IndexMap;
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) struct Recorder {
    store: Store,
    build: Build,
}

impl Recorder {
    pub(crate) fn new(store: Store, build: Build) -> Recorder {
        Recorder { store, build }
    }

    pub(crate) fn build(&self) -> &Build {
        &self.build
    }

    /// Ends the phase that runs (as succeeded) and starts `phase`.
    pub(crate) async fn enter(&mut self, phase: &str) {
        let now = now_ms();
        self.close_open(BuildStatus::Succeeded, now);
        self.build.detail.phases.push(BuildPhase {
            phase_type: phase.to_owned(),
            phase_status: None,
            start_ms: now,
            end_ms: None,
            message: None,
        });
        self.build.current_phase = phase.to_owned();
        self.save().await;
    }

    /// Follows a script's phase events until their sender is dropped, then hands itself back.
    pub(crate) async fn follow(mut self, mut events: UnboundedReceiver<PhaseEvent>) -> Recorder {
        while let Some(event) = events.recv().await {
            match event {
                PhaseEvent::Entered(phase) => self.enter(&phase).await,
                PhaseEvent::Done { phase, succeeded } => {
                    let status = if succeeded { BuildStatus::Succeeded } else { BuildStatus::Failed };
                    if let Some(open) = self.open_phase().filter(|p| p.phase_type == phase) {
                        open.phase_status = Some(status);
                        open.end_ms = Some(now_ms());
                    }
                    self.save().await;
                }
            }
        }
        self
    }

    /// Records how the build ended: the running phase ends with the build's status (and its
    /// message), and COMPLETED follows, as in CodeBuild.
    pub(crate) async fn finish(
        &mut self,
        status: BuildStatus,
        message: Option<String>,
        exported: IndexMap<String, String>,
    ) {
        let now = now_ms();
        if let Some(open) = self.open_phase() {
            open.message.clone_from(&message);
        }
        self.close_open(status, now);
        self.build.detail.phases.push(BuildPhase {
            phase_type: "COMPLETED".to_owned(),
            phase_status: None,
            start_ms: now,
            end_ms: None,
            message: None,
        });
        self.build.current_phase = "COMPLETED".to_owned();
        self.build.status = status;
        self.build.end_ms = Some(now);
        self.build.detail.message = message;
        self.build.detail.exported_variables = exported;
        self.save().await;
    }

    fn open_phase(&mut self) -> Option<&mut BuildPhase> {
        self.build.detail.phases.last_mut().filter(|p| p.phase_status.is_none() && p.phase_type != "COMPLETED")
    }

    fn close_open(&mut self, status: BuildStatus, now: i64) {
        if let Some(open) = self.open_phase() {
            open.phase_status = Some(status);
            open.end_ms = Some(now);
        }
    }

    async fn save(&self) {
        if let Err(err) = self.store.update_build(&self.build).await {
            tracing::warn!(build = %self.build.id, error = %err, "could not record the build's progress");
        }
    }
}

/// Marks the build STOPPED if whoever runs it is dropped before recording its end (the
/// scheduler abandons an action it stopped or that timed out by dropping its future).
pub(crate) struct EndGuard {
    store: Store,
    id: String,
    armed: bool,
}

impl EndGuard {
    pub(crate) fn new(store: Store, id: &str) -> EndGuard {
        EndGuard { store, id: id.to_owned(), armed: true }
    }

    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if !self.armed {
            return;
        }
        let (store, id) = (self.store.clone(), self.id.clone());
        runtime.spawn(async move {
            if let Ok(Some(build)) = store.build(&id).await {
                if !build.status.is_final() {
                    let why = Some("Stopped: the action running the build was stopped".to_owned());
                    Recorder::new(store, build).finish(BuildStatus::Stopped, why, IndexMap::new()).await;
                }
            }
        });
    }
}
