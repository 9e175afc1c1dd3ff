//! A running action's (or CodeBuild build's) log as it is written: each line is an event whose id
//! is its line number, so `Last-Event-ID` resumes after the last line seen. The stream ends with
//! an `end` event once the action or build has finished and every line is sent.
//!
//! The runner writes lines to the store without telling anyone, so the stream reads the store
//! every `POLL` while the action runs.
use engine::{Engine, EngineError};
use model::ActionExecutionStatus;
use std::collections::VecDeque;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(200);
const PAGE: i64 = 500;

pub enum LogItem {
    Line {
        n: i64,
        text: String,
    },
    /// The action's (`Succeeded`, ...) or the build's (`SUCCEEDED`, ...) final status.
    End {
        status: &'static str,
    },
}

/// Whose log is followed.
pub enum Followed {
    /// An action execution, by id.
    Action(String),
    /// A build, by id; its lines are its action's for a pipeline's build.
    Build { id: String, log_key: String },
}

pub struct LogFollower {
    engine: Engine,
    followed: Followed,
    after: i64,
    pending: VecDeque<(i64, String)>,
    ended: bool,
}

impl LogFollower {
    pub fn new(engine: Engine, followed: Followed, after: i64) -> Self {
        LogFollower { engine, followed, after, pending: VecDeque::new(), ended: false }
    }

    /// The next line, the end, or `None` after the end.
    pub async fn next(&mut self) -> Option<Result<LogItem, EngineError>> {
        loop {
            if let Some((n, text)) = self.pending.pop_front() {
                self.after = n;
                return Some(Ok(LogItem::Line { n, text }));
            }
            if self.ended {
                return None;
            }
            // The status is read before the lines: lines written before the action finished
            // are then all in the store when the read below sees it finished.
            let status = match self.status().await {
                Ok(status) => status,
                Err(err) => return Some(Err(err)),
            };
            let key = match &self.followed {
                Followed::Action(id) => id,
                Followed::Build { log_key, .. } => log_key,
            };
            match self.engine.action_log(key, self.after, PAGE).await {
                Ok(lines) if !lines.is_empty() => self.pending.extend(lines),
                Ok(_) if status.is_some() => {
                    self.ended = true;
                    return Some(Ok(LogItem::End { status: status.unwrap_or_default() }));
                }
                Ok(_) => tokio::time::sleep(POLL).await,
                Err(err) => return Some(Err(err)),
            }
        }
    }

    /// The final status, or `None` while lines may still come.
    async fn status(&self) -> Result<Option<&'static str>, EngineError> {
        match &self.followed {
            Followed::Action(id) => {
                let status = self.engine.action_status(id).await?.unwrap_or(ActionExecutionStatus::Abandoned);
                Ok((status != ActionExecutionStatus::InProgress).then(|| status.as_str()))
            }
            Followed::Build { id, .. } => {
                let build = self.engine.build(id).await?;
                Ok(build.map_or(Some("STOPPED"), |b| b.status.is_final().then(|| b.status.as_str())))
            }
        }
    }
}
