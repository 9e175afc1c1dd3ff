//! The Commands action run for real: a shell, files on disk, processes that must end.
//! One file, over 400 lines, because every case shares the provider harness at its top; each test
//! stands alone below it.
use engine::objects::ObjectStore;
use engine::providers::commands::CommandsProvider;
use engine::providers::{
    ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, FailureKind, InputArtifactDir, LogSink,
    Payload,
};
use engine::sandbox::{Limits, Sandbox, SandboxConfig};
use engine::testing::{TestBackend, TestDatabase};
use engine::{Services, Store};
use indexmap::IndexMap;
use model::{ActionDeclaration, OutputArtifact};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

struct Fixture {
    ctx: ActionContext,
    log: UnboundedReceiver<String>,
    root: PathBuf,
    db: TestDatabase,
}

fn action(commands: &[&str]) -> ActionDeclaration {
    serde_json::from_value(serde_json::json!({
        "name": "Run",
        "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
        "commands": commands,
    }))
    .expect("action declaration")
}

/// Writes `files` (relative path, contents) under `dir`.
fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

async fn fixture(action: ActionDeclaration, inputs: &[(&str, &[(&str, &str)])]) -> Fixture {
    let root = std::env::temp_dir().join(format!("sluice-commands-{}", uuid::Uuid::new_v4().simple()));
    let sandbox = Sandbox::new(SandboxConfig { work_dir: root.join("work"), ..SandboxConfig::default() });
    // Laid out as the scheduler lays out an attempt: the workspace and the inputs side by side.
    let attempt = sandbox.prepare_attempt("attempt").await.expect("attempt folder");
    let workspace = attempt.join("src");
    let inputs = inputs
        .iter()
        .map(|(name, files)| {
            let dir = attempt.join(format!("input-{name}"));
            std::fs::create_dir_all(&dir).unwrap();
            write_tree(&dir, files);
            InputArtifactDir { name: name.to_string(), dir }
        })
        .collect();
    // Commands never touches the object store, but the context must carry one.
    let db = TestDatabase::new(TestBackend::Sqlite).await;
    let store = Store::connect(&db.url).await.expect("store");
    let services = Services {
        objects: ObjectStore::new(store, &root.join("data")),
        sandbox: Arc::new(sandbox),
        repos: engine::repos::Repositories::new(&root.join("data"), "http://localhost"),
    };
    let (sink, log) = LogSink::channel();
    let ctx = ActionContext {
        pipeline_name: "demo-pipeline".into(),
        pipeline_execution_id: "exec-1".into(),
        stage_name: "Build".into(),
        action_execution_id: "action-exec-1".into(),
        action,
        configuration: IndexMap::new(),
        environment: IndexMap::new(),
        workspace,
        inputs,
        source_revision: None,
        log: sink,
        cancel: CancellationToken::new(),
        timeout: Duration::from_secs(60),
        services,
    };
    Fixture { ctx, log, root, db }
}

impl Fixture {
    fn src(&self) -> PathBuf {
        self.ctx.workspace.join("src")
    }

    async fn run(&self) -> Result<ActionResult, ActionFailure> {
        self.run_with(&quick_provider()).await
    }

    async fn run_with(&self, provider: &CommandsProvider) -> Result<ActionResult, ActionFailure> {
        // A hang is a failure too, not a stuck test run.
        let outcome = tokio::time::timeout(Duration::from_secs(30), provider.execute(&self.ctx)).await;
        match outcome.expect("the action returns within 30 s")? {
            ActionOutcome::Succeeded(result) => Ok(result),
            other => panic!("Commands never waits: {other:?}"),
        }
    }

    fn drain_log(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.log.try_recv().ok()).collect()
    }

    async fn cleanup(self) {
        let _ = std::fs::remove_dir_all(&self.root);
        self.db.cleanup().await;
    }
}

