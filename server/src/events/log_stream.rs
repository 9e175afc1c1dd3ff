//! A running action's log as it is written: each line is an event whose id is its line number, so
//! `Last-Event-ID` resumes after the last line seen. The stream ends with an `end` event once the
//! action has finished and every line is sent.
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
    Line { n: i64, text: String },
    End { status: ActionExecutionStatus },
}

pub struct LogFollower {
    engine: Engine,
    action_execution_id: String,
    after: i64,
    pending: VecDeque<(i64, String)>,
    ended: bool,
}

impl LogFollower {
    pub fn new(engine: Engine, action_execution_id: String, after: i64) -> Self {
        LogFollower { engine, action_execution_id, after, pending: VecDeque::new(), ended: false }
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
            match self.engine.action_log(&self.action_execution_id, self.after, PAGE).await {
                Ok(lines) if !lines.is_empty() => self.pending.extend(lines),
                Ok(_) if status != ActionExecutionStatus::InProgress => {
                    self.ended = true;
                    return Some(Ok(LogItem::End { status }));
                }
                Ok(_) => tokio::time::sleep(POLL).await,
                Err(err) => return Some(Err(err)),
            }
        }
    }

    async fn status(&self) -> Result<ActionExecutionStatus, EngineError> {
        let status = self.engine.action_status(&self.action_execution_id).await?;
        Ok(status.unwrap_or(ActionExecutionStatus::Abandoned))
    }
}
