//! Connections to outside git hosts, through a real server and the real `git`: the
//! CodeConnections API under both of its names, tokens given only by `sluice connection
//! set-token` and never shown, and the CodeStarSourceConnection source reading a file://
//! repository made with git (a host whose endpoint is a folder): the artifact, the variables,
//! polling for new commits, and each refusal named.
mod common;

use aws_sdk_codepipeline::types::{PipelineExecutionStatus, TriggerType};
use common::connections::{call, connection_on, ok, outside_repository, refused, set_token};
use common::git::{commit_file, git};
use common::runs::{create, executions, failure_message, finished, source_action, trigger, wait_for};
use common::{check_stage, now_seconds, on_both_backends, run_python_check, v2_pipeline_with_source, TestServer};
use engine::identity::Role;
use serde_json::{json, Value};

const TOKEN: &str = "s3cret-token-never-shown";

/// A V2 pipeline: a CodeStarSourceConnection source producing `Src` (namespace SourceVariables),
/// then a Commands action running `commands` on it.
fn pipeline(name: &str, arn: &str, repository: &str, branch: &str, extra: Value, commands: &[&str]) -> Value {
    let mut configuration = json!({ "ConnectionArn": arn, "FullRepositoryId": repository, "BranchName": branch });
    configuration.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v2_pipeline_with_source(name, "CodeStarSourceConnection", configuration, vec![check_stage(commands)])
}

/// The first run of `name` (CreatePipeline's), finished: its Source action's failure message.
async fn first_run_failure(server: &TestServer, name: &str) -> String {
    let runs = wait_for(server, name, "the first run finishing", |e| e.len() == 1 && finished(&e[0])).await;
    assert_eq!(runs[0].status(), Some(&PipelineExecutionStatus::Failed), "{name}");
    failure_message(&source_action(server, name, runs[0].pipeline_execution_id().unwrap()).await)
}

#[tokio::test]
async fn the_connections_api_answers_under_both_names() {
    on_both_backends(|server| async move {
        let admin = server.key.clone();
        let (root, _, _) = outside_repository().await;
        let arn = connection_on(&server, &root, "octo").await;
        assert!(arn.starts_with("arn:aws:codeconnections:us-east-1:000000000000:connection/"), "{arn}");
        let old_arn = arn.replace(":codeconnections:", ":codestar-connections:");

        // The same connection under the old name, PENDING until it has a token.
        let got = ok(call(&server, &admin, true, "GetConnection", json!({ "ConnectionArn": arn })).await).await;
        let connection = &got["Connection"];
        assert_eq!(connection["ConnectionArn"], old_arn.as_str());
        assert_eq!(connection["ConnectionStatus"], "PENDING");
        assert_eq!(connection["ProviderType"], "GitHubEnterpriseServer");
        assert_eq!(connection["OwnerAccountId"], common::ACCOUNT);
        assert!(connection["HostArn"].as_str().unwrap().contains(":codestar-connections:"), "{connection}");

        let github = json!({ "ConnectionName": "public", "ProviderType": "GitHub", "Tags": [{ "Key": "team", "Value": "web" }] });
        let created = ok(call(&server, &admin, true, "CreateConnection", github).await).await;
        assert_eq!(created["Tags"], json!([{ "Key": "team", "Value": "web" }]));
        let listed = ok(call(&server, &admin, false, "ListConnections", json!({ "ProviderTypeFilter": "GitHub" })).await).await;
        let names: Vec<&str> = listed["Connections"].as_array().unwrap().iter().map(|c| c["ConnectionName"].as_str().unwrap()).collect();
        assert_eq!(names, ["public"]);
        let hosts = ok(call(&server, &admin, true, "ListHosts", json!({})).await).await;
        assert_eq!(hosts["Hosts"][0]["ProviderEndpoint"], format!("file://{}", root.display()));
        assert_eq!(hosts["Hosts"][0]["Status"], "AVAILABLE");

        // Refusals, named as CodeConnections names them.
        let again = call(&server, &admin, false, "CreateConnection", json!({ "ConnectionName": "octo", "ProviderType": "GitHub" })).await;
        refused(&again, "ResourceAlreadyExistsException");
        let no_host = call(&server, &admin, false, "CreateConnection", json!({ "ConnectionName": "ghes", "ProviderType": "GitHubEnterpriseServer" })).await;
        refused(&no_host, "ValidationException");
        let azure = call(&server, &admin, false, "CreateConnection", json!({ "ConnectionName": "az", "ProviderType": "AzureDevOps" })).await;
        refused(&azure, "UnsupportedProviderTypeException");
        let missing = arn.replace(&arn[arn.len() - 12..], "000000000000");
        refused(&call(&server, &admin, false, "GetConnection", json!({ "ConnectionArn": missing })).await, "ResourceNotFoundException");
        let host_arn = got["Connection"]["HostArn"].as_str().unwrap().to_owned();
        refused(&call(&server, &admin, true, "DeleteHost", json!({ "HostArn": host_arn })).await, "ConflictException");
        let with_password = json!({ "Name": "h", "ProviderType": "GitLabSelfManaged", "ProviderEndpoint": "https://u:p@gitlab.example.com" });
        refused(&call(&server, &admin, false, "CreateHost", with_password).await, "ValidationException");

        // Editors manage connections but may not point a host at the server's own folders;
        // Viewers only read them.
        let (_, editor) = server.client_as("eddie", Role::Editor).await;
        let local = json!({ "Name": "mine", "ProviderType": "GitLabSelfManaged", "ProviderEndpoint": "file:///" });
        refused(&call(&server, &editor, false, "CreateHost", local).await, "AccessDeniedException");
        let remote = json!({ "Name": "mine", "ProviderType": "GitLabSelfManaged", "ProviderEndpoint": "https://gitlab.example.com" });
        ok(call(&server, &editor, true, "CreateHost", remote).await).await;
        let (_, viewer) = server.client_as("vera", Role::Viewer).await;
        ok(call(&server, &viewer, true, "ListConnections", json!({})).await).await;
        refused(&call(&server, &viewer, false, "CreateConnection", json!({ "ConnectionName": "v", "ProviderType": "GitHub" })).await, "AccessDeniedException");

        // A token makes it AVAILABLE; no answer and no stored value shows it.
        set_token(&server, "octo", Some(TOKEN)).await.unwrap();
        let got = call(&server, &admin, false, "GetConnection", json!({ "ConnectionArn": old_arn })).await;
        assert_eq!(got.json["Connection"]["ConnectionStatus"], "AVAILABLE", "{}", got.text);
        assert!(!got.text.contains(TOKEN));
        use sqlx::Row;
        let mut db = server.raw_database().await;
        let row = sqlx::query("select sealed_token from connection where name = 'octo'").fetch_one(&mut db).await.unwrap();
        let stored: String = row.try_get("sealed_token").unwrap();
        assert!(stored.starts_with(engine::secrets::PREFIX) && !stored.contains(TOKEN), "{stored}");
        assert!(set_token(&server, "nobody", Some(TOKEN)).await.is_err());

        ok(call(&server, &admin, true, "DeleteConnection", json!({ "ConnectionArn": old_arn })).await).await;
        refused(&call(&server, &admin, false, "GetConnection", json!({ "ConnectionArn": arn })).await, "ResourceNotFoundException");
        ok(call(&server, &admin, false, "DeleteHost", json!({ "HostArn": host_arn })).await).await;
        server
    })
    .await;
}

