//! Running the shell (in the sandbox the provider asked for), streaming its output to the log,
//! and ending it on timeout, cancellation or too much output.
//!
//! Nothing here polls. The shell's exit is reported by the kernel (SIGCHLD, through tokio). In the
//! sandbox, its PID namespace ends whatever the commands left behind the moment the shell exits;
//! without one, what is left in the shell's process group is killed at once.
use super::super::{ActionFailure, LogSink, PhaseEvent};
use super::script::{Marker, Script};
use crate::sandbox::{limits_reached_in, Limit, Limits};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Child;
use tokio::sync::Notify;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

/// Longer lines are split, so one runaway line (or binary output) cannot exhaust memory.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long to keep reading output after the shell ended: without a sandbox, something that
/// escaped the process group (`setsid`) may hold the pipe open forever.
const DRAIN: Duration = Duration::from_secs(2);

pub(in crate::providers) struct Spawn {
    /// The shell, set up by the sandbox.
    pub command: tokio::process::Command,
    pub timeout: Duration,
    pub kill_grace: Duration,
    pub limits: Limits,
}

#[derive(Debug)]
enum End {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
    TooMuchOutput,
}

/// What the output told about the run.
#[derive(Debug, Default)]
struct Progress {
    current: Option<usize>,
    /// The first command that failed (a build carries on past it).
    failed: Option<(usize, i32)>,
    finished: bool,
    /// A build's phases as they ended: index and whether it succeeded.
    phases: Vec<(usize, bool)>,
    /// A limit that a line of output says was reached.
    limit: Option<Limit>,
    output_bytes: u64,
}

pub(in crate::providers) struct Run {
    end: End,
    progress: Progress,
    limits: Limits,
}

pub(in crate::providers) async fn run(
    mut spawn: Spawn,
    script: &Script,
    commands: &[String],
    log: &LogSink,
    cancel: &CancellationToken,
) -> Result<Run, ActionFailure> {
    let mut child = spawn
        .command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| super::system(format!("cannot start the commands' shell: {err}")))?;
    let mut group = Group::new(&child);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());

    let progress = Mutex::new(Progress::default());
    let too_much = Notify::new();
    let output_limit = spawn.limits.output_bytes;
    let on_line = |line: String, bytes: usize| {
        let mut progress = progress.lock().unwrap_or_else(|poison| poison.into_inner());
        if progress.output_bytes > output_limit {
            return; // already over: the rest is not kept
        }
        progress.output_bytes += bytes as u64;
        if progress.output_bytes > output_limit {
            progress.limit = Some(Limit::Output);
            too_much.notify_one();
            return;
        }
        handle_line(&line, script, commands, log, &mut progress);
    };
    let shell_gone = Notify::new();
    let read_all = async {
        let readers = async { tokio::join!(read_lines(stdout, &on_line), read_lines(stderr, &on_line)) };
        tokio::select! {
            _ = readers => {}
            _ = async { shell_gone.notified().await; sleep(DRAIN).await } => {
                log.line("[Sluice] Stopped reading output held open by a process outside the action");
            }
        }
    };
    let supervise = async {
        let end = tokio::select! {
            status = child.wait() => status
                .map(End::Exited)
                .map_err(|err| super::system(format!("cannot wait for the shell: {err}"))),
            _ = sleep(spawn.timeout) => Ok(End::TimedOut),
            _ = cancel.cancelled() => Ok(End::Cancelled),
            _ = too_much.notified() => Ok(End::TooMuchOutput),
        };
        let why = match &end {
            Ok(End::Exited(_)) => None,
            Ok(End::TimedOut) => Some("Timed out"),
            Ok(End::Cancelled) => Some("Stop requested"),
            Ok(End::TooMuchOutput) => Some("Too much output"),
            Err(_) => Some("Lost track of the shell"),
        };
        match why {
            Some(why) => group.stop(&mut child, spawn.kill_grace, log, why).await,
            None => group.kill_leftovers(log),
        }
        shell_gone.notify_one();
        end
    };
    let (end, ()) = tokio::join!(supervise, read_all);
    group.armed = false;
    let end = end?;
    let progress = progress.into_inner().unwrap_or_else(|poison| poison.into_inner());
    Ok(Run { end, progress, limits: spawn.limits })
}

