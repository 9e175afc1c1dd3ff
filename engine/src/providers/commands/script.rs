//! The shell script that runs the commands, and the markers it prints so the log reader knows
//! which command is running and how it ended.
//!
//! Markers go to stdout (which stderr is merged into) rather than to a side channel, so a
//! "Running command" line can never overtake the output of the command before it.
//!
//! Builds (`super::super::codebuild`) write their own script with the same markers, plus the
//! phase markers, so one reader and one process runner serve both.
use super::super::{ActionFailure, LogSink};
use super::MAX_OUTPUT_VARIABLES_BYTES;
use indexmap::IndexMap;
use std::path::Path;

pub(super) fn check_commands(commands: &[String]) -> Result<(), ActionFailure> {
    if commands.is_empty() {
        return Err(ActionFailure::configuration("The Commands action needs at least one command"));
    }
    for command in commands {
        if command.trim().is_empty() {
            return Err(ActionFailure::configuration("A command is empty"));
        }
        if command.contains(['\n', '\r']) {
            return Err(ActionFailure::configuration(format!(
                "Command '{}' spans several lines; the Commands action takes single-line commands only",
                command.lines().next().unwrap_or_default()
            )));
        }
        if command.contains('\0') {
            return Err(ActionFailure::configuration("A command contains a NUL character"));
        }
    }
    Ok(())
}

/// True for a name the shell can expand (`[A-Za-z_][A-Za-z0-9_]*`).
pub(in crate::providers) fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Output variable names are pasted into the script, so anything but a plain name is refused.
pub(in crate::providers) fn check_variable_names(names: &[String]) -> Result<(), ActionFailure> {
    match names.iter().find(|name| !is_shell_name(name)) {
        Some(bad) => Err(ActionFailure::configuration(format!(
            "Output variable '{bad}' is not a valid environment variable name"
        ))),
        None => Ok(()),
    }
}

pub(in crate::providers) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What a marker line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::providers) enum Marker {
    Started(usize),
    Failed(usize, i32),
    Finished,
    /// A build entered its phase of this index.
    Entering(usize),
    /// A build's phase ended; true when it succeeded.
    PhaseDone(usize, bool),
}

/// Writes the shell lines that print markers, with a nonce unique per run so user output cannot
/// fake a marker by accident.
pub(in crate::providers) struct Markers {
    nonce: String,
}

impl Markers {
    pub(in crate::providers) fn new() -> Markers {
        Markers { nonce: format!("##sluice:{}##", uuid::Uuid::new_v4().simple()) }
    }

    /// `printf` of the marker `words`; `%s` in them takes `argument` (a shell expression).
    fn print(&self, words: &str, argument: &str) -> String {
        format!("printf '%s {words}\\n' {} {argument}\n", quote(&self.nonce))
    }

    pub(in crate::providers) fn started(&self, index: usize) -> String {
        self.print(&format!("S {index}"), "")
    }

    pub(in crate::providers) fn failed(&self, index: usize, status: &str) -> String {
        self.print(&format!("F {index} %s"), status)
    }

    pub(in crate::providers) fn finished(&self) -> String {
        self.print("D", "")
    }

    pub(in crate::providers) fn entering(&self, phase: usize) -> String {
        self.print(&format!("E {phase}"), "")
    }

    /// `failed` is a shell expression that is 0 when the phase succeeded.
    pub(in crate::providers) fn phase_done(&self, phase: usize, failed: &str) -> String {
        self.print(&format!("P {phase} %s"), failed)
    }
}

/// Saves the named variables' values after the last command, for `read_variables`.
pub(in crate::providers) fn save_variables(names: &[String], vars_file: &Path) -> String {
    let mut text = String::from("{\n:\n"); // `:` keeps the group valid when there are no variables
    for name in names {
        // `${X+set}` tells an unset variable from an empty one; NUL cannot occur in a value.
        text.push_str(&format!("if [ -n \"${{{name}+set}}\" ]; then printf '%s=%s\\0' {name} \"${name}\"; fi\n"));
    }
    text.push_str(&format!("}} > {}\n", quote(&vars_file.to_string_lossy())));
    text
}

/// The shell's first lines: stderr into stdout, and `pipefail` where the shell has it. `command`
/// keeps a shell without it (dash) from exiting on the unknown option, and costs no subshell.
pub(in crate::providers) const PROLOGUE: &str = "exec 2>&1\ncommand set -o pipefail 2>/dev/null\n";

pub(in crate::providers) struct Script {
    nonce: String,
    text: String,
    /// How Sluice's own log lines start: `[Sluice]`, or `[Container]` in a build as in CodeBuild.
    prefix: &'static str,
    /// The names `Entering` and `PhaseDone` markers refer to (builds only).
    phases: Vec<&'static str>,
}

impl Script {
    pub(super) fn new(commands: &[String], output_variables: &[String], vars_file: &Path) -> Script {
        let markers = Markers::new();
        let mut text = String::from(PROLOGUE);
        for (index, command) in commands.iter().enumerate() {
            // `eval` keeps the command in this shell, so `cd` and `export` reach the next one.
            text.push_str(&markers.started(index));
            text.push_str(&format!(
                "eval {cmd}\n__sluice_status=$?\nif [ \"$__sluice_status\" -ne 0 ]; then\n{failed}exit \"$__sluice_status\"\nfi\n",
                cmd = quote(command),
                failed = markers.failed(index, "\"$__sluice_status\""),
            ));
        }
        text.push_str(&save_variables(output_variables, vars_file));
        text.push_str(&markers.finished());
        Script::written(markers, text, "[Sluice]", Vec::new())
    }

