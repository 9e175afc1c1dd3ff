//! `sluice-sandbox-init`: the first program inside the sandbox. It sets the resource limits, ends
//! itself with the server, applies Landlock (where bubblewrap made the namespaces), and then
//! becomes the command, so nothing of it stays in the process tree.
//!
//! `sluice-sandbox-init --max-processes N --max-memory BYTES [--parent PID] [--landlock [--rw DIR]...]
//!  (--check | -- PROGRAM ARGS...)`; `--check` prints what Landlock enforced and exits.
use super::Limits;
use landlock::{
    path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// Folders the commands may read and execute from; everything else in the sandbox is closed.
const READ_ONLY: [&str; 6] = ["/usr", "/etc", "/opt", "/proc", "/run", "/sys"];
/// Private to the sandbox, so writable.
const SCRATCH: [&str; 3] = ["/tmp", "/var/tmp", "/dev"];
/// The ABI this ruleset was written and tested against (6: signal and abstract socket scoping).
const LANDLOCK_ABI: ABI = ABI::V6;

/// The helper's arguments, up to and including the program (or `--check`).
pub(crate) fn args(limits: Limits, writable: &[&Path], landlock: bool, program: Option<&Path>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--max-processes".into(),
        limits.processes.to_string().into(),
        "--max-memory".into(),
        limits.memory_bytes.to_string().into(),
    ];
    if !landlock {
        // Without bubblewrap the helper is the server's own child: it checks it still is one.
        args.extend(["--parent".into(), std::process::id().to_string().into()]);
    } else {
        args.push("--landlock".into());
        for dir in writable {
            args.extend(["--rw".into(), dir.as_os_str().to_owned()]);
        }
    }
    match program {
        Some(program) => args.extend(["--".into(), program.as_os_str().to_owned()]),
        None => args.push("--check".into()),
    }
    args
}

#[derive(Debug, Default)]
struct Plan {
    max_processes: Option<u64>,
    max_memory: Option<u64>,
    parent: Option<u32>,
    landlock: bool,
    writable: Vec<PathBuf>,
    check: bool,
    command: Vec<OsString>,
}

fn parse(mut args: impl Iterator<Item = OsString>) -> Result<Plan, String> {
    let mut plan = Plan::default();
    let number = |value: Option<OsString>, flag: &str| -> Result<u64, String> {
        value.and_then(|v| v.to_str()?.parse().ok()).ok_or(format!("{flag} needs a number"))
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--max-processes") => plan.max_processes = Some(number(args.next(), "--max-processes")?),
            Some("--max-memory") => plan.max_memory = Some(number(args.next(), "--max-memory")?),
            Some("--parent") => plan.parent = Some(number(args.next(), "--parent")? as u32),
            Some("--landlock") => plan.landlock = true,
            Some("--rw") => plan.writable.push(args.next().ok_or("--rw needs a folder")?.into()),
            Some("--check") => plan.check = true,
            Some("--") => {
                plan.command = args.collect();
                break;
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if !plan.check && plan.command.is_empty() {
        return Err("no command to run".into());
    }
    Ok(plan)
}

/// The helper's `main`.
pub fn main() -> ! {
    let failed = |why: String| -> ! {
        eprintln!("[Sluice] The sandbox could not start the commands: {why}");
        std::process::exit(125)
    };
    let plan = parse(std::env::args_os().skip(1)).unwrap_or_else(|why| failed(why));
    limit(&plan).unwrap_or_else(|why| failed(why));
    let enforced =
        if plan.landlock { landlock(&plan.writable).unwrap_or_else(|why| failed(why)) } else { "off".into() };
    if plan.check {
        println!("{enforced}");
        std::process::exit(0);
    }
    let err = std::process::Command::new(&plan.command[0]).args(&plan.command[1..]).exec();
    failed(format!("cannot run {:?}: {err}", plan.command[0]))
}

fn limit(plan: &Plan) -> Result<(), String> {
    use nix::sys::resource::{setrlimit, Resource};
    for (resource, value) in [(Resource::RLIMIT_NPROC, plan.max_processes), (Resource::RLIMIT_DATA, plan.max_memory)] {
        if let Some(value) = value {
            setrlimit(resource, value, value).map_err(|err| format!("cannot set {resource:?}: {err}"))?;
        }
    }
    // Outside a PID namespace nothing else ends the command when the server dies (even by SIGKILL).
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(|err| format!("cannot follow the server: {err}"))?;
    if plan.parent.is_some_and(|parent| parent != std::os::unix::process::parent_id()) {
        return Err("the server ended before the commands started".into());
    }
    Ok(())
}

/// Restricts this process and all it starts to reading the system and writing its own folders.
fn landlock(writable: &[PathBuf]) -> Result<String, String> {
    let existing = |paths: Vec<PathBuf>| paths.into_iter().filter(|p| p.exists()).collect::<Vec<_>>();
    let read_only = existing(READ_ONLY.iter().map(PathBuf::from).collect());
    let scratch = existing(SCRATCH.iter().map(PathBuf::from).chain(writable.iter().cloned()).collect());
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))
        .and_then(|r| r.scope(Scope::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&read_only, AccessFs::from_read(LANDLOCK_ABI))))
        .and_then(|r| r.add_rules(path_beneath_rules(&scratch, AccessFs::from_all(LANDLOCK_ABI))))
        .and_then(|r| r.restrict_self())
        .map_err(|err| format!("Landlock: {err}"))?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => "Landlock enforced".into(),
        RulesetStatus::PartiallyEnforced => "Landlock partly enforced (older kernel ABI)".into(),
        RulesetStatus::NotEnforced => "Landlock not available on this kernel".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip() {
        let limits = Limits { memory_bytes: 1 << 30, processes: 64, output_bytes: 1 };
        let work = Path::new("/w/x");
        let args = args(limits, &[work], true, Some(Path::new("bash")));
        let plan = parse(args.into_iter().chain(["script.sh".into()])).expect("parses");
        assert_eq!(plan.max_processes, Some(64));
        assert_eq!(plan.max_memory, Some(1 << 30));
        assert!(plan.landlock);
        assert_eq!(plan.writable, vec![PathBuf::from("/w/x")]);
        assert_eq!(plan.command, vec![OsString::from("bash"), OsString::from("script.sh")]);
        assert!(parse(["--bogus".into()].into_iter()).is_err());
        assert!(parse(std::iter::empty()).is_err(), "a plan without a command or --check is refused");
    }
}
