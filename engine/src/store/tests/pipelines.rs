//! The store on both backends: versions, updates, deletes, listing and tags.
use crate::store::pipelines::delete_pipeline;
use crate::testing::{TestDatabase, BACKENDS};
use crate::{Store, StoreError, Tag};
use model::PipelineDeclaration;

fn pipeline(name: &str, bucket: &str) -> PipelineDeclaration {
    model::parse_pipeline(&format!(
        r#"{{
          "name": "{name}",
          "roleArn": "arn:aws:iam::000000000000:role/pipeline",
          "artifactStore": {{"type": "S3", "location": "{bucket}"}},
          "stages": [
            {{"name": "Source", "actions": [{{"name": "Src",
               "actionTypeId": {{"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}},
               "configuration": {{"S3Bucket": "src", "S3ObjectKey": "app.zip"}},
               "outputArtifacts": [{{"name": "App"}}]}}]}},
            {{"name": "Approve", "actions": [{{"name": "Gate",
               "actionTypeId": {{"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}}}]}}
          ]
        }}"#
    ))
    .expect("test pipeline parses")
}

/// Runs a scenario on a fresh SQLite and a fresh PostgreSQL database.
async fn on_both_backends<F, Fut>(scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        scenario(store).await;
        db.cleanup().await;
    }
}

const ARN: &str = "arn:aws:codepipeline:us-east-1:000000000000:demo";

#[tokio::test]
async fn every_version_is_kept() {
    on_both_backends(|store| async move {
        let created = store.create_pipeline(&pipeline("demo", "bucket-one"), ARN, &[]).await.unwrap();
        assert_eq!(created.declaration.version, Some(1));
        let updated = store.update_pipeline(&pipeline("demo", "bucket-two"), None).await.unwrap();
        assert_eq!(updated.declaration.version, Some(2));
        assert_eq!(updated.created_ms, created.created_ms);

        let latest = store.get_pipeline("demo", None).await.unwrap();
        assert_eq!(latest.declaration.version, Some(2));
        assert_eq!(latest.declaration.artifact_store.unwrap().location, "bucket-two");
        let first = store.get_pipeline("demo", Some(1)).await.unwrap();
        assert_eq!(first.declaration.artifact_store.unwrap().location, "bucket-one");
        assert!(matches!(store.get_pipeline("demo", Some(3)).await, Err(StoreError::NotFound)));
    })
    .await;
}

#[tokio::test]
async fn names_are_unique_and_updates_check_the_version_they_are_based_on() {
    on_both_backends(|store| async move {
        store.create_pipeline(&pipeline("demo", "b1"), ARN, &[]).await.unwrap();
        let again = store.create_pipeline(&pipeline("demo", "b1"), ARN, &[]).await;
        assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

        store.update_pipeline(&pipeline("demo", "b2"), Some(1)).await.unwrap();
        let stale = store.update_pipeline(&pipeline("demo", "b3"), Some(1)).await;
        assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
        assert_eq!(store.get_pipeline("demo", None).await.unwrap().declaration.version, Some(2));

        let missing = store.update_pipeline(&pipeline("nope", "b"), None).await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    })
    .await;
}

#[tokio::test]
async fn delete_removes_versions_and_tags_and_frees_the_name() {
    on_both_backends(|store| async move {
        let tags = [Tag { key: "team".into(), value: "web".into() }];
        store.create_pipeline(&pipeline("demo", "b1"), ARN, &tags).await.unwrap();
        store.update_pipeline(&pipeline("demo", "b2"), None).await.unwrap();
        let mut conn = store.conn().await.unwrap();
        assert!(delete_pipeline(&mut conn, "demo", ARN).await.unwrap());
        assert!(!delete_pipeline(&mut conn, "demo", ARN).await.unwrap());
        drop(conn);
        assert!(store.list_tags(ARN).await.unwrap().is_empty());

        let recreated = store.create_pipeline(&pipeline("demo", "b9"), ARN, &[]).await.unwrap();
        assert_eq!(recreated.declaration.version, Some(1));
        assert!(matches!(store.get_pipeline("demo", Some(2)).await, Err(StoreError::NotFound)));
    })
    .await;
}

#[tokio::test]
async fn listing_pages_in_name_order() {
    on_both_backends(|store| async move {
        for name in ["charlie", "alpha", "bravo"] {
            store.create_pipeline(&pipeline(name, "b"), ARN, &[]).await.unwrap();
        }
        let first = store.list_pipelines(None, 2).await.unwrap();
        let names: Vec<_> = first.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["alpha", "bravo"]);
        assert_eq!(first[0].pipeline_type, "V1");
        assert_eq!(first[0].execution_mode, "SUPERSEDED");
        let rest = store.list_pipelines(Some("bravo"), 2).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].name, "charlie");
    })
    .await;
}

#[tokio::test]
async fn tags_upsert_and_untag() {
    on_both_backends(|store| async move {
        store
            .create_pipeline(&pipeline("demo", "b"), ARN, &[Tag { key: "a".into(), value: "1".into() }])
            .await
            .unwrap();
        store
            .tag_resource(ARN, &[Tag { key: "a".into(), value: "2".into() }, Tag { key: "b".into(), value: "".into() }])
            .await
            .unwrap();
        let tags = store.list_tags(ARN).await.unwrap();
        assert_eq!(tags, [Tag { key: "a".into(), value: "2".into() }, Tag { key: "b".into(), value: "".into() }]);
        store.untag_resource(ARN, &["a".into(), "missing".into()]).await.unwrap();
        assert_eq!(store.list_tags(ARN).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn migrations_are_idempotent_across_restarts() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        store.create_pipeline(&pipeline("kept", "b"), ARN, &[]).await.unwrap();
        drop(store);
        let reopened = Store::connect(&db.url).await.unwrap();
        assert_eq!(reopened.get_pipeline("kept", None).await.unwrap().declaration.name, "kept");
        db.cleanup().await;
    }
}

/// An execution row and two running action rows of this node, inserted in the order given.
async fn running_actions(store: &Store, ids: &[&str]) {
    use crate::runs::{ActionRow, AttemptState, ExecutionRow, ExecutionType};
    use crate::store::{actions::upsert_action, executions::insert_execution};
    use model::{ExecutionMode, PipelineExecutionStatus, TriggerType};
    let mut conn = store.conn().await.unwrap();
    let exec = ExecutionRow {
        execution_id: "exec-1".into(),
        pipeline_name: "demo".into(),
        pipeline_version: 1,
        seq: 1,
        status: PipelineExecutionStatus::InProgress,
        status_summary: None,
        trigger_type: TriggerType::StartPipelineExecution,
        trigger_detail: String::new(),
        started_by: None,
        retried_by: Vec::new(),
        execution_mode: ExecutionMode::Parallel,
        execution_type: ExecutionType::Standard,
        rollback_target: None,
        variables: Vec::new(),
        source_revisions: Vec::new(),
        client_request_token: None,
        stop_reason: None,
        stop_abandon: false,
        current_stage: 1,
        created_ms: 1,
        updated_ms: 1,
    };
    insert_execution(&mut conn, &exec).await.unwrap();
    for id in ids {
        let action = ActionRow {
            action_execution_id: (*id).into(),
            execution_id: "exec-1".into(),
            stage_name: "Build".into(),
            action_name: (*id).into(),
            run_order: 1,
            stage_attempt: 1,
            state: AttemptState::started("node-1", 1000, 1),
            external_execution_id: None,
            external_execution_url: None,
            token: None,
            expires_ms: None,
            input: Default::default(),
            output: Default::default(),
        };
        upsert_action(&mut conn, &action).await.unwrap();
    }
}

/// Statements of this database waiting for a row lock.
async fn lock_waits(store: &Store) -> i64 {
    let mut conn = store.conn().await.unwrap();
    sqlx::query_scalar(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap()
}

/// Lease renewal runs beside the scheduler's transactions, which change action rows of a
/// pipeline in whatever order its decisions need. A renewal that locked several rows in one
/// statement while such a transaction held one of them and then wanted another one the renewal
/// had taken deadlocked on PostgreSQL ("lease renewal failed ... deadlock detected", under 20
/// parallel executions). Renewal must never hold one row lock while waiting for another.
#[tokio::test]
async fn lease_renewal_does_not_deadlock_with_a_scheduler_transaction() {
    let db = TestDatabase::new(crate::testing::TestBackend::Postgres).await;
    let store = Store::connect(&db.url).await.unwrap();
    running_actions(&store, &["action-1", "action-2"]).await;

    // The scheduler's transaction records action-2 first...
    let mut tx = store.begin().await.unwrap();
    sqlx::query("update action_execution set summary = 'recorded' where action_execution_id = 'action-2'")
        .execute(&mut *tx)
        .await
        .unwrap();
    // ...while the renewal runs and has to wait for action-2...
    let renewal = tokio::spawn({
        let store = store.clone();
        let ids = vec!["action-1".to_owned(), "action-2".to_owned()];
        async move {
            let mut conn = store.conn().await?;
            crate::store::leases::renew(&mut conn, "node-1", &ids, 99_000).await
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while lock_waits(&store).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the renewal never waited for the scheduler's row");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // ...then the transaction changes action-1 too. A renewal still holding action-1 here is a
    // deadlock, which PostgreSQL reports after its deadlock_timeout (1 s) by failing one side.
    let second = sqlx::query("update action_execution set summary = 'recorded' where action_execution_id = 'action-1'")
        .execute(&mut *tx)
        .await;
    let committed = match second {
        Ok(_) => tx.commit().await.map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    let renewed = renewal.await.unwrap().map_err(|e| e.to_string());
    assert_eq!(committed, Ok(()), "the scheduler's transaction failed");
    assert_eq!(renewed, Ok(2), "the renewal failed or missed a lease");
    let leases: Vec<i64> =
        sqlx::query_scalar("select lease_expires_ms from action_execution order by action_execution_id")
            .fetch_all(&mut *store.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!(leases, [99_000, 99_000]);
    db.cleanup().await;
}
