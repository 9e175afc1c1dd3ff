//! What starting pipeline code costs: a bare `bash -c true`, the same through the sandbox's
//! helper alone (`--sandbox off`), and through bubblewrap with Landlock (the default); then a
//! whole Commands action running `true`, with and without the sandbox.
//!
//! ```text
//! cargo build --release -p engine --bin sluice-sandbox-init
//! cargo run --release -p engine --example sandbox_bench            # options: --runs N (default 200)
//! ```
//!
//! Each figure is the p50 and p99 of N runs, one after another, after 10 warm-up runs.
use engine::objects::ObjectStore;
use engine::providers::commands::CommandsProvider;
use engine::providers::{ActionContext, ActionProvider, LogSink};
use engine::sandbox::{Jail, Sandbox, SandboxConfig, SandboxMode, SandboxStatus};
use engine::testing::{TestBackend, TestDatabase};
use engine::{Services, Store};
use indexmap::IndexMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let runs: usize =
        std::env::args().skip_while(|a| a != "--runs").nth(1).map(|n| n.parse().expect("--runs N")).unwrap_or(200);
    let root = std::env::temp_dir().join(format!("sluice-sandbox-bench-{}", std::process::id()));
    let sandbox =
        |mode| Arc::new(Sandbox::new(SandboxConfig { mode, work_dir: root.join("work"), ..SandboxConfig::default() }));
    let (isolated, off) = (sandbox(SandboxMode::Enforce), sandbox(SandboxMode::Off));
    match isolated.status().await {
        SandboxStatus::Isolated { landlock } => println!("sandbox: bubblewrap, {landlock}"),
        other => panic!("no sandbox here: {other:?}"),
    }
    println!("{runs} runs each, after 10 warm-up runs; p50 / p99 in ms\n");

    let env = IndexMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]);
    let bare = measure(runs, || async {
        tokio::process::Command::new("bash").args(["-c", "true"]).env_clear().envs(&env).status().await.unwrap();
    })
    .await;
    report("bash -c true", &bare, None);
    for (name, sandbox) in [("helper only (--sandbox off)", &off), ("bubblewrap + Landlock", &isolated)] {
        let spawn = measure(runs, || async {
            let jail = Jail {
                program: Path::new("bash"),
                args: vec!["-c".into(), "true".into()],
                cwd: Path::new("/"),
                env: &env,
                writable: Vec::new(),
            };
            let status = sandbox.command(&jail).await.unwrap().status().await.unwrap();
            assert!(status.success());
        })
        .await;
        report(name, &spawn, Some(&bare));
    }

    println!();
    let db = TestDatabase::new(TestBackend::Sqlite).await;
    let store = Store::connect(&db.url).await.expect("store");
    let provider = CommandsProvider::new();
    for (name, sandbox) in [("Commands action, --sandbox off", &off), ("Commands action, sandboxed", &isolated)] {
        let services = Services {
            objects: ObjectStore::new(store.clone(), &root.join("data")),
            sandbox: sandbox.clone(),
            repos: engine::repos::Repositories::new(&root.join("data"), "http://localhost"),
        };
        let mut n = 0;
        let action = measure(runs, || {
            n += 1;
            let (services, provider, attempt) = (&services, &provider, format!("attempt-{n}"));
            async move {
                let ctx = context(services, &attempt).await;
                provider.execute(&ctx).await.expect("the action succeeds");
                let _ = tokio::fs::remove_dir_all(ctx.workspace.parent().unwrap()).await;
            }
        })
        .await;
        report(name, &action, Some(&bare));
    }
    db.cleanup().await;
    let _ = std::fs::remove_dir_all(&root);
}

/// One Commands action running `true` in a fresh attempt folder, as the scheduler prepares it.
async fn context(services: &Services, attempt: &str) -> ActionContext {
    let dir = services.sandbox.prepare_attempt(attempt).await.expect("attempt folder");
    let action = serde_json::from_value(serde_json::json!({
        "name": "Run",
        "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
        "commands": ["true"],
    }))
    .expect("action");
    ActionContext {
        pipeline_name: "bench".into(),
        pipeline_execution_id: "exec".into(),
        stage_name: "Build".into(),
        action_execution_id: attempt.into(),
        action,
        configuration: IndexMap::new(),
        environment: IndexMap::new(),
        workspace: dir.join("src"),
        inputs: Vec::new(),
        source_revision: None,
        log: LogSink::channel().0,
        cancel: Default::default(),
        timeout: Duration::from_secs(60),
        services: services.clone(),
    }
}

async fn measure<F, Fut>(runs: usize, mut run: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..10 {
        run().await;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        run().await;
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn report(name: &str, times: &[Duration], baseline: Option<&[Duration]>) {
    let at = |times: &[Duration], q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    let (p50, p99) = (at(times, 0.5), at(times, 0.99));
    let added =
        baseline.map(|b| format!("   adds {:6.2} / {:6.2}", p50 - at(b, 0.5), p99 - at(b, 0.99))).unwrap_or_default();
    println!("{name:<34} {p50:7.2} / {p99:7.2}{added}");
}
