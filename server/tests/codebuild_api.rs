//! The CodeBuild API on SQLite and PostgreSQL: build projects created, read, listed, changed and
//! deleted with CodeBuild's wire shapes and errors, checked per project against the caller's
//! policies; and a pipeline whose CodeBuild action runs a project made through the API on a
//! buildspec.yml from its S3 source.
mod common;

use common::services::signed_service_request;
use common::{
    on_both_backends, upload_zip, v2_pipeline_with_s3_source, wait_final, RawAnswer, TestServer, ACCOUNT, REGION,
};
use engine::identity::Role;
use serde_json::{json, Value};

async fn codebuild(server: &TestServer, key: &(String, String), operation: &str, body: Value) -> RawAnswer {
    let date = server::auth::sigv4::format_amz_date(common::now_seconds());
    let target = format!("CodeBuild_20161006.{operation}");
    signed_service_request(
        &server.url,
        "codebuild",
        Some(&target),
        body.to_string().into_bytes(),
        (&key.0, &key.1),
        date,
    )
    .await
}

fn project(name: &str, buildspec: Option<&str>) -> Value {
    let mut source = json!({ "type": "CODEPIPELINE" });
    if let Some(buildspec) = buildspec {
        source["buildspec"] = json!(buildspec);
    }
    json!({
        "name": name,
        "source": source,
        "artifacts": { "type": "CODEPIPELINE" },
        "environment": {
            "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{ "name": "FROM_PROJECT", "value": "p", "type": "PLAINTEXT" }]
        },
        "serviceRole": "arn:aws:iam::000000000000:role/codebuild",
        "timeoutInMinutes": 10
    })
}

#[tokio::test]
async fn projects_are_managed_with_codebuild_shapes_and_errors() {
    on_both_backends(|server| async move {
        let admin = server.key.clone();
        let created = codebuild(&server, &admin, "CreateProject", project("web", None)).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let arn = format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/web");
        assert_eq!(created.json["project"]["arn"], arn);
        assert_eq!(created.json["project"]["environment"]["computeType"], "BUILD_GENERAL1_SMALL");
        assert_eq!(created.json["project"]["timeoutInMinutes"], 10);

        let again = codebuild(&server, &admin, "CreateProject", project("web", None)).await;
        assert_eq!(again.error_type(), "ResourceAlreadyExistsException", "{}", again.text);
        let bad_name = codebuild(&server, &admin, "CreateProject", project("-bad name", None)).await;
        assert_eq!(bad_name.error_type(), "InvalidInputException", "{}", bad_name.text);
        let missing_member = codebuild(&server, &admin, "CreateProject", json!({ "name": "x1" })).await;
        assert_eq!(missing_member.error_type(), "InvalidInputException", "{}", missing_member.text);
        let mut bad_timeout = project("slow", None);
        bad_timeout["timeoutInMinutes"] = json!(1);
        let refused = codebuild(&server, &admin, "CreateProject", bad_timeout).await;
        assert_eq!(refused.error_type(), "InvalidInputException", "{}", refused.text);

        let updated = codebuild(
            &server,
            &admin,
            "UpdateProject",
            json!({ "name": arn, "description": "the web app", "timeoutInMinutes": 30 }),
        )
        .await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        assert_eq!(updated.json["project"]["description"], "the web app");
        assert_eq!(updated.json["project"]["environment"]["image"], "aws/codebuild/standard:7.0", "kept");
        let missing = codebuild(&server, &admin, "UpdateProject", json!({ "name": "nope" })).await;
        assert_eq!(missing.error_type(), "ResourceNotFoundException", "{}", missing.text);

        codebuild(&server, &admin, "CreateProject", project("api", Some("ci/buildspec.yml"))).await;
        let got = codebuild(&server, &admin, "BatchGetProjects", json!({ "names": ["web", "nope", "api"] })).await;
        let names: Vec<&str> = got.json["projects"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["web", "api"]);
        assert_eq!(got.json["projectsNotFound"], json!(["nope"]));
        assert_eq!(got.json["projects"][0]["timeoutInMinutes"], 30);
        let listed = codebuild(&server, &admin, "ListProjects", json!({ "sortOrder": "DESCENDING" })).await;
        assert_eq!(listed.json["projects"], json!(["web", "api"]), "{}", listed.text);

        // A viewer reads projects, changes none; a policy can narrow reads to some projects.
        let (_, viewer) = server.client_as("viewer", Role::Viewer).await;
        let read = codebuild(&server, &viewer, "BatchGetProjects", json!({ "names": ["web"] })).await;
        assert_eq!(read.status, 200, "{}", read.text);
        let denied = codebuild(&server, &viewer, "DeleteProject", json!({ "name": "web" })).await;
        assert_eq!(denied.error_type(), "AccessDeniedException", "{}", denied.text);
        let policy = json!({ "Statement": { "Effect": "Deny", "Action": "codebuild:*", "Resource": "arn:aws:codebuild:*:*:project/api" } });
        server.engine.identity().put_user_policy("viewer", "no-api", &policy.to_string()).await.unwrap();
        let partly = codebuild(&server, &viewer, "BatchGetProjects", json!({ "names": ["web", "api"] })).await;
        assert_eq!(partly.error_type(), "AccessDeniedException", "every name is checked: {}", partly.text);

        let unknown = codebuild(&server, &admin, "ListSourceCredentials", json!({})).await;
        assert_eq!(unknown.error_type(), "UnknownOperationException", "{}", unknown.text);

        let deleted = codebuild(&server, &admin, "DeleteProject", json!({ "name": "web" })).await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        let after = codebuild(&server, &admin, "ListProjects", json!({})).await;
        assert_eq!(after.json["projects"], json!(["api"]));
        server
    })
    .await;
}