fn handle_line(line: &str, script: &Script, commands: &[String], log: &LogSink, progress: &mut Progress) {
    let (output, marker) = script.parse(line);
    if marker.is_none() || !output.is_empty() {
        progress.limit = progress.limit.or_else(|| limits_reached_in(output));
        log.line(output);
    }
    let command = |i: usize| commands.get(i).map(String::as_str).unwrap_or("?");
    let prefix = script.prefix();
    match marker {
        Some(Marker::Started(i)) => {
            progress.current = Some(i);
            log.line(format!("{prefix} Running command {}", command(i)));
        }
        Some(Marker::Failed(i, status)) => {
            progress.failed = progress.failed.or(Some((i, status)));
            log.line(format!("{prefix} Command did not exit successfully {} exit status {status}", command(i)));
        }
        Some(Marker::Finished) => progress.finished = true,
        Some(Marker::Entering(p)) => {
            log.line(format!("{prefix} Entering phase {}", script.phase_name(p)));
            log.phase(PhaseEvent::Entered(script.phase_name(p).to_owned()));
        }
        Some(Marker::PhaseDone(p, succeeded)) => {
            progress.phases.push((p, succeeded));
            let state = if succeeded { "SUCCEEDED" } else { "FAILED" };
            log.line(format!("{prefix} Phase complete: {} State: {state}", script.phase_name(p)));
            log.phase(PhaseEvent::Done { phase: script.phase_name(p).to_owned(), succeeded });
        }
        None => {}
    }
}

/// Calls `on_line` with each line as it arrives (decoded lossily) and the bytes it took.
async fn read_lines(stream: Option<impl AsyncRead + Unpin>, on_line: &impl Fn(String, usize)) {
    let Some(stream) = stream else { return };
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let emit = |line: &mut Vec<u8>| {
        let bytes = line.len();
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        on_line(String::from_utf8_lossy(line).into_owned(), bytes);
        line.clear();
    };
    // A read error ends the stream like EOF does: the exit status still tells the outcome.
    while let Ok(chunk) = reader.fill_buf().await {
        if chunk.is_empty() {
            break;
        }
        let room = MAX_LINE_BYTES - line.len();
        let (take, complete) = match chunk.iter().position(|b| *b == b'\n') {
            Some(at) if at < room => (at + 1, true),
            _ if chunk.len() >= room => (room, true),
            _ => (chunk.len(), false),
        };
        line.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if complete {
            emit(&mut line);
        }
    }
    if !line.is_empty() {
        emit(&mut line);
    }
}

/// The process group the sandbox started the shell in. Dropping an armed group kills it, so even
/// an abandoned attempt leaves no processes behind.
struct Group {
    pgid: Option<Pid>,
    armed: bool,
}

impl Group {
    fn new(child: &Child) -> Group {
        let pgid = child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw);
        Group { pgid, armed: true }
    }

    /// Sends `signal` to every process in the group; false when none is left.
    fn signal(&self, signal: Signal) -> bool {
        self.pgid.is_some_and(|pgid| killpg(pgid, signal).is_ok())
    }

    /// After the shell exited: a sandbox's namespace is already empty; without one, whatever
    /// the commands left running in the group is killed now.
    fn kill_leftovers(&self, log: &LogSink) {
        if self.signal(Signal::SIGKILL) {
            log.line("[Sluice] Stopped the processes the commands left running");
        }
    }

    /// SIGTERM, then SIGKILL if the shell has not ended within `grace`.
    async fn stop(&self, child: &mut Child, grace: Duration, log: &LogSink, why: &str) {
        log.line(format!("[Sluice] {why}; stopping all processes"));
        self.signal(Signal::SIGTERM);
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            self.signal(Signal::SIGKILL);
            let _ = child.wait().await;
        }
        self.signal(Signal::SIGKILL);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.armed {
            self.signal(Signal::SIGKILL);
        }
    }
}

