//! Where pipeline code runs: every provider that runs what a pipeline author wrote (the Commands
//! action and rule today, builds and tests later) starts it through [`Sandbox::command`].
//!
//! Two walls, so that one mistake does not open everything:
//! 1. bubblewrap puts the process in its own user, mount, PID, IPC and UTS namespaces. Its file
//!    system is a fresh tmpfs holding the system read-only (`/usr`, `/etc`, `/opt`), a private
//!    `/tmp`, `/proc` of its own PID namespace, a minimal `/dev`, and the attempt's own folders
//!    read-write. The data dir, the keys, the database, other attempts' workspaces and the
//!    server's processes are not in it. When the server runs as root, bubblewrap itself is
//!    started as an unprivileged user (`nobody`), so not even a kernel bug in the namespaces
//!    hands out root.
//! 2. Inside, `sluice-sandbox-init` (see [`init`]) applies resource limits and a Landlock ruleset
//!    (read-only system paths, read-write workspace) before it executes the command.
//!
//! The PID namespace is also how a run ends cleanly: when the command's shell exits, the
//! namespace's init exits and the kernel kills whatever was left in it, at once and with no
//! polling; `--die-with-parent` does the same when the server itself dies, even by SIGKILL.
//! Network access stays open: builds fetch dependencies.
//!
//! No sandbox, no run: where one cannot be made, commands fail with the reason, unless an admin
//! turned the sandbox off ([`SandboxMode::Off`]), which the web app then shows on every page.
pub mod init;
mod limits;

pub use limits::{reached_in as limits_reached_in, Limit, Limits};

use indexmap::IndexMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tokio::sync::OnceCell;

/// The name of the helper that runs first inside the sandbox.
pub const INIT_NAME: &str = "sluice-sandbox-init";
/// Where the helper is mounted inside the sandbox.
const INIT_INSIDE: &str = "/run/sluice/init";
/// The unprivileged user a root server runs sandboxes as.
const NOBODY: u32 = 65534;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxMode {
    /// Pipeline code runs only inside a sandbox; where none can be made, it does not run.
    Enforce,
    /// Pipeline code runs as the server's user with only the resource limits (`--sandbox off`).
    Off,
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub mode: SandboxMode,
    pub limits: Limits,
    /// The helper; by default `sluice-sandbox-init` beside the running executable.
    pub init: Option<PathBuf>,
    /// More read-only folders to show inside (toolchains installed outside `/usr` and `/opt`).
    pub read_only: Vec<PathBuf>,
    /// Where attempts get their workspaces: never inside the data dir, which holds the keys.
    pub work_dir: PathBuf,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        let work_dir = std::env::temp_dir().join(format!("sluice-work-{}", nix::unistd::geteuid()));
        SandboxConfig {
            mode: SandboxMode::Enforce,
            limits: Limits::default(),
            init: None,
            read_only: Vec::new(),
            work_dir,
        }
    }
}

/// What runs inside: a program with its arguments, working directory and complete environment,
/// and the folders it may write.
pub struct Jail<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    pub cwd: &'a Path,
    pub env: &'a IndexMap<String, String>,
    pub writable: Vec<&'a Path>,
}

/// How this server runs pipeline code, found out once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxStatus {
    /// Namespaces and (where the kernel has it) Landlock; `landlock` says which ABI was enforced.
    Isolated { landlock: String },
    /// Turned off by the admin.
    Off,
    /// Enforced, but none could be made: commands fail with this reason.
    Unavailable(String),
}

pub struct Sandbox {
    config: SandboxConfig,
    ready: OnceCell<Result<Ready, String>>,
}

