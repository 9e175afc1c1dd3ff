//! The one shell script a build runs: every phase of the buildspec in order, in one shell, with
//! CodeBuild's rules for what a failure does.
//!
//! - A command that fails ends its phase's `commands`; the phase's `finally` still runs, and a
//!   failing `finally` command fails the phase too.
//! - A failed phase sets `CODEBUILD_BUILD_SUCCEEDING=0`. With `on-failure: CONTINUE` the next phase
//!   runs anyway. With ABORT (the default) a failed INSTALL or PRE_BUILD skips the phases after
//!   it, while a failed BUILD still goes on to POST_BUILD, as in CodeBuild's phase transitions.
//!   Either way the build fails.
//! - `exported-variables` are saved after the last phase that ran.
//!
//! The markers (see `commands::script`) tell the log reader which phase and command run.
use super::buildspec::{Buildspec, OnFailure, PhaseName};
use crate::providers::commands::script::{quote, save_variables, Markers, Script, PROLOGUE};
use std::path::Path;

/// The script, and the commands in the order the markers number them.
pub(super) struct BuildScript {
    pub script: Script,
    pub commands: Vec<String>,
    /// The phases the script runs, in order (marker phase indices point here).
    pub phases: Vec<PhaseName>,
}

pub(super) fn write(spec: &Buildspec, vars_file: &Path) -> BuildScript {
    let markers = Markers::new();
    let mut text = String::from(PROLOGUE);
    text.push_str("CODEBUILD_BUILD_SUCCEEDING=1\nexport CODEBUILD_BUILD_SUCCEEDING\n__sluice_skip=0\n");
    let mut commands = Vec::new();
    let declared = spec.phases.declared();
    for (index, (name, phase)) in declared.iter().enumerate() {
        text.push_str("if [ \"$__sluice_skip\" -eq 0 ]; then\n");
        text.push_str(&markers.entering(index));
        text.push_str("__sluice_failed=0\n");
        run_each(&mut text, &mut commands, &markers, &phase.commands, "__sluice_failed");
        if !phase.finally.is_empty() {
            text.push_str("__sluice_finally_failed=0\n");
            run_each(&mut text, &mut commands, &markers, &phase.finally, "__sluice_finally_failed");
            text.push_str("[ \"$__sluice_finally_failed\" -eq 0 ] || __sluice_failed=1\n");
        }
        text.push_str(&markers.phase_done(index, "\"$__sluice_failed\""));
        text.push_str("if [ \"$__sluice_failed\" -ne 0 ]; then\nCODEBUILD_BUILD_SUCCEEDING=0\n");
        let skips_rest =
            phase.on_failure == OnFailure::Abort && matches!(name, PhaseName::Install | PhaseName::PreBuild);
        if skips_rest {
            text.push_str("__sluice_skip=1\n");
        }
        text.push_str("fi\nfi\n");
    }
    text.push_str(&save_variables(&spec.env.exported_variables, vars_file));
    text.push_str(&markers.finished());
    let phases: Vec<PhaseName> = declared.iter().map(|(name, _)| *name).collect();
    let names = phases.iter().map(|phase| phase.upper()).collect();
    BuildScript { script: Script::written(markers, text, "[Container]", names), commands, phases }
}

/// Runs `list` in order until one fails, which sets the shell variable `flag` to 1.
fn run_each(text: &mut String, commands: &mut Vec<String>, markers: &Markers, list: &[String], flag: &str) {
    for command in list {
        let index = commands.len();
        commands.push(command.clone());
        // `eval` keeps the command in this shell, so `cd` and `export` reach the next one.
        text.push_str(&format!(
            "if [ \"${flag}\" -eq 0 ]; then\n{started}eval {cmd}\n__sluice_status=$?\n\
             if [ \"$__sluice_status\" -ne 0 ]; then\n{failed}{flag}=1\nfi\nfi\n",
            started = markers.started(index),
            cmd = quote(command),
            failed = markers.failed(index, "\"$__sluice_status\""),
        ));
    }
}