    /// A script written elsewhere with `markers`.
    pub(in crate::providers) fn written(
        markers: Markers,
        text: String,
        prefix: &'static str,
        phases: Vec<&'static str>,
    ) -> Script {
        Script { nonce: markers.nonce, text, prefix, phases }
    }

    pub(in crate::providers) fn text(&self) -> &str {
        &self.text
    }

    pub(in crate::providers) fn prefix(&self) -> &'static str {
        self.prefix
    }

    pub(in crate::providers) fn phase_name(&self, index: usize) -> &'static str {
        self.phases.get(index).copied().unwrap_or("?")
    }

    /// Splits a log line into the output before a marker and the marker itself.
    pub(super) fn parse<'a>(&self, line: &'a str) -> (&'a str, Option<Marker>) {
        let Some(at) = line.find(&self.nonce) else { return (line, None) };
        let mut words = line[at + self.nonce.len()..].split_whitespace();
        let marker = match (words.next(), words.next(), words.next(), words.next()) {
            (Some("S"), Some(i), None, None) => i.parse().ok().map(Marker::Started),
            (Some("F"), Some(i), Some(s), None) => {
                i.parse().ok().zip(s.parse().ok()).map(|(i, s)| Marker::Failed(i, s))
            }
            (Some("D"), None, None, None) => Some(Marker::Finished),
            (Some("E"), Some(p), None, None) => p.parse().ok().map(Marker::Entering),
            (Some("P"), Some(p), Some(failed), None) => p.parse().ok().map(|p| Marker::PhaseDone(p, failed == "0")),
            _ => None,
        };
        match marker {
            Some(marker) => (&line[..at], Some(marker)),
            None => (line, None), // e.g. the script traced by `set -x`: plain output
        }
    }
}

/// Reads the values the script saved after the last command.
pub(in crate::providers) async fn read_variables(
    file: &Path,
    names: &[String],
    log: &LogSink,
) -> Result<IndexMap<String, String>, ActionFailure> {
    if names.is_empty() {
        return Ok(IndexMap::new());
    }
    let bytes = read_own_file(file, MAX_OUTPUT_VARIABLES_BYTES as u64 * 2)
        .await
        .map_err(|err| super::system(format!("cannot read the output variables: {err}")))?;
    let mut found: IndexMap<String, String> = bytes
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (name, value) = entry.split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect();
    let mut variables = IndexMap::new();
    for name in names {
        match found.swap_remove(name) {
            Some(value) => {
                variables.insert(name.clone(), value);
            }
            None => log.line(format!("[Sluice] Output variable {name} is not set; it is not exported")),
        }
    }
    let total: usize = variables.values().map(String::len).sum();
    if total > MAX_OUTPUT_VARIABLES_BYTES {
        return Err(ActionFailure::job_failed(format!(
            "Output variables total {total} bytes, more than the {MAX_OUTPUT_VARIABLES_BYTES} bytes allowed"
        )));
    }
    Ok(variables)
}

/// Reads at most `limit` bytes of a file the commands wrote, refusing a link the commands could
/// have pointed at the server's own files.
async fn read_own_file(file: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits() | nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&file)?;
        if !opened.metadata()?.is_file() {
            return Err(std::io::Error::other("it is not a regular file"));
        }
        let mut bytes = Vec::new();
        opened.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .unwrap_or_else(|err| Err(std::io::Error::other(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_recognised_only_with_the_nonce() {
        let script = Script::new(&["true".into()], &[], Path::new("/tmp/v"));
        let n = script.nonce.clone();
        assert_eq!(script.parse(&format!("{n} S 3")), ("", Some(Marker::Started(3))));
        assert_eq!(script.parse(&format!("partial{n} F 1 127")), ("partial", Some(Marker::Failed(1, 127))));
        assert_eq!(script.parse(&format!("{n} D")), ("", Some(Marker::Finished)));
        assert_eq!(script.parse("##sluice:other## S 1"), ("##sluice:other## S 1", None));
        let traced = format!("+ printf '%s S 1\\n' '{n}'");
        assert_eq!(script.parse(&traced), (traced.as_str(), None));
    }

    #[test]
    fn phase_markers_name_their_phase_and_state() {
        let markers = Markers::new();
        let n = markers.nonce.clone();
        let script = Script::written(markers, String::new(), "[Container]", vec!["BUILD"]);
        assert_eq!(script.parse(&format!("{n} E 0")), ("", Some(Marker::Entering(0))));
        assert_eq!(script.parse(&format!("{n} P 0 0")), ("", Some(Marker::PhaseDone(0, true))));
        assert_eq!(script.parse(&format!("{n} P 0 1")), ("", Some(Marker::PhaseDone(0, false))));
        assert_eq!((script.phase_name(0), script.phase_name(7), script.prefix()), ("BUILD", "?", "[Container]"));
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn shell_names() {
        assert!(is_shell_name("_A1"));
        assert!(!is_shell_name("1A"));
        assert!(!is_shell_name("A-B"));
        assert!(!is_shell_name("A;rm"));
        assert!(!is_shell_name(""));
    }
}
