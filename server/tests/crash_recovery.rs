//! SIGKILL the real `sluice` binary at several points of a run, start it again on the same data
//! dir: every execution goes on or ends in a correct status, and no action runs twice to success.
mod common;

use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use aws_sdk_codepipeline::Client;
use engine::testing::Beacon;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Sluice {
    child: Child,
    url: String,
    client: Client,
}

impl Sluice {
    /// Starts the binary and waits for /healthz.
    async fn start(data_dir: &Path, port: u16) -> Sluice {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .env_remove("SLUICE_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sluice starts");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if reqwest::get(format!("{url}/healthz")).await.is_ok_and(|r| r.status() == 200) {
                let (id, secret) = access_key(data_dir);
                return Sluice { child, client: common::sdk_client(&url, &id, &secret), url };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("sluice did not become healthy");
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The build and the deploy report to `beacon` (sandboxed commands cannot write the test's files).
fn pipeline(beacon: &Beacon) -> serde_json::Value {
    let build = format!("sleep 3; {}", beacon.tell("built"));
    let ship = beacon.tell("shipped");
    common::v2_pipeline_with_s3_source(
        "crashy",
        "sources",
        "app.zip",
        vec![
            json!({ "name": "Build", "actions": [common::commands_action("Compile", 1, &[&build], "Src", None)] }),
            json!({ "name": "Approve", "actions": [common::approval_action("Release")] }),
            json!({ "name": "Deploy", "actions": [common::commands_action("Ship", 1, &[&ship], "Src", None)] }),
        ],
    )
}

async fn action_status(sluice: &Sluice, stage: &str) -> (Option<String>, Option<String>, Option<String>) {
    let state = sluice.client.get_pipeline_state().name("crashy").send().await.unwrap();
    let stage = state.stage_states().iter().find(|s| s.stage_name() == Some(stage)).unwrap().clone();
    let latest = stage.action_states()[0].latest_execution().cloned();
    let execution = stage.latest_execution().map(|e| e.pipeline_execution_id().to_owned());
    (
        latest.as_ref().and_then(|l| l.status()).map(|s| s.as_str().to_owned()),
        latest.and_then(|l| l.token().map(str::to_owned)),
        execution,
    )
}

/// Polls until the stage's action reports `status` for execution `id` (20 s at most).
async fn wait_action(sluice: &Sluice, stage: &str, id: &str, status: &str) -> Option<String> {
    for _ in 0..400 {
        let (now, token, execution) = action_status(sluice, stage).await;
        if now.as_deref() == Some(status) && execution.as_deref() == Some(id) {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{stage} never reached {status} for {id}: {:?}", action_status(sluice, stage).await);
}

async fn wait_final(sluice: &Sluice, id: &str) -> String {
    for _ in 0..400 {
        let got = sluice
            .client
            .get_pipeline_execution()
            .pipeline_name("crashy")
            .pipeline_execution_id(id)
            .send()
            .await
            .unwrap();
        let status = got.pipeline_execution().unwrap().status().unwrap().as_str().to_owned();
        if status != "InProgress" && status != "Stopping" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("execution {id} never finished");
}

/// The access key of the `ci` user, made with the CLI the first time (as a deploy script would).
fn access_key(data_dir: &Path) -> (String, String) {
    let saved = data_dir.join("ci.key");
    if let Ok(text) = std::fs::read_to_string(&saved) {
        let (id, secret) = text.split_once(' ').expect("saved key");
        return (id.to_owned(), secret.to_owned());
    }
    let sluice = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("SLUICE_DATABASE_URL")
            .output()
            .unwrap();
        assert!(output.status.success(), "sluice {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    sluice(&["user", "add", "ci", "--role", "Admin"]);
    let printed = sluice(&["key", "create", "ci"]);
    let field = |name: &str| printed.lines().find_map(|l| l.strip_prefix(name)).expect("key printed").trim().to_owned();
    let (id, secret) = (field("AccessKeyId:"), field("SecretAccessKey (shown once):"));
    std::fs::write(&saved, format!("{id} {secret}")).unwrap();
    (id, secret)
}

#[tokio::test]
async fn sigkill_at_any_point_loses_nothing() {
    let data_dir = std::env::temp_dir().join(format!("sluice-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let beacon = Beacon::start("").await;
    let port = free_port();

    let sluice = Sluice::start(&data_dir, port).await;
    let (key_id, secret) = access_key(&data_dir);
    common::upload_zip(&sluice.url, &(key_id.clone(), secret.clone()), "sources", "app.zip", &[("app.txt", "v1")])
        .await;
    let body = json!({ "pipeline": pipeline(&beacon) }).to_string().into_bytes();
    let now = server::auth::sigv4::format_amz_date(common::now_seconds());
    let created = common::signed_request(&sluice.url, "CreatePipeline", body, &key_id, &secret, now).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let listed = sluice.client.list_pipeline_executions().pipeline_name("crashy").send().await.unwrap();
    let id = listed.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned();

    // 1. Killed while the build runs: the build runs again after the restart, and finishes once.
    wait_action(&sluice, "Build", &id, "InProgress").await;
    sluice.kill();
    let sluice = Sluice::start(&data_dir, port).await;
    let token = wait_action(&sluice, "Approve", &id, "InProgress").await;
    let token = match token {
        Some(token) => token,
        None => {
            // The approval row exists before its runner hands out the token.
            let mut token = None;
            for _ in 0..100 {
                token = action_status(&sluice, "Approve").await.1;
                if token.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            token.expect("approval token")
        }
    };
    tokio::time::sleep(Duration::from_millis(1500)).await; // Long enough for an orphaned build to finish, if one survived.
    assert_eq!(beacon.heard("built"), 1, "the killed build never finished; the rerun finished once");

    // 2. Killed while waiting for approval: the token is still good after the restart.
    sluice.kill();
    let sluice = Sluice::start(&data_dir, port).await;
    let result = ApprovalResult::builder().summary("after the crash").status(ApprovalStatus::Approved).build().unwrap();
    sluice
        .client
        .put_approval_result()
        .pipeline_name("crashy")
        .stage_name("Approve")
        .action_name("Release")
        .result(result)
        .token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(wait_final(&sluice, &id).await, "Succeeded");
    assert_eq!(beacon.heard("shipped"), 1);

    // 3. Killed right after a start: the new execution still runs to its approval.
    let second = sluice
        .client
        .start_pipeline_execution()
        .name("crashy")
        .send()
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_owned();
    sluice.kill();
    let sluice = Sluice::start(&data_dir, port).await;
    wait_action(&sluice, "Approve", &second, "InProgress").await;
    assert_eq!(beacon.heard("built"), 2, "the second execution built exactly once");
    sluice
        .client
        .stop_pipeline_execution()
        .pipeline_name("crashy")
        .pipeline_execution_id(&second)
        .abandon(true)
        .send()
        .await
        .unwrap();
    assert_eq!(wait_final(&sluice, &second).await, "Stopped");
    sluice.kill();
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A webhook delivery survives SIGKILL: the receiver is down when the run fails, the server is
/// killed while the delivery waits for its next try, and the next server delivers it, once.
#[tokio::test]
async fn a_delivery_waiting_for_its_receiver_survives_sigkill_and_arrives_once() {
    let data_dir = std::env::temp_dir().join(format!("sluice-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let (port, hook_port) = (free_port(), free_port());
    let sluice = Sluice::start(&data_dir, port).await;
    let (key_id, secret) = access_key(&data_dir);
    let events = |operation: &str, body: serde_json::Value| {
        let (url, target) = (sluice.url.clone(), format!("AWSEvents.{operation}"));
        let (key_id, secret) = (key_id.clone(), secret.clone());
        async move {
            let now = server::auth::sigv4::format_amz_date(common::now_seconds());
            let body = body.to_string().into_bytes();
            common::services::signed_service_request(&url, "events", Some(&target), body, (&key_id, &secret), now).await
        }
    };
    let pattern =
        json!({ "detail-type": ["CodePipeline Pipeline Execution State Change"], "detail": { "state": ["FAILED"] } });
    events("PutRule", json!({ "Name": "failures", "EventPattern": pattern.to_string() })).await;
    let hook = format!("arn:aws:events:us-east-1:000000000000:api-destination/http://127.0.0.1:{hook_port}/hook");
    let put = events("PutTargets", json!({ "Rule": "failures", "Targets": [{ "Id": "hook", "Arn": hook }] })).await;
    assert_eq!(put.status, 200, "{}", put.text);
    // No source object: the run CreatePipeline starts fails at once.
    let stages = vec![json!({ "name": "Approve", "actions": [common::approval_action("Release")] })];
    let body = json!({ "pipeline": common::v2_pipeline_with_s3_source("crashy", "sources", "none.zip", stages) });
    let now = server::auth::sigv4::format_amz_date(common::now_seconds());
    let created =
        common::signed_request(&sluice.url, "CreatePipeline", body.to_string().into_bytes(), &key_id, &secret, now)
            .await;
    assert_eq!(created.status, 200, "{}", created.text);

    // Waits until the delivery log (read as `sluice delivery list` reads it) shows a failed try.
    let store = server::config::StoreArgs { data_dir: data_dir.clone(), database_url: None };
    let log = engine::notify::DeliveryLog::new(engine::Store::connect(&store.database_url()).await.unwrap());
    let mut waiting = Vec::new();
    for _ in 0..200 {
        waiting = log.list(None, 10).await.unwrap();
        if waiting.iter().any(|d| d.last_response.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].status, engine::notify::DeliveryStatus::Pending, "{waiting:?}");
    sluice.kill();

    let receiver = common::receiver::Receiver::on(hook_port).await;
    let sluice = Sluice::start(&data_dir, port).await;
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(received[0].json()["detail"]["pipeline"], "crashy");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.received().len(), 1, "delivered once");
    sluice.kill();
    let _ = std::fs::remove_dir_all(&data_dir);
}
