//! Starting the shell in its own process group, streaming its output to the log, and ending the
//! whole group on timeout, cancellation or when the shell leaves background processes behind.
use super::super::{ActionFailure, LogSink};
use super::script::{Marker, Script};
use indexmap::IndexMap;
use nix::errno::Errno;
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
use tokio::time::{sleep, Instant};
use tokio_util::sync::CancellationToken;

/// Longer lines are split, so one runaway line (or binary output) cannot exhaust memory.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long to keep reading output after the group was ended: something that escaped the group
/// (`setsid`) may hold the pipe open forever.
const DRAIN: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(50);

pub(super) struct Spawn<'a> {
    pub shell: &'a Path,
    pub script: &'a Path,
    pub cwd: &'a Path,
    pub env: &'a IndexMap<String, String>,
    pub timeout: Duration,
    pub kill_grace: Duration,
}

#[derive(Debug)]
enum End {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
}

/// What the markers told about the run.
#[derive(Debug, Default)]
struct Progress {
    current: Option<usize>,
    failed: Option<(usize, i32)>,
    finished: bool,
}

pub(super) struct Run {
    end: End,
    progress: Progress,
}

pub(super) async fn run(
    spawn: Spawn<'_>,
    script: &Script,
    commands: &[String],
    log: &LogSink,
    cancel: &CancellationToken,
) -> Result<Run, ActionFailure> {
    let mut child = tokio::process::Command::new(spawn.shell)
        .arg(spawn.script)
        .current_dir(spawn.cwd)
        .env_clear()
        .envs(spawn.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0) // the shell leads a new group: one signal reaches all its descendants
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| super::system(format!("cannot start the shell '{}': {err}", spawn.shell.display())))?;
    let mut group = Group::new(&child);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());

    let progress = Mutex::new(Progress::default());
    let on_line = |line: String| handle_line(&line, script, commands, log, &progress);
    let shell_gone = Notify::new();
    let read_all = async {
        let readers = async { tokio::join!(read_lines(stdout, on_line), read_lines(stderr, on_line)) };
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
        };
        match end {
            Ok(End::Exited(_)) => {
                if group.signal(Signal::SIGTERM) {
                    log.line("[Sluice] Stopping processes the commands left running");
                    group.wait_empty(&mut child, spawn.kill_grace).await;
                }
            }
            Ok(End::TimedOut) => group.stop(&mut child, spawn.kill_grace, log, "Timed out").await,
            Ok(End::Cancelled) => group.stop(&mut child, spawn.kill_grace, log, "Stop requested").await,
            Err(_) => group.stop(&mut child, spawn.kill_grace, log, "Lost track of the shell").await,
        }
        shell_gone.notify_one();
        end
    };
    let (end, ()) = tokio::join!(supervise, read_all);
    group.armed = false;
    let end = end?;
    Ok(Run { end, progress: progress.into_inner().unwrap_or_else(|poison| poison.into_inner()) })
}

fn handle_line(line: &str, script: &Script, commands: &[String], log: &LogSink, progress: &Mutex<Progress>) {
    let (output, marker) = script.parse(line);
    if marker.is_none() || !output.is_empty() {
        log.line(output);
    }
    let command = |i: usize| commands.get(i).map(String::as_str).unwrap_or("?");
    let mut progress = progress.lock().unwrap_or_else(|poison| poison.into_inner());
    match marker {
        Some(Marker::Started(i)) => {
            progress.current = Some(i);
            log.line(format!("[Sluice] Running command {}", command(i)));
        }
        Some(Marker::Failed(i, status)) => {
            progress.failed = Some((i, status));
            log.line(format!("[Sluice] Command did not exit successfully {} exit status {status}", command(i)));
        }
        Some(Marker::Finished) => progress.finished = true,
        None => {}
    }
}

/// Calls `on_line` for each line as it arrives, decoding invalid UTF-8 lossily.
async fn read_lines(stream: Option<impl AsyncRead + Unpin>, on_line: impl Fn(String)) {
    let Some(stream) = stream else { return };
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let emit = |line: &mut Vec<u8>| {
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        on_line(String::from_utf8_lossy(line).into_owned());
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

/// The shell's process group. Dropping an armed group kills it, so even an abandoned attempt
/// leaves no processes behind.
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

    fn is_empty(&self) -> bool {
        self.pgid.is_none_or(|pgid| killpg(pgid, None) == Err(Errno::ESRCH))
    }

    /// Reaps the shell and waits for the group to empty; SIGKILLs what is left after `grace`.
    async fn wait_empty(&self, child: &mut Child, grace: Duration) {
        let deadline = Instant::now() + grace;
        loop {
            // Reaping matters: a zombie leader still counts as a member of the group.
            let _ = child.try_wait();
            if self.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                self.signal(Signal::SIGKILL);
                break;
            }
            sleep(POLL).await;
        }
        let _ = child.wait().await;
    }

    async fn stop(&self, child: &mut Child, grace: Duration, log: &LogSink, why: &str) {
        log.line(format!("[Sluice] {why}; stopping all processes"));
        self.signal(Signal::SIGTERM);
        self.wait_empty(child, grace).await;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.armed {
            self.signal(Signal::SIGKILL);
        }
    }
}

impl Run {
    /// Turns how the shell ended into the action's result.
    pub(super) fn into_result(self, commands: &[String], timeout: Duration, shell: &Path) -> Result<(), ActionFailure> {
        let Run { end, progress } = self;
        let command = |i: usize| commands.get(i).map(String::as_str).unwrap_or("?");
        let during = progress.current.map(|i| format!(" while running '{}'", command(i))).unwrap_or_default();
        let status = match end {
            End::TimedOut => {
                return Err(ActionFailure::job_failed(format!("Commands timed out after {}{during}", human(timeout))));
            }
            End::Cancelled => return Err(ActionFailure::job_failed(format!("Commands stopped{during}"))),
            End::Exited(status) => status,
        };
        if let Some((i, code)) = progress.failed {
            return Err(ActionFailure::job_failed(format!("Command '{}' exited with status {code}", command(i))));
        }
        let message = match (progress.current, status.code(), status.signal()) {
            (_, Some(0), _) if progress.finished => return Ok(()),
            (_, Some(code), _) if progress.finished => {
                format!("The shell exited with status {code} after the last command")
            }
            (Some(i), _, Some(signal)) => format!("Command '{}' was killed by signal {signal}", command(i)),
            (Some(i), Some(0), _) => {
                format!("Command '{}' ended the shell before the remaining commands ran", command(i))
            }
            (Some(i), Some(code), _) => format!("Command '{}' exited with status {code}", command(i)),
            (None, _, _) => format!("The shell '{}' ended ({status}) before running any command", shell.display()),
            (_, None, None) => format!("The shell ended ({status})"),
        };
        Err(ActionFailure::job_failed(message))
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
