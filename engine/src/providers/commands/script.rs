//! The shell script that runs the commands, and the markers it prints so the log reader knows
//! which command is running and how it ended.
//!
//! Markers go to stdout (which stderr is merged into) rather than to a side channel, so a
//! "Running command" line can never overtake the output of the command before it.
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
pub(super) fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Output variable names are pasted into the script, so anything but a plain name is refused.
pub(super) fn check_variable_names(names: &[String]) -> Result<(), ActionFailure> {
    match names.iter().find(|name| !is_shell_name(name)) {
        Some(bad) => Err(ActionFailure::configuration(format!(
            "Output variable '{bad}' is not a valid environment variable name"
        ))),
        None => Ok(()),
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What a marker line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Started(usize),
    Failed(usize, i32),
    Finished,
}

pub(super) struct Script {
    nonce: String,
    text: String,
}

impl Script {
    pub(super) fn new(commands: &[String], output_variables: &[String], vars_file: &Path) -> Script {
        // Unique per run: user output cannot fake a marker by accident.
        let nonce = format!("##sluice:{}##", uuid::Uuid::new_v4().simple());
        let marker = quote(&nonce);
        let mut text = String::from("exec 2>&1\n(set -o pipefail) 2>/dev/null && set -o pipefail\n");
        for (index, command) in commands.iter().enumerate() {
            // `eval` keeps the command in this shell, so `cd` and `export` reach the next one.
            text.push_str(&format!(
                "printf '%s S {index}\\n' {marker}\neval {cmd}\n__sluice_status=$?\n\
                 if [ \"$__sluice_status\" -ne 0 ]; then printf '%s F {index} %s\\n' {marker} \"$__sluice_status\"; \
                 exit \"$__sluice_status\"; fi\n",
                cmd = quote(command),
            ));
        }
        text.push_str("{\n:\n"); // `:` keeps the group valid when there are no variables
        for name in output_variables {
            // `${X+set}` tells an unset variable from an empty one; NUL cannot occur in a value.
            text.push_str(&format!("if [ -n \"${{{name}+set}}\" ]; then printf '%s=%s\\0' {name} \"${name}\"; fi\n"));
        }
        text.push_str(&format!("}} > {}\n", quote(&vars_file.to_string_lossy())));
        text.push_str(&format!("printf '%s D\\n' {marker}\n"));
        Script { nonce, text }
    }

    pub(super) fn text(&self) -> &str {
        &self.text
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
            _ => None,
        };
        match marker {
            Some(marker) => (&line[..at], Some(marker)),
            None => (line, None), // e.g. the script traced by `set -x`: plain output
        }
    }
}

/// Reads the values the script saved after the last command.
pub(super) async fn read_variables(
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
