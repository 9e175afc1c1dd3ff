//! `sluice user ...` on the test server's database: the CLI goes through the engine's identity
//! rules as the web app does, so it never removes, demotes or disables the last active Admin.
mod common;

use common::{on_both_backends, TestServer};
use engine::identity::Role;
use server::config::{StoreArgs, UserCommand};

fn store_of(server: &TestServer) -> StoreArgs {
    StoreArgs { data_dir: server.data_dir.clone(), database_url: Some(server.database_url().into()) }
}

/// Runs `sluice user ...`; the error's message when refused.
async fn user(command: UserCommand) -> Result<(), String> {
    server::auth::commands::user(command).await.map_err(|err| err.to_string())
}

#[tokio::test]
async fn the_cli_keeps_the_last_active_admin() {
    on_both_backends(|server: TestServer| async move {
        // The test server's "tester" is its only Admin.
        let store = store_of(&server);
        let remove = |name: &str| UserCommand::Remove { name: name.into(), store: store.clone() };
        let update = |name: &str, role: Option<&str>, active: Option<bool>| UserCommand::Update {
            name: name.into(),
            role: role.map(str::to_owned),
            active,
            store: store.clone(),
        };
        for refused in [remove("tester"), update("tester", Some("Viewer"), None), update("tester", None, Some(false))] {
            let err = user(refused).await.unwrap_err();
            assert!(err.contains("last active Admin"), "{err}");
        }
        let tester = server.engine.identity().user("tester").await.unwrap();
        assert_eq!((tester.role, tester.active), (Role::Admin, true), "nothing changed");

        let add = UserCommand::Add {
            name: "second".into(),
            role: "Admin".into(),
            password: Some("second-password-1".into()),
            store: store.clone(),
        };
        user(add).await.unwrap();
        user(update("tester", Some("Viewer"), None)).await.expect("another Admin remains");
        assert_eq!(server.engine.identity().user("tester").await.unwrap().role, Role::Viewer);
        let err = user(remove("second")).await.unwrap_err();
        assert!(err.contains("last active Admin"), "{err}");
        user(remove("tester")).await.expect("a Viewer may go");
        server
    })
    .await;
}