fn quick_provider() -> CommandsProvider {
    CommandsProvider::new().with_kill_grace(Duration::from_millis(500))
}

/// Every file below `dir`, relative path to contents.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn artifact_dir(result: &ActionResult, name: &str) -> PathBuf {
    let output = result.outputs.iter().find(|o| o.name == name).expect("output artifact returned");
    match &output.payload {
        Payload::Dir(dir) => dir.clone(),
        other => panic!("expected a directory, got {other:?}"),
    }
}

/// A `sleep` nobody else runs: its argument marks it among the machine's processes (the sandbox's
/// PID namespace hides the numbers its processes see from the server).
fn unique_sleep() -> String {
    format!("1000.{}", std::process::id() as u64 * 1000 + u64::from(rand_digits()))
}

fn rand_digits() -> u16 {
    (uuid::Uuid::new_v4().as_u128() % 1000) as u16
}

/// Processes (not zombies) whose command line contains `marker`.
fn running_with(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(") ").is_none_or(|(_, rest)| rest.starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmdline).contains(marker)
        })
        .collect()
}

/// Waits until a process with `marker` runs.
async fn wait_running(marker: &str) {
    for _ in 0..100 {
        if !running_with(marker).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no process with {marker} started");
}

/// A SIGKILLed process needs a moment on a loaded machine before /proc shows it dead.
async fn assert_gone(marker: &str) {
    for _ in 0..50 {
        if running_with(marker).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("processes {:?} running `sleep {marker}` survived the action", running_with(marker));
}

#[tokio::test]
async fn commands_run_in_order_in_one_shell() {
    let mut f = fixture(
        action(&[
            "echo one > order.txt",
            "mkdir sub",
            "cd sub",
            "export GREETING=hello",
            "echo \"$GREETING from $(basename \"$PWD\")\" > greeting.txt",
            "echo two >> ../order.txt",
        ]),
        &[],
    )
    .await;
    let result = f.run().await.expect("commands succeed");
    assert_eq!(std::fs::read_to_string(f.src().join("order.txt")).unwrap(), "one\ntwo\n");
    assert_eq!(std::fs::read_to_string(f.src().join("sub/greeting.txt")).unwrap(), "hello from sub\n");
    let summary = result.summary.expect("summary");
    assert!(summary.starts_with("6 commands succeeded in "), "{summary}");
    let log = f.drain_log();
    let running: Vec<&String> = log.iter().filter(|l| l.contains("Running command")).collect();
    assert_eq!(running.len(), 6, "{log:?}");
    assert!(running[2].ends_with("Running command cd sub"), "{log:?}");
    f.cleanup().await;
}

#[tokio::test]
async fn a_failing_command_stops_the_rest() {
    let mut f = fixture(action(&["touch before", "false | true", "touch after"]), &[]).await;
    let failure = f.run().await.expect_err("pipefail makes the pipeline fail");
    assert_eq!(failure.kind, FailureKind::JobFailed);
    assert_eq!(failure.message, "Command 'false | true' exited with status 1");
    assert!(f.src().join("before").exists());
    assert!(!f.src().join("after").exists(), "a command after the failure ran");
    let log = f.drain_log();
    assert!(!log.iter().any(|l| l.contains("Running command touch after")), "{log:?}");
    f.cleanup().await;
}

#[tokio::test]
async fn exit_inside_a_command_names_that_command() {
    let f = fixture(action(&["echo fine", "exit 3", "touch after"]), &[]).await;
    let failure = f.run().await.expect_err("exit 3 fails");
    assert_eq!(failure.message, "Command 'exit 3' exited with status 3");
    assert!(!f.src().join("after").exists());
    f.cleanup().await;
}

#[tokio::test]
async fn output_variables_are_read_at_the_end() {
    let mut declaration = action(&["export A=1", "B='two words'", "export C=\"$A-x\"", "export EMPTY=", "export A=2"]);
    declaration.output_variables = ["A", "B", "C", "EMPTY", "NEVER_SET"].map(String::from).to_vec();
    let mut f = fixture(declaration, &[]).await;
    let result = f.run().await.expect("commands succeed");
    let expected: IndexMap<String, String> =
        [("A", "2"), ("B", "two words"), ("C", "1-x"), ("EMPTY", "")].map(|(k, v)| (k.into(), v.into())).into();
    assert_eq!(result.variables, expected);
    assert!(f.drain_log().iter().any(|l| l.contains("NEVER_SET is not set")));
    f.cleanup().await;
}

#[tokio::test]
async fn output_variables_over_the_limit_fail() {
    let mut declaration = action(&["export BIG=$(head -c 130000 /dev/zero | tr '\\0' x)"]);
    declaration.output_variables = vec!["BIG".into()];
    let f = fixture(declaration, &[]).await;
    let failure = f.run().await.expect_err("too large");
    assert_eq!(failure.kind, FailureKind::JobFailed);
    assert!(failure.message.contains("130000 bytes") && failure.message.contains("122880"), "{}", failure.message);
    f.cleanup().await;
}

#[tokio::test]
async fn configuration_mistakes_are_configuration_errors() {
    let mut bad_variable = action(&["true"]);
    bad_variable.output_variables = vec!["A;rm -rf /".into()];
    for (declaration, expected) in [
        (action(&[]), "at least one command"),
        (action(&["echo a\necho b"]), "single-line"),
        (bad_variable, "not a valid environment variable name"),
    ] {
        let f = fixture(declaration, &[]).await;
        let failure = f.run().await.expect_err("refused");
        assert_eq!(failure.kind, FailureKind::ConfigurationError);
        assert!(failure.message.contains(expected), "{}", failure.message);
        f.cleanup().await;
    }
}

#[tokio::test]
async fn output_artifact_collects_exactly_the_matching_files() {
    let mut declaration = action(&[
        "mkdir -p dist/a/b other",
        "echo top > dist/top.js",
        "echo deep > dist/a/b/deep.js",
        "echo root > root.txt",
        "echo nested > other/nested.txt",
        "echo notes > notes.md",
        "ln -s /etc/hostname leak.txt",
    ]);
    declaration.output_artifacts = vec![OutputArtifact {
        name: "BuildOutput".into(),
        files: vec!["dist/**/*".into(), "*.txt".into(), "nothing/*".into()],
    }];
    let mut f = fixture(declaration, &[]).await;
    let result = f.run().await.expect("commands succeed");
    let collected = read_tree(&artifact_dir(&result, "BuildOutput"));
    let expected: BTreeMap<String, String> =
        [("dist/top.js", "top\n"), ("dist/a/b/deep.js", "deep\n"), ("root.txt", "root\n")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
    assert_eq!(collected, expected, "a link to outside the tree must not be followed");
    let log = f.drain_log();
    assert!(log.iter().any(|l| l.contains("Skipping pattern 'nothing/*'")), "{log:?}");
    f.cleanup().await;
}

#[tokio::test]
async fn output_artifact_without_files_takes_everything() {
    let mut declaration = action(&["mkdir -p x/y", "echo z > x/y/z.txt"]);
    declaration.output_artifacts = vec![OutputArtifact { name: "All".into(), files: vec![] }];
    let f = fixture(declaration, &[("Source", &[("readme.md", "hi")])]).await;
    let result = f.run().await.expect("commands succeed");
    let collected: Vec<String> = read_tree(&artifact_dir(&result, "All")).into_keys().collect();
    assert_eq!(collected, ["readme.md", "x/y/z.txt"]);
    f.cleanup().await;
}

#[tokio::test]
async fn output_patterns_matching_nothing_fail() {
    let mut declaration = action(&["echo hi > a.txt"]);
    declaration.output_artifacts =
        vec![OutputArtifact { name: "BuildOutput".into(), files: vec!["missing/**/*".into()] }];
    let f = fixture(declaration, &[]).await;
    let failure = f.run().await.expect_err("nothing to collect");
    assert_eq!(failure.kind, FailureKind::JobFailed);
    assert!(failure.message.contains("'missing/**/*'"), "{}", failure.message);
    assert!(failure.message.contains("BuildOutput"), "{}", failure.message);
    f.cleanup().await;
}

#[tokio::test]
async fn primary_input_is_the_working_directory_and_secondaries_have_variables() {
    let mut declaration = action(&[
        "test \"$CODEBUILD_SRC_DIR\" = \"$PWD\"",
        "cat a.txt sub/b.txt > combined.txt",
        "cp \"$CODEBUILD_SRC_DIR_Extra_Files/extra.txt\" .",
        "echo changed > a.txt",
    ]);
    declaration.output_artifacts =
        vec![OutputArtifact { name: "Out".into(), files: vec!["combined.txt".into(), "extra.txt".into()] }];
    let f = fixture(
        declaration,
        &[("SourceArtifact", &[("a.txt", "A\n"), ("sub/b.txt", "B\n")]), ("Extra-Files", &[("extra.txt", "E\n")])],
    )
    .await;
    let result = f.run().await.expect("commands succeed");
    let collected = read_tree(&artifact_dir(&result, "Out"));
    assert_eq!(collected.get("combined.txt").map(String::as_str), Some("A\nB\n"));
    assert_eq!(collected.get("extra.txt").map(String::as_str), Some("E\n"));
    assert_eq!(collected.len(), 2);
    f.cleanup().await;
}

#[tokio::test]
async fn log_lines_arrive_live_and_in_order() {
    let mut f = fixture(
        action(&["echo out-1", "echo err-1 >&2", "echo out-2; printf 'bin:\\377\\376\\n'", "sleep 3", "echo late"]),
        &[],
    )
    .await;
    let mut log = std::mem::replace(&mut f.log, LogSink::channel().1);
    let f = Arc::new(f);
    let running = {
        let f = f.clone();
        tokio::spawn(async move { f.run().await })
    };
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !seen.iter().any(|l: &String| l.starts_with("bin:")) {
        let line = tokio::time::timeout_at(deadline.into(), log.recv())
            .await
            .expect("lines arrive while the commands still run")
            .expect("log open");
        seen.push(line);
    }
    assert!(!running.is_finished(), "the output must be streamed before the action ends");
    running.await.unwrap().expect("commands succeed");
    seen.extend(std::iter::from_fn(|| log.try_recv().ok()));
    let position =
        |needle: &str| seen.iter().position(|l| l == needle).unwrap_or_else(|| panic!("{needle} in {seen:?}"));
    let order = [
        position("[Sluice] Running command echo out-1"),
        position("out-1"),
        position("[Sluice] Running command echo err-1 >&2"),
        position("err-1"),
        position("out-2"),
        position("late"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let binary = seen.iter().find(|l| l.starts_with("bin:")).unwrap();
    assert!(binary.contains('\u{FFFD}'), "invalid UTF-8 is replaced, not fatal: {binary:?}");
    Arc::into_inner(f).expect("task done").cleanup().await;
}

#[tokio::test]
async fn timeout_kills_every_process() {
    let (bg, stubborn) = (unique_sleep(), unique_sleep());
    let f = fixture(
        action(&[
            &format!("sleep {bg} &"),
            // Ignores SIGTERM, so only a SIGKILL ends it.
            &format!("trap '' TERM; sleep {stubborn} & wait"),
        ]),
        &[],
    )
    .await;
    let mut f = f;
    f.ctx.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let failure = f.run().await.expect_err("times out");
    let took = started.elapsed();
    assert_eq!(failure.kind, FailureKind::JobFailed);
    assert!(failure.message.starts_with("Commands timed out after 1.0 s"), "{}", failure.message);
    assert!(took < Duration::from_secs(4), "returned after {took:?}");
    assert_gone(&bg).await;
    assert_gone(&stubborn).await;
    f.cleanup().await;
}

#[tokio::test]
async fn cancellation_stops_promptly_and_leaves_no_processes() {
    let bg = unique_sleep();
    let f = fixture(action(&[&format!("sleep {bg} &"), "sleep 1000"]), &[]).await;
    let cancel = f.ctx.cancel.clone();
    let marker = bg.clone();
    tokio::spawn(async move {
        wait_running(&marker).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let failure = f.run().await.expect_err("stopped");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    assert_eq!(failure.message, "Commands stopped while running 'sleep 1000'");
    assert_gone(&bg).await;
    f.cleanup().await;
}

#[tokio::test]
async fn background_processes_of_a_successful_run_are_ended_at_once() {
    let bg = unique_sleep();
    let f = fixture(action(&[&format!("sleep {bg} &"), "echo done"]), &[]).await;
    let started = Instant::now();
    f.run().await.expect("commands succeed");
    // No polling interval and no waiting on PID 1: ending the run costs milliseconds.
    assert!(started.elapsed() < Duration::from_secs(1), "a background process held the action open");
    assert_gone(&bg).await;
    f.cleanup().await;
}

#[tokio::test]
async fn dropping_the_attempt_kills_its_processes() {
    let bg = unique_sleep();
    let f = Arc::new(fixture(action(&[&format!("sleep {bg} &"), "sleep 1000"]), &[]).await);
    let running = {
        let f = f.clone();
        tokio::spawn(async move { f.run().await })
    };
    wait_running(&bg).await;
    running.abort();
    let _ = running.await;
    assert_gone(&bg).await;
    Arc::into_inner(f).expect("task gone").cleanup().await;
}

#[tokio::test]
async fn the_servers_environment_does_not_leak() {
    let secret = format!("secret-{}", uuid::Uuid::new_v4().simple());
    std::env::set_var("SLUICE_TEST_SERVER_SECRET", &secret);
    let mut f = fixture(action(&["env > \"$HOME/env.txt\""]), &[]).await;
    f.ctx.environment.insert("MY_SETTING".into(), "from-pipeline".into());
    f.run().await.expect("commands succeed");
    let env = std::fs::read_to_string(f.ctx.workspace.join("home/env.txt")).unwrap();
    assert!(!env.contains(&secret), "server variable leaked:\n{env}");
    let vars: BTreeMap<&str, &str> = env.lines().filter_map(|l| l.split_once('=')).collect();
    let ws = f.ctx.workspace.to_string_lossy().into_owned();
    assert_eq!(vars.get("MY_SETTING"), Some(&"from-pipeline"));
    assert_eq!(vars.get("HOME"), Some(&format!("{ws}/home").as_str()));
    assert_eq!(vars.get("TMPDIR"), Some(&format!("{ws}/tmp").as_str()));
    assert_eq!(vars.get("CODEBUILD_SRC_DIR"), Some(&format!("{ws}/src").as_str()));
    assert_eq!(vars.get("CODEPIPELINE_PIPELINE_NAME"), Some(&"demo-pipeline"));
    assert_eq!(vars.get("CODEPIPELINE_ACTION_EXECUTION_ID"), Some(&"action-exec-1"));
    assert!(vars.contains_key("PATH"));
    assert!(!vars.contains_key("CARGO_TARGET_DIR"), "cargo's own variables leaked");
    f.cleanup().await;
}

impl Fixture {
    /// The same work dir with other limits.
    fn limit(&mut self, limits: Limits) {
        let config = SandboxConfig { work_dir: self.root.join("work"), limits, ..SandboxConfig::default() };
        self.ctx.services.sandbox = Arc::new(Sandbox::new(config));
    }
}

/// Runs one attack as the only command; it must fail, and its log must say why.
async fn refused(command: &str, limits: Option<Limits>) -> (ActionFailure, Vec<String>) {
    let mut f = fixture(action(&[command]), &[("Source", &[("a.txt", "A")])]).await;
    if let Some(limits) = limits {
        f.limit(limits);
    }
    let failure = f.run().await.expect_err(&format!("`{command}` must be refused"));
    let log = f.drain_log();
    f.cleanup().await;
    (failure, log)
}

#[tokio::test]
async fn pipeline_code_cannot_reach_the_server() {
    // What a server keeps: its data dir with keys and database, other attempts' workspaces.
    let server = std::env::temp_dir().join(format!("sluice-server-{}", uuid::Uuid::new_v4().simple()));
    write_tree(&server, &[("data/keys/master", "MASTER-KEY"), ("data/sluice.db", "DATABASE")]);
    let other = fixture(action(&["true"]), &[("Other", &[("secret.txt", "OTHER")])]).await;
    let other_input = other.ctx.inputs[0].dir.join("secret.txt");
    let data = server.join("data");
    let attacks = [
        format!("cat {}/keys/master", data.display()),
        format!("cat {}/sluice.db", data.display()),
        format!("ls {}", data.display()),
        format!("cat {}", other_input.display()),
        format!("cat /proc/{}/environ", std::process::id()),
        format!("touch {}/escaped", server.display()),
        "touch /usr/escaped".to_owned(),
        "echo x > /etc/escaped".to_owned(),
    ];
    for attack in &attacks {
        let (failure, log) = refused(attack, None).await;
        assert!(failure.message.contains("exited with status"), "{attack}: {}", failure.message);
        let said = log.iter().any(|l| l.contains("No such file or directory") || l.contains("Read-only file system"));
        assert!(said, "{attack}: the log must say why: {log:?}");
        assert!(
            !log.iter().any(|l| l.contains("MASTER-KEY") || l.contains("DATABASE") || l.contains("OTHER")),
            "{log:?}"
        );
    }
    assert!(!server.join("escaped").exists() && !Path::new("/usr/escaped").exists());
    other.cleanup().await;
    let _ = std::fs::remove_dir_all(&server);
}

#[tokio::test]
async fn a_fork_bomb_meets_the_process_limit() {
    let limits = Limits { processes: 64, ..Limits::default() };
    let bomb = "perl -e 'for (1..10000) { defined(fork) or die \"fork failed: $!\\n\" }'";
    let started = Instant::now();
    let (failure, log) = refused(bomb, Some(limits)).await;
    assert!(started.elapsed() < Duration::from_secs(20), "the bomb took {:?}", started.elapsed());
    assert!(failure.message.contains("the sandbox's limit of 64 processes was reached"), "{}", failure.message);
    assert!(log.iter().any(|l| l.contains("Resource temporarily unavailable")), "{log:?}");
}

#[tokio::test]
async fn a_memory_hog_meets_the_memory_limit() {
    let limits = Limits { memory_bytes: 256 << 20, ..Limits::default() };
    let (failure, log) = refused("perl -e '$x = \"x\" x (1024 ** 3)'", Some(limits)).await;
    assert!(
        failure.message.contains("the sandbox's memory limit of 256 MiB per process was reached"),
        "{}",
        failure.message
    );
    assert!(log.iter().any(|l| l.contains("Out of memory")), "{log:?}");
}

#[tokio::test]
async fn endless_output_meets_the_output_limit() {
    let limits = Limits { output_bytes: 1 << 20, ..Limits::default() };
    let started = Instant::now();
    let (failure, log) = refused("yes 'a line of output'", Some(limits)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(failure.message.contains("the output limit of 1 MiB"), "{}", failure.message);
    let kept: usize = log.iter().map(|l| l.len() + 1).sum();
    assert!(kept < 2 << 20, "the log kept {kept} bytes");
}
