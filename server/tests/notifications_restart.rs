//! A delivery survives a restart between the event and its delivery, and is made once: an engine
//! that delivers nothing writes the failure to the outbox and stops; the next server on the same
//! database delivers it; a third one delivers nothing again. On SQLite and PostgreSQL.
mod common;

use common::receiver::Receiver;
use common::{approval_action, test_config, v2_pipeline_with_s3_source, ACCOUNT, REGION};
use engine::event_rules::{RuleRequest, RuleState, RuleTarget};
use engine::identity::Permissions;
use engine::testing::{TestDatabase, BACKENDS};
use engine::{Account, Engine, EngineConfig, Principal, Role, Store};
use std::path::Path;
use std::time::Duration;

async fn open_store(url: &str, data_dir: &Path) -> Store {
    Store::connect(url).await.unwrap().with_sealer(engine::secrets::Sealer::new(data_dir))
}

/// Runs a failing pipeline to its end on an engine without notifications, with a rule whose
/// webhook points at `hook`, then stops that engine.
async fn fail_without_delivering(url: &str, data_dir: &Path, hook: &str) {
    let account = Account { id: ACCOUNT.into(), region: REGION.into() };
    let engine = Engine::new(open_store(url, data_dir).await, account, EngineConfig::new(data_dir));
    engine.start_background().await.unwrap();
    let pattern =
        r#"{"detail-type": ["CodePipeline Pipeline Execution State Change"], "detail": {"state": ["FAILED"]}}"#;
    let rule = RuleRequest {
        name: "failures".into(),
        description: None,
        event_pattern: pattern.into(),
        state: RuleState::Enabled,
        role_arn: None,
    };
    engine.put_event_rule(rule).await.unwrap();
    let target = RuleTarget {
        id: "hook".into(),
        arn: format!("arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{hook}"),
        ..RuleTarget::default()
    };
    engine.put_rule_targets("failures", vec![target]).await.unwrap();
    let stages = vec![serde_json::json!({ "name": "Wait", "actions": [approval_action("Never")] })];
    let declaration = v2_pipeline_with_s3_source("broken", "sources", "missing.zip", stages);
    let declaration = model::parse_pipeline(&declaration.to_string()).unwrap();
    let admin = Principal::new(format!("arn:aws:iam::{ACCOUNT}:user/tester"), Permissions::of_role(Role::Admin));
    engine.create_pipeline(declaration, &[], &admin).await.unwrap();
    for _ in 0..500 {
        let events = engine.events_after(0, 1000).await.unwrap();
        if events.iter().any(|e| e.detail_type.contains("Pipeline Execution") && e.body["detail"]["state"] == "FAILED")
        {
            engine.shutdown();
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the pipeline never failed");
}

#[tokio::test]
async fn a_delivery_survives_a_restart_between_the_event_and_the_delivery_once() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let dir = std::env::temp_dir().join(format!("sluice-restart-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let data_dir = TempDir(dir);
        let receiver = Receiver::start().await;
        fail_without_delivering(&db.url, data_dir.path(), &receiver.url("/hook")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(receiver.received().is_empty(), "{backend:?}: nothing was delivered before the restart");

        let config = test_config(&db.url, data_dir.path());
        let second = server::start_engine(open_store(&db.url, data_dir.path()).await, &config).await.unwrap();
        let received = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(received[0].json()["detail"]["pipeline"], "broken");
        for _ in 0..250 {
            let done = second.deliveries(None, 10).await.unwrap();
            if done.iter().all(|d| d.status == engine::notify::DeliveryStatus::Delivered) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        second.shutdown();

        let third = server::start_engine(open_store(&db.url, data_dir.path()).await, &config).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.received().len(), 1, "{backend:?}: delivered once across restarts");
        let deliveries = third.deliveries(None, 10).await.unwrap();
        assert_eq!(deliveries.len(), 1, "{deliveries:?}");
        third.shutdown();
        db.cleanup().await;
    }
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