const BUILDSPEC: &str = "version: 0.2
env:
  exported-variables: [WHO]
phases:
  build:
    commands:
      - test \"$FROM_PROJECT\" = p
      - WHO=$(cat name.txt)
      - mkdir -p out && echo \"built $WHO\" > out/result.txt
artifacts:
  files: ['**/*']
  base-directory: out
";

#[tokio::test]
async fn a_pipeline_runs_a_project_made_through_the_api() {
    on_both_backends(|server| async move {
        let key = server.key.clone();
        let created = codebuild(&server, &key, "CreateProject", project("app", None)).await;
        assert_eq!(created.status, 200, "{}", created.text);
        upload_zip(&server.url, &key, "sources", "app.zip", &[("buildspec.yml", BUILDSPEC), ("name.txt", "sluice")])
            .await;
        let build = json!({
            "name": "Build",
            "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
            "configuration": { "ProjectName": "app" },
            "inputArtifacts": [{ "name": "Src" }],
            "outputArtifacts": [{ "name": "Built" }],
            "namespace": "BuildVariables"
        });
        let declaration = v2_pipeline_with_s3_source(
            "cb",
            "sources",
            "app.zip",
            vec![json!({ "name": "Build", "actions": [build] })],
        );
        let answer = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let id = server.client.start_pipeline_execution().name("cb").send().await.unwrap();
        let id = id.pipeline_execution_id().unwrap().to_owned();
        let status = wait_final(&server, "cb", &id).await;
        let actions = server.client.list_action_executions().pipeline_name("cb").send().await.unwrap();
        let build = actions.action_execution_details().iter().find(|a| a.action_name() == Some("Build")).unwrap();
        assert_eq!(status.as_str(), "Succeeded", "{build:#?}");
        let output = build.output().unwrap();
        let variables = output.output_variables().unwrap();
        assert_eq!(variables.get("WHO").map(String::as_str), Some("sluice"));
        let external = output.execution_result().unwrap().external_execution_id().unwrap();
        assert!(external.starts_with("app:"), "{external}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_codebuild_secret_is_checked_against_the_pipelines_author() {
    on_both_backends(|server| async move {
        let (_, editor) = server.client_as("editor", Role::Editor).await;
        let variables = r#"[{"name":"DB","value":"ci/db:password","type":"SECRETS_MANAGER"}]"#;
        let build = json!({
            "name": "Build",
            "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
            "configuration": { "ProjectName": "app", "EnvironmentVariables": variables },
            "inputArtifacts": [{ "name": "Src" }]
        });
        let declaration = v2_pipeline_with_s3_source(
            "secret",
            "sources",
            "app.zip",
            vec![json!({ "name": "Build", "actions": [build] })],
        );
        let date = server::auth::sigv4::format_amz_date(common::now_seconds());
        let body = json!({ "pipeline": declaration }).to_string().into_bytes();
        let target = "CodePipeline_20150709.CreatePipeline";
        let refused =
            signed_service_request(&server.url, "codepipeline", Some(target), body, (&editor.0, &editor.1), date).await;
        assert_eq!(refused.error_type(), "AccessDeniedException", "{}", refused.text);
        assert!(refused.text.contains("environment variable 'DB' reads the secret 'ci/db'"), "{}", refused.text);
        server
    })
    .await;
}