#[derive(Debug, Clone)]
struct Ready {
    bwrap: Option<PathBuf>,
    init: Option<PathBuf>,
    landlock: String,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("mode", &self.config.mode).finish_non_exhaustive()
    }
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Sandbox {
        Sandbox { config, ready: OnceCell::new() }
    }

    pub fn limits(&self) -> Limits {
        self.config.limits
    }

    /// Probes (once) whether a sandbox can be made here, by making one.
    pub async fn status(&self) -> SandboxStatus {
        match (self.config.mode, self.ready().await) {
            (SandboxMode::Off, _) => SandboxStatus::Off,
            (SandboxMode::Enforce, Ok(ready)) => SandboxStatus::Isolated { landlock: ready.landlock.clone() },
            (SandboxMode::Enforce, Err(why)) => SandboxStatus::Unavailable(why.clone()),
        }
    }

    /// True when pipeline code runs unconfined, which every page should say.
    pub fn is_off(&self) -> bool {
        self.config.mode == SandboxMode::Off
    }

    /// A command that runs `jail` in the sandbox, in a process group of its own; fails closed.
    pub async fn command(&self, jail: &Jail<'_>) -> Result<tokio::process::Command, SandboxError> {
        let ready = self.ready().await.as_ref().map_err(|why| unavailable(why))?;
        Ok(self.build(ready, jail, Some(jail.program)))
    }

    /// bubblewrap, then the helper, then the program (`None`: the helper only checks itself).
    fn build(&self, ready: &Ready, jail: &Jail<'_>, program: Option<&Path>) -> tokio::process::Command {
        let helper = init::args(self.config.limits, &jail.writable, ready.bwrap.is_some(), program);
        let mut command = match (&ready.bwrap, &ready.init) {
            (Some(bwrap), Some(init)) => {
                let mut command = tokio::process::Command::new(bwrap);
                command.args(self.bwrap_args(init, &jail.writable, jail.cwd)).arg(INIT_INSIDE).args(helper);
                if running_as_root() {
                    command.uid(NOBODY).gid(NOBODY);
                }
                command
            }
            // Off: the helper still applies the limits and ends the command with the server.
            (None, Some(init)) => {
                let mut command = tokio::process::Command::new(init);
                command.args(helper);
                command
            }
            (_, None) => tokio::process::Command::new(jail.program),
        };
        command
            .args(&jail.args)
            .current_dir(jail.cwd)
            .env_clear()
            .envs(jail.env)
            .process_group(0) // one signal reaches every process the command started
            .kill_on_drop(true);
        command
    }

    /// Where the files of one action or rule attempt live.
    pub fn attempt_path(&self, id: &str) -> PathBuf {
        self.config.work_dir.join(id)
    }

    /// Makes `attempt_path(id)` a new, empty folder (a takeover starts clean). The work dir is
    /// created on first use and must belong to this server's user.
    pub async fn prepare_attempt(&self, id: &str) -> Result<PathBuf, SandboxError> {
        let (work_dir, dir) = (self.config.work_dir.clone(), self.attempt_path(id));
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::DirBuilderExt;
            ensure_work_dir(&work_dir)?;
            if std::fs::symlink_metadata(&dir).is_ok() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
            Ok(dir)
        })
        .await
        .unwrap_or_else(|err| Err(std::io::Error::other(err)))
        .map_err(|err| SandboxError(format!("cannot create the attempt's workspace: {err}")))
    }

    /// Gives the sandbox's user the folders it will write (a root server runs it as `nobody`),
    /// and lets it pass through their parents within the work dir. Links are changed, never
    /// followed.
    pub async fn hand_over(&self, dirs: &[&Path]) -> Result<(), SandboxError> {
        if !running_as_root() || self.config.mode == SandboxMode::Off {
            return Ok(());
        }
        let root = self.config.work_dir.clone();
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            for dir in &dirs {
                for parent in dir.ancestors().skip(1).take_while(|p| p.starts_with(&root)) {
                    open_for_passage(parent)?;
                }
                chown_tree(dir)?;
            }
            Ok(())
        })
        .await
        .unwrap_or_else(|err| Err(std::io::Error::other(err)))
        .map_err(|err| SandboxError(format!("cannot prepare the workspace for the sandbox: {err}")))
    }

    async fn ready(&self) -> &Result<Ready, String> {
        self.ready.get_or_init(|| self.probe()).await
    }

    async fn probe(&self) -> Result<Ready, String> {
        let init = self.config.init.clone().or_else(default_init).filter(|path| path.is_file());
        if self.config.mode == SandboxMode::Off {
            return Ok(Ready { bwrap: None, init, landlock: String::new() });
        }
        let init =
            init.ok_or_else(|| format!("the helper {INIT_NAME} was not found beside the server's executable"))?;
        let init = self.install(&init).map_err(|err| format!("cannot install {INIT_NAME} into the work dir: {err}"))?;
        let bwrap = find_on_path("bwrap").ok_or("bubblewrap (bwrap) is not installed")?;
        let ready = Ready { bwrap: Some(bwrap), init: Some(init), landlock: String::new() };
        let env = IndexMap::new();
        let check =
            Jail { program: Path::new("true"), args: Vec::new(), cwd: Path::new("/"), env: &env, writable: Vec::new() };
        let output = self
            .build(&ready, &check, None)
            .output()
            .await
            .map_err(|err| format!("bubblewrap could not be started: {err}"))?;
        if !output.status.success() {
            let why = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(format!("bubblewrap could not make a sandbox here ({}): {why}", output.status));
        }
        let landlock = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        tracing::info!(%landlock, "pipeline code runs in a bubblewrap sandbox");
        Ok(Ready { landlock, ..ready })
    }

    /// A copy of the helper in the work dir, which the sandbox's unprivileged user can reach
    /// (the build's own folder may be under a private home directory).
    fn install(&self, init: &Path) -> std::io::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        ensure_work_dir(&self.config.work_dir)?;
        let installed = self.config.work_dir.join(INIT_NAME);
        // Several engines (tests, replicas) may install at once: each writes its own copy first.
        let partial = self.config.work_dir.join(format!(".{INIT_NAME}.{}", uuid::Uuid::new_v4().simple()));
        std::fs::copy(init, &partial)?;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&partial, &installed)?;
        Ok(installed)
    }

    fn bwrap_args(&self, init: &Path, writable: &[&Path], cwd: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "sluice",
            "--die-with-parent",
            "--new-session",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
            "--dir",
            "/var/tmp",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let mut add = |items: &[&dyn AsRef<std::ffi::OsStr>]| args.extend(items.iter().map(|i| i.as_ref().to_owned()));
        // Merged-/usr systems link /bin and friends into /usr; older ones have real folders.
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            match std::fs::read_link(top) {
                Ok(target) => add(&[&"--symlink", &target, &top]),
                Err(_) if Path::new(top).is_dir() => add(&[&"--ro-bind", &top, &top]),
                Err(_) => {}
            }
        }
        for extra in [Path::new("/etc"), Path::new("/opt"), Path::new("/run/systemd/resolve")]
            .into_iter()
            .chain(self.config.read_only.iter().map(PathBuf::as_path))
        {
            add(&[&"--ro-bind-try", &extra, &extra]);
        }
        add(&[&"--ro-bind", &init, &INIT_INSIDE]);
        for dir in writable {
            add(&[&"--bind", dir, dir]);
        }
        add(&[&"--chdir", &cwd, &"--"]);
        args
    }
}