#[tokio::test]
async fn a_pipeline_reads_a_branch_through_a_connection() {
    on_both_backends(|server| async move {
        let (root, commit, work) = outside_repository().await;
        let arn = connection_on(&server, &root, "octo").await;
        set_token(&server, &arn, Some(TOKEN)).await.unwrap();
        let zip_check = ["grep -q 'hello through a connection' app.txt", "test ! -e .git"];
        create(&server, pipeline("zip", &arn, "octo/app", "main", json!({}), &zip_check)).await;
        let origin = format!("url = file://{}/octo/app.git", root.display());
        let clone_check = [
            "test -f .git/HEAD".to_owned(),
            "grep -q 'hello through a connection' app.txt".to_owned(),
            format!("grep -qF '{origin}' .git/config"),
            format!("! grep -rq '{TOKEN}' .git"),
        ];
        let clone_check: Vec<&str> = clone_check.iter().map(String::as_str).collect();
        let clone = json!({ "OutputArtifactFormat": "CODEBUILD_CLONE_REF", "DetectChanges": "false" });
        create(&server, pipeline("clone", &arn, "octo/app", "main", clone, &clone_check)).await;

        for name in ["zip", "clone"] {
            let runs = wait_for(&server, name, "the first run finishing", |e| e.len() == 1 && finished(&e[0])).await;
            let run = &runs[0];
            assert_eq!(run.status(), Some(&PipelineExecutionStatus::Succeeded), "{name}: {run:#?}");
            assert_eq!(run.source_revisions()[0].revision_id(), Some(commit.as_str()));
            assert_eq!(run.source_revisions()[0].revision_summary(), Some("Say hello"));
            let source = source_action(&server, name, run.pipeline_execution_id().unwrap()).await;
            let variables = &source["output"]["outputVariables"];
            assert_eq!(variables["CommitId"], commit.as_str());
            assert_eq!(variables["BranchName"], "main");
            assert_eq!(variables["ConnectionArn"], arn.as_str());
            assert_eq!(variables["FullRepositoryName"], "octo/app");
            assert_eq!(variables["CommitMessage"], "Say hello\n\nFrom afar.");
            assert!(variables["AuthorDate"].as_str().unwrap().ends_with('Z'), "{variables}");
            assert!(variables.get("CommitterDate").is_none(), "{variables}");
            assert!(!source.to_string().contains(TOKEN));
        }

        // DetectChanges (the default) finds a new commit once; "false" does not look.
        let second = commit_file(&work, "app.txt", "hello through a connection, again\n", "Say it again").await;
        git(&work, &["push", "--quiet", root.join("octo/app.git").to_str().unwrap(), "main"]).await;
        let runs = wait_for(&server, "zip", "a run of the new commit", |e| e.len() == 2 && finished(&e[0])).await;
        assert_eq!(trigger(&runs[0]), Some(&TriggerType::PollForSourceChanges));
        assert_eq!(runs[0].status(), Some(&PipelineExecutionStatus::Succeeded), "{runs:#?}");
        assert_eq!(runs[0].source_revisions()[0].revision_id(), Some(second.as_str()));
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        assert_eq!(executions(&server, "zip").await.len(), 2);
        assert_eq!(executions(&server, "clone").await.len(), 1);
        server
    })
    .await;
}

