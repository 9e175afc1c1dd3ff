//! A push to a hosted repository starts the pipelines whose CodeCommit source watches the pushed
//! branch with `PollForSourceChanges` "false", as an EventBridge rule does on AWS. The pushed
//! commit goes through the same `notice` as a polled revision, so a commit starts one execution
//! however often it is announced.
use super::{Noticed, Sighting, SourceKind};
use crate::{Engine, Principal};

impl Engine {
    /// Starts, with `commit`, every pipeline whose event-driven CodeCommit source watches
    /// `branch` of `repository`. Failures are logged: the push itself has already succeeded.
    pub(crate) async fn start_on_push(&self, repository: &str, branch: &str, commit: &str, pusher: Option<&Principal>) {
        let pushed = SourceKind::CodeCommit { repository: repository.to_owned(), branch: branch.to_owned() };
        let watched = match self.all_watched_sources().await {
            Ok(watched) => watched,
            Err(err) => {
                tracing::error!(%repository, %branch, error = %err, "could not find the pipelines a push starts");
                return;
            }
        };
        for source in watched.iter().filter(|w| !w.polls && w.kind == pushed) {
            let sighting = Sighting { revision_id: commit.to_owned(), revision_change_id: None, made_by: None };
            let started = async {
                let previous = self.store.source_poll(&source.pipeline, &source.stage, &source.action).await?;
                self.notice(source, previous.as_ref(), Some(sighting), Noticed::Push, pusher).await
            };
            if let Err(err) = started.await {
                tracing::warn!(pipeline = %source.pipeline, action = %source.action, error = %err, "a push did not start the pipeline");
            }
        }
    }
}