/// Why pipeline code cannot run here now: the server's trouble, not the pipeline's (an action
/// fails with it as a system error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SandboxError(pub String);

fn unavailable(why: &str) -> SandboxError {
    SandboxError(format!(
        "Sluice runs pipeline code only in a sandbox, and none could be made on this server: {why}. \
             Install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, \
             or start Sluice with --sandbox off to run pipeline code without isolation."
    ))
}

/// Creates the work dir (others may pass through, not list it) or checks that it is this user's.
fn ensure_work_dir(work_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::DirBuilder::new().recursive(true).mode(0o711).create(work_dir) {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => return Err(err),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(work_dir)?;
    if !meta.is_dir() || meta.uid() != nix::unistd::geteuid().as_raw() {
        let why = format!("{} is not a folder of this server's user", work_dir.display());
        return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why));
    }
    if meta.permissions().mode() & 0o777 != 0o711 {
        std::fs::set_permissions(work_dir, std::fs::Permissions::from_mode(0o711))?;
    }
    Ok(())
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `sluice-sandbox-init` beside the running executable, or one folder up (tests run from
/// `target/debug/deps`, the helper is built into `target/debug`).
fn default_init() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).take(2).map(|dir| dir.join(INIT_NAME)).find(|path| path.is_file())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Lets other users pass through (but not list) a folder of the server's.
fn open_for_passage(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.is_dir() && meta.permissions().mode() & 0o011 != 0o011 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(meta.permissions().mode() | 0o011))?;
    }
    Ok(())
}

fn chown_tree(dir: &Path) -> std::io::Result<()> {
    std::os::unix::fs::lchown(dir, Some(NOBODY), Some(NOBODY))?;
    if !std::fs::symlink_metadata(dir)?.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        chown_tree(&entry?.path())?;
    }
    Ok(())
}