/// How a build's script ended when it ran to its end.
#[derive(Debug)]
pub(in crate::providers) struct PhasesRun {
    /// Each phase that ran: its index and whether it succeeded.
    pub phases: Vec<(usize, bool)>,
    /// The first command that failed and its exit status.
    pub first_failure: Option<(usize, i32)>,
}

impl Run {
    /// For a script that carries on past failed commands (a build): how its phases ended once
    /// it ran to its end, or why it did not, in `into_result`'s words.
    pub(in crate::providers) fn into_phases(
        mut self,
        commands: &[String],
        timeout: Duration,
        shell: &Path,
    ) -> Result<PhasesRun, ActionFailure> {
        if matches!(self.end, End::Exited(status) if status.success()) && self.progress.finished {
            return Ok(PhasesRun { phases: self.progress.phases, first_failure: self.progress.failed });
        }
        // An earlier failure the build carried on from is not why the shell ended.
        self.progress.failed = None;
        self.progress.finished = false;
        self.into_result(commands, timeout, shell).map(|()| PhasesRun { phases: Vec::new(), first_failure: None })
    }

    /// Turns how the shell ended into the action's result.
    pub(in crate::providers) fn into_result(
        self,
        commands: &[String],
        timeout: Duration,
        shell: &Path,
    ) -> Result<(), ActionFailure> {
        let Run { end, progress, limits } = self;
        let command = |i: usize| commands.get(i).map(String::as_str).unwrap_or("?");
        let during = progress.current.map(|i| format!(" while running '{}'", command(i))).unwrap_or_default();
        let status = match end {
            End::TimedOut => {
                return Err(ActionFailure::job_failed(format!("Commands timed out after {}{during}", human(timeout))));
            }
            End::Cancelled => return Err(ActionFailure::job_failed(format!("Commands stopped{during}"))),
            End::TooMuchOutput => {
                let limit = limits.describe(Limit::Output);
                return Err(ActionFailure::job_failed(format!("Commands stopped{during}: they reached {limit}")));
            }
            End::Exited(status) => status,
        };
        let message = match (progress.failed, progress.current, status.code(), status.signal()) {
            (Some((i, code)), ..) => format!("Command '{}' exited with status {code}", command(i)),
            (_, _, Some(0), _) if progress.finished => return Ok(()),
            (_, _, Some(code), _) if progress.finished => {
                format!("The shell exited with status {code} after the last command")
            }
            (_, Some(i), _, Some(signal)) => format!("Command '{}' was killed by signal {signal}", command(i)),
            (_, Some(i), Some(0), _) => {
                format!("Command '{}' ended the shell before the remaining commands ran", command(i))
            }
            (_, Some(i), Some(code), _) => format!("Command '{}' exited with status {code}", command(i)),
            (_, Some(_), None, None) => format!("The shell ended ({status})"),
            (_, None, _, _) => format!("The shell '{}' ended ({status}) before running any command", shell.display()),
        };
        let reached =
            progress.limit.map(|limit| format!(" ({} was reached)", limits.describe(limit))).unwrap_or_default();
        Err(ActionFailure::job_failed(format!("{message}{reached}")))
    }
}

/// "55 minutes" for whole minutes, "2.5 s" otherwise (tests use short timeouts).
fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs, duration.subsec_nanos()) {
        (60.., 0) if secs.is_multiple_of(60) => {
            let minutes = secs / 60;
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        }
        _ => format!("{:.1} s", duration.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(55 * 60)), "55 minutes");
        assert_eq!(human(Duration::from_secs(60)), "1 minute");
        assert_eq!(human(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(human(Duration::from_secs(90)), "90.0 s");
    }
}
