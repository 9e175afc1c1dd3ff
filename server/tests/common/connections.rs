//! Connections in the tests: the CodeConnections API under either name, `sluice connection
//! set-token`, and an outside host that is a folder of bare repositories made with git.
use super::git::{commit_file, git, new_working_copy, scratch_dir};
use super::services::signed_service_request;
use super::{now_seconds, RawAnswer, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A request to the connections API under its new name (`codeconnections`) or its old one
/// (`codestar-connections`), signed with `key`.
pub async fn call(
    server: &TestServer,
    key: &(String, String),
    old_name: bool,
    operation: &str,
    body: Value,
) -> RawAnswer {
    let (prefix, service) = match old_name {
        false => ("com.amazonaws.codeconnections.CodeConnections_20231201.", "codeconnections"),
        true => ("com.amazonaws.codestar.connections.CodeStar_connections_20191201.", "codestar-connections"),
    };
    let date = server::auth::sigv4::format_amz_date(now_seconds());
    let target = format!("{prefix}{operation}");
    signed_service_request(&server.url, service, Some(&target), body.to_string().into_bytes(), (&key.0, &key.1), date)
        .await
}

pub async fn ok(answer: RawAnswer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

pub fn refused(answer: &RawAnswer, exception: &str) {
    assert_eq!((answer.status, answer.json["__type"].as_str()), (400, Some(exception)), "{}", answer.text);
}

/// `sluice connection set-token` on the server's database: the token, or `None` for `--public`.
pub async fn set_token(server: &TestServer, connection: &str, token: Option<&str>) -> anyhow::Result<()> {
    let token_file = token.map(|token| {
        let file = scratch_dir().join("token");
        std::fs::write(&file, format!("{token}\n")).unwrap();
        file
    });
    let command = server::config::ConnectionCommand::SetToken {
        connection: connection.to_owned(),
        public: token.is_none(),
        token_file,
        account: server::config::AccountArgs { region: super::REGION.into(), account_id: super::ACCOUNT.into() },
        store: server::config::StoreArgs {
            data_dir: server.data_dir.clone(),
            database_url: Some(server.database_url().into()),
        },
    };
    server::auth::connection_commands::connection(command).await
}

/// A folder holding the bare repository `octo/app.git` with one commit on `main`: (the folder,
/// the commit, a working copy to push more from).
pub async fn outside_repository() -> (PathBuf, String, PathBuf) {
    let root = scratch_dir();
    git(&root, &["init", "--bare", "--quiet", "--initial-branch=main", "octo/app.git"]).await;
    let work = new_working_copy().await;
    let commit = commit_file(&work, "app.txt", "hello through a connection\n", "Say hello\n\nFrom afar.").await;
    git(&work, &["push", "--quiet", root.join("octo/app.git").to_str().unwrap(), "main"]).await;
    (root, commit, work)
}

/// A GitHub Enterprise host at `root` (file://) and a connection `name` on it; its ARN.
pub async fn connection_on(server: &TestServer, root: &std::path::Path, name: &str) -> String {
    connection_of(server, root, name, "GitHubEnterpriseServer").await
}

/// A host of `provider` (a self-managed kind) at `root` and a connection `name` on it; its ARN.
pub async fn connection_of(server: &TestServer, root: &std::path::Path, name: &str, provider: &str) -> String {
    let endpoint = format!("file://{}", root.display());
    let host = json!({ "Name": format!("{name}-host"), "ProviderType": provider, "ProviderEndpoint": endpoint });
    let host = ok(call(server, &server.key, false, "CreateHost", host).await).await;
    let created = json!({ "ConnectionName": name, "HostArn": host["HostArn"] });
    let created = ok(call(server, &server.key, false, "CreateConnection", created).await).await;
    created["ConnectionArn"].as_str().unwrap().to_owned()
}
