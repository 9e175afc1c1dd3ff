//! The store on both backends: versions, updates, deletes, listing and tags.
use engine::testing::{TestDatabase, BACKENDS};
use engine::{Store, StoreError, Tag};
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
        assert!(store.delete_pipeline("demo", ARN).await.unwrap());
        assert!(!store.delete_pipeline("demo", ARN).await.unwrap());
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
        store.create_pipeline(&pipeline("demo", "b"), ARN, &[Tag { key: "a".into(), value: "1".into() }]).await.unwrap();
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