#[tokio::test]
async fn what_a_connection_source_refuses_is_named() {
    on_both_backends(|server| async move {
        let (root, _, _) = outside_repository().await;
        let arn = connection_on(&server, &root, "octo").await;
        let pending = pipeline("pending", &arn, "octo/app", "main", json!({}), &["true"]);
        create(&server, pending).await;
        let message = first_run_failure(&server, "pending").await;
        assert!(message.contains("The connection octo is PENDING"), "{message}");

        set_token(&server, "octo", None).await.unwrap();
        let unknown = arn.replace(&arn[arn.len() - 12..], "000000000000");
        create(&server, pipeline("unknown", &unknown, "octo/app", "main", json!({}), &["true"])).await;
        let message = first_run_failure(&server, "unknown").await;
        assert!(message.contains(&format!("The connection {unknown} does not exist")), "{message}");
        create(&server, pipeline("no-branch", &arn, "octo/app", "dev", json!({}), &["true"])).await;
        let message = first_run_failure(&server, "no-branch").await;
        assert!(message.contains("Branch dev does not exist in repository octo/app"), "{message}");
        create(&server, pipeline("no-repo", &arn, "octo/none", "main", json!({}), &["true"])).await;
        let message = first_run_failure(&server, "no-repo").await;
        assert!(message.contains("The repository octo/none could not be read through the connection octo"), "{message}");
        create(&server, pipeline("escape", &arn, "../../etc", "main", json!({}), &["true"])).await;
        let message = first_run_failure(&server, "escape").await;
        assert!(message.contains("FullRepositoryId \"../../etc\" is not valid"), "{message}");

        // An author who may not use the connection cannot save a pipeline that does.
        let eddie = common::new_user_with_key(&server.engine, "eddie", Role::Editor).await;
        let deny = json!({ "Statement": { "Effect": "Deny", "Action": "codestar-connections:UseConnection", "Resource": "*" } });
        server.engine.identity().put_user_policy("eddie", "no-connections", &deny.to_string()).await.unwrap();
        let declaration = pipeline("denied", &arn, "octo/app", "main", json!({}), &["true"]);
        let date = server::auth::sigv4::format_amz_date(now_seconds());
        let body = json!({ "pipeline": declaration }).to_string().into_bytes();
        let answer = common::signed_request(&server.url, "CreatePipeline", body, &eddie.0, &eddie.1, date).await;
        refused(&answer, "AccessDeniedException");
        assert!(answer.text.contains(&format!("UseConnection on resource: {arn}")), "{}", answer.text);
        assert!(answer.text.contains("Stage 'Source', action 'Source'"), "{}", answer.text);
        server
    })
    .await;
}

#[tokio::test]
async fn boto3_drives_the_connections_api_under_both_names() {
    on_both_backends(|server| async move {
        let (_, editor) = server.client_as("builder", Role::Editor).await;
        let env = [
            ("SLUICE_URL", server.url.as_str()),
            ("SLUICE_KEY_ID", &editor.0),
            ("SLUICE_SECRET", &editor.1),
            ("SLUICE_BIN", env!("CARGO_BIN_EXE_sluice")),
            ("SLUICE_DATA_DIR", server.data_dir.to_str().unwrap()),
            ("SLUICE_DATABASE_URL", server.database_url()),
        ];
        run_python_check("connections_check.py", &env).await;
        server
    })
    .await;
}
