//! Secrets at rest on both backends: the secret store, access-key secrets and secret
//! configuration values are stored sealed, open only through the store, and plain rows written
//! before encryption at rest keep working.
use crate::identity::{Identity, IdentityError, Role};
use crate::secrets::{is_sealed, Sealer, SecretError};
use crate::testing::{TestDatabase, BACKENDS};
use crate::{Store, StoreError};
use sqlx::Connection;

async fn on_both_backends<F, Fut>(scenario: F)
where
    F: Fn(Store, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let data_dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&db.url).await.unwrap().with_sealer(Sealer::new(data_dir.path()));
        scenario(store, db.url.clone()).await;
        db.cleanup().await;
    }
}

async fn column(url: &str, sql: &str, key: &str) -> String {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).bind(key).fetch_one(&mut conn).await.unwrap()
}

#[tokio::test]
async fn secrets_are_stored_sealed_listed_by_name_and_deleted() {
    on_both_backends(|store, url| async move {
        assert!(store.put_secret("ci/db", "first").await.unwrap(), "new");
        assert!(!store.put_secret("ci/db", "hunter2").await.unwrap(), "replaced");
        store.put_secret("ci/token", "t0ken").await.unwrap();
        assert_eq!(store.secret_value("ci/db").await.unwrap().as_deref(), Some("hunter2"));
        assert_eq!(store.secret_value("ci/none").await.unwrap(), None);
        let stored = column(&url, "select sealed_value from secret where secret_name = $1", "ci/db").await;
        assert!(is_sealed(&stored) && !stored.contains("hunter2"), "{stored}");
        let names: Vec<String> = store.list_secrets().await.unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["ci/db", "ci/token"]);
        store.delete_secret("ci/db").await.unwrap();
        assert!(matches!(store.delete_secret("ci/db").await, Err(StoreError::NotFound)));
        assert_eq!(store.secret_value("ci/db").await.unwrap(), None);
        assert!(matches!(
            store.put_secret("bad name", "x").await,
            Err(StoreError::Secret(SecretError::InvalidName(_)))
        ));
    })
    .await;
}

#[tokio::test]
async fn without_a_master_key_nothing_secret_is_written() {
    let db = TestDatabase::new(BACKENDS[0]).await;
    let store = Store::connect(&db.url).await.unwrap();
    assert!(matches!(store.put_secret("ci/db", "x").await, Err(StoreError::Secret(SecretError::NoMasterKey))));
    let identity = Identity::new(store.clone());
    identity.create_user("alice", Role::Admin, None).await.unwrap();
    assert!(matches!(
        identity.create_access_key("alice").await,
        Err(IdentityError::Store(StoreError::Secret(SecretError::NoMasterKey)))
    ));
    assert!(store.list_secrets().await.unwrap().is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn access_key_secrets_are_sealed_and_plain_old_rows_still_verify() {
    on_both_backends(|store, url| async move {
        let identity = Identity::new(store);
        identity.create_user("alice", Role::Admin, None).await.unwrap();
        let key = identity.create_access_key("alice").await.unwrap();
        let secret_of = |id: &'static str| {
            let identity = identity.clone();
            async move { identity.signing_key(id).await.map(|key| key.expect("an active key").secret_access_key) }
        };
        let stored = column(&url, "select secret_access_key from access_key where access_key_id = $1", &key.access_key_id).await;
        assert!(is_sealed(&stored) && !stored.contains(&key.secret_access_key), "{stored}");
        let opened = identity.signing_key(&key.access_key_id).await.unwrap().unwrap();
        assert_eq!(opened.secret_access_key, key.secret_access_key);

        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("insert into access_key (access_key_id, user_name, secret_access_key, status, created_ms) values ('AKIAPLAIN', 'alice', 'plain-old', 'Active', 0)")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(secret_of("AKIAPLAIN").await.unwrap(), "plain-old");
        // A sealed secret moved to another key's row does not open there.
        sqlx::query("update access_key set secret_access_key = $1 where access_key_id = 'AKIAPLAIN'").bind(&stored).execute(&mut conn).await.unwrap();
        assert!(matches!(
            secret_of("AKIAPLAIN").await,
            Err(IdentityError::Store(StoreError::Secret(SecretError::Corrupt(_))))
        ));
    })
    .await;
}

#[tokio::test]
async fn secret_configuration_values_are_sealed_once() {
    on_both_backends(|store, _url| async move {
        let json = r#"{"name": "gh", "roleArn": "arn:aws:iam::000000000000:role/p",
          "artifactStore": {"type": "S3", "location": "a"},
          "stages": [{"name": "Source", "actions": [{"name": "Src",
             "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
             "configuration": {"Owner": "me", "Repo": "app", "Branch": "main", "OAuthToken": "ghp_plain"},
             "outputArtifacts": [{"name": "App"}]}]},
           {"name": "Approve", "actions": [{"name": "Gate",
             "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}]}"#;
        let declaration = model::parse_pipeline(json).unwrap();
        let arn = "arn:aws:codepipeline:us-east-1:000000000000:gh";
        let created = store.create_pipeline(&declaration, arn, &[]).await.unwrap();
        let token = |d: &model::PipelineDeclaration| d.stages[0].actions[0].configuration["OAuthToken"].clone();
        let sealed = token(&created.declaration);
        assert!(is_sealed(&sealed));
        assert_eq!(
            created.declaration.stages[0].actions[0].configuration["Owner"], "me",
            "only secret properties are sealed"
        );
        // An update that keeps the sealed value (sent back as `****`) stores it unchanged.
        let updated = store.update_pipeline(&created.declaration, None).await.unwrap();
        assert_eq!(token(&updated.declaration), sealed);
        assert_eq!(token(&store.get_pipeline("gh", None).await.unwrap().declaration), sealed);
        let opened = store.sealer().unwrap().open(crate::secrets::context::CONFIGURATION, &sealed).unwrap();
        assert_eq!(opened, "ghp_plain");
    })
    .await;
}
