//! The CodeBuild API on SQLite and PostgreSQL: build projects created, read, listed, changed and
//! deleted with CodeBuild's wire shapes and errors, checked per project against the caller's
//! policies; a pipeline whose CodeBuild action runs a project made through the API on a
//! buildspec.yml from its S3 source, recorded as a build; and builds started, stopped, retried,
//! read, listed and deleted through the API.
mod common;

use common::services::signed_service_request;
use common::{
    on_both_backends, signed_get, upload_zip, v2_pipeline_with_s3_source, wait_final, RawAnswer, TestServer, ACCOUNT,
    REGION,
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

        // The action's build is a build like any other, its log the action's.
        let got = codebuild(&server, &key, "BatchGetBuilds", json!({ "ids": [external] })).await;
        let record = &got.json["builds"][0];
        assert_eq!(record["buildStatus"], "SUCCEEDED", "{}", got.text);
        assert_eq!(record["initiator"], "codepipeline/cb");
        // CreatePipeline started a run too: each run's build has its own number.
        assert!(record["buildNumber"].as_i64().is_some_and(|n| n >= 1), "{}", got.text);
        assert_eq!(record["currentPhase"], "COMPLETED");
        assert_eq!(record["exportedEnvironmentVariables"], json!([{ "name": "WHO", "value": "sluice" }]));
        assert_eq!(record["environment"]["environmentVariables"][0]["value"], "p");
        assert_eq!(phase_status(record, "BUILD"), "SUCCEEDED", "{}", got.text);
        assert!(record["logs"]["deepLink"].as_str().unwrap().ends_with(&format!("/builds/{external}")));
        let listed = codebuild(&server, &key, "ListBuildsForProject", json!({ "projectName": "app" })).await;
        assert!(listed.json["ids"].as_array().unwrap().contains(&json!(external)), "{}", listed.text);
        let log =
            signed_get(&format!("{}/api/v1/builds/{external}/log.txt", server.url), &key).await.text().await.unwrap();
        assert!(log.contains("Entering phase BUILD"), "{log}");
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

/// The status of a build's phase, or "" when it has none.
fn phase_status<'a>(build: &'a Value, phase: &str) -> &'a str {
    let phases = build["phases"].as_array().map(Vec::as_slice).unwrap_or_default();
    let found = phases.iter().find(|p| p["phaseType"] == phase);
    found.and_then(|p| p["phaseStatus"].as_str()).unwrap_or_default()
}

/// The build once it has ended.
async fn finished(server: &TestServer, key: &(String, String), id: &str) -> Value {
    for _ in 0..600 {
        let got = codebuild(server, key, "BatchGetBuilds", json!({ "ids": [id] })).await;
        let build = &got.json["builds"][0];
        if build["buildComplete"] == true {
            return build.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("build {id} did not end");
}

fn no_source_project(name: &str, buildspec: &str) -> Value {
    let mut body = project(name, None);
    body["source"] = json!({ "type": "NO_SOURCE", "buildspec": buildspec });
    body["artifacts"] = json!({ "type": "NO_ARTIFACTS" });
    body
}

const GREETING: &str = "version: 0.2
env:
  exported-variables: [GREETING]
phases:
  build:
    commands:
      - GREETING=\"$WHO from $CODEBUILD_INITIATOR build $CODEBUILD_BUILD_NUMBER\"
      - test -z \"$CODEPIPELINE_PIPELINE_NAME\"
";

#[tokio::test]
async fn builds_are_started_stopped_retried_and_listed_through_the_api() {
    on_both_backends(|server| async move {
        let key = server.key.clone();
        let created = codebuild(&server, &key, "CreateProject", no_source_project("hello", GREETING)).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let start = json!({
            "projectName": "hello",
            "environmentVariablesOverride": [{ "name": "WHO", "value": "ann", "type": "PLAINTEXT" }],
            "idempotencyToken": "t-1"
        });
        let started = codebuild(&server, &key, "StartBuild", start.clone()).await;
        assert_eq!(started.status, 200, "{}", started.text);
        let first = started.json["build"]["id"].as_str().unwrap().to_owned();
        assert!(first.starts_with("hello:"), "{first}");
        assert_eq!(started.json["build"]["buildStatus"], "IN_PROGRESS");
        assert_eq!(started.json["build"]["arn"], format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{first}"));
        let again = codebuild(&server, &key, "StartBuild", start).await;
        assert_eq!(again.json["build"]["id"], first.as_str(), "the same token starts nothing new");

        let done = finished(&server, &key, &first).await;
        assert_eq!(done["buildStatus"], "SUCCEEDED", "{done:#}");
        let greeting = &done["exportedEnvironmentVariables"][0]["value"];
        assert_eq!(greeting, "ann from tester build 1", "{done:#}");
        let phases: Vec<&str> = done["phases"].as_array().unwrap().iter().map(|p| p["phaseType"].as_str().unwrap()).collect();
        assert_eq!(phases, ["SUBMITTED", "PROVISIONING", "DOWNLOAD_SOURCE", "BUILD", "UPLOAD_ARTIFACTS", "COMPLETED"]);
        assert!(done["phases"][3]["durationInSeconds"].is_number(), "{done:#}");

        // StopBuild kills the running commands; the build ends STOPPED.
        let slow = json!({ "projectName": "hello", "buildspecOverride": "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 120\n" });
        let running = codebuild(&server, &key, "StartBuild", slow).await;
        let slow_id = running.json["build"]["id"].as_str().unwrap().to_owned();
        for _ in 0..200 {
            let got = codebuild(&server, &key, "BatchGetBuilds", json!({ "ids": [&slow_id] })).await;
            if got.json["builds"][0]["currentPhase"] == "BUILD" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let asked = std::time::Instant::now();
        let stopped = codebuild(&server, &key, "StopBuild", json!({ "id": &slow_id })).await;
        assert_eq!(stopped.status, 200, "{}", stopped.text);
        let stopped = finished(&server, &key, &slow_id).await;
        assert_eq!(stopped["buildStatus"], "STOPPED", "{stopped:#}");
        assert_eq!(phase_status(&stopped, "BUILD"), "STOPPED", "{stopped:#}");
        assert!(asked.elapsed() < std::time::Duration::from_secs(10), "stopped in {:?}", asked.elapsed());
        let twice = codebuild(&server, &key, "StopBuild", json!({ "id": &slow_id })).await;
        assert_eq!(twice.error_type(), "InvalidInputException", "{}", twice.text);

        // RetryBuild repeats the request: the same override, the next number.
        let retried = codebuild(&server, &key, "RetryBuild", json!({ "id": &first })).await;
        assert_eq!(retried.status, 200, "{}", retried.text);
        let third = retried.json["build"]["id"].as_str().unwrap().to_owned();
        let third_done = finished(&server, &key, &third).await;
        assert_eq!(third_done["exportedEnvironmentVariables"][0]["value"], "ann from tester build 3");

        let got = codebuild(&server, &key, "BatchGetBuilds", json!({ "ids": [&first, "hello:missing"] })).await;
        assert_eq!(got.json["buildsNotFound"], json!(["hello:missing"]), "{}", got.text);
        let oldest_first = codebuild(&server, &key, "ListBuildsForProject", json!({ "projectName": "hello", "sortOrder": "ASCENDING" })).await;
        assert_eq!(oldest_first.json["ids"], json!([&first, &slow_id, &third]), "{}", oldest_first.text);
        let all = codebuild(&server, &key, "ListBuilds", json!({})).await;
        assert_eq!(all.json["ids"], json!([&third, &slow_id, &first]), "{}", all.text);
        let missing = codebuild(&server, &key, "ListBuildsForProject", json!({ "projectName": "nope" })).await;
        assert_eq!(missing.error_type(), "ResourceNotFoundException", "{}", missing.text);

        // What a build without a pipeline cannot have is refused with CodeBuild's exception.
        let secret = json!({ "projectName": "hello", "environmentVariablesOverride": [{ "name": "S", "value": "ci/db", "type": "SECRETS_MANAGER" }] });
        let refused = codebuild(&server, &key, "StartBuild", secret).await;
        assert_eq!(refused.error_type(), "InvalidInputException", "{}", refused.text);
        codebuild(&server, &key, "CreateProject", project("piped", None)).await;
        let refused = codebuild(&server, &key, "StartBuild", json!({ "projectName": "piped" })).await;
        assert_eq!(refused.error_type(), "InvalidInputException", "{}", refused.text);
        assert!(refused.text.contains("CODEPIPELINE"), "{}", refused.text);
        let unknown = codebuild(&server, &key, "StartBuild", json!({ "projectName": "nope" })).await;
        assert_eq!(unknown.error_type(), "ResourceNotFoundException", "{}", unknown.text);

        // Each build is checked on its project: a viewer reads builds and starts none.
        let (_, viewer) = server.client_as("viewer", Role::Viewer).await;
        let read = codebuild(&server, &viewer, "BatchGetBuilds", json!({ "ids": [&first] })).await;
        assert_eq!(read.status, 200, "{}", read.text);
        let denied = codebuild(&server, &viewer, "StartBuild", json!({ "projectName": "hello" })).await;
        assert_eq!(denied.error_type(), "AccessDeniedException", "{}", denied.text);
        let denied = codebuild(&server, &viewer, "StopBuild", json!({ "id": &third })).await;
        assert_eq!(denied.error_type(), "AccessDeniedException", "{}", denied.text);
        let denied = codebuild(&server, &viewer, "BatchDeleteBuilds", json!({ "ids": [&first] })).await;
        assert_eq!(denied.error_type(), "AccessDeniedException", "{}", denied.text);

        let deleted = codebuild(&server, &key, "BatchDeleteBuilds", json!({ "ids": [&first, "hello:missing"] })).await;
        assert_eq!(deleted.json["buildsDeleted"], json!([&first]), "{}", deleted.text);
        assert_eq!(deleted.json["buildsNotDeleted"][0]["id"], "hello:missing");
        server
    })
    .await;
}

#[tokio::test]
async fn a_build_without_a_pipeline_reads_its_source_from_the_object_store() {
    on_both_backends(|server| async move {
        let key = server.key.clone();
        upload_zip(&server.url, &key, "sources", "app.zip", &[("buildspec.yml", BUILDSPEC), ("name.txt", "s3")]).await;
        let mut body = project("froms3", None);
        body["source"] = json!({ "type": "S3", "location": "sources/app.zip" });
        body["artifacts"] = json!({ "type": "NO_ARTIFACTS" });
        let created = codebuild(&server, &key, "CreateProject", body).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let started = codebuild(&server, &key, "StartBuild", json!({ "projectName": "froms3" })).await;
        let id = started.json["build"]["id"].as_str().unwrap().to_owned();
        let done = finished(&server, &key, &id).await;
        assert_eq!(done["buildStatus"], "SUCCEEDED", "{done:#}");
        assert_eq!(done["exportedEnvironmentVariables"][0]["value"], "s3");
        assert_eq!(done["initiator"], "tester");

        let mut github = project("gh", None);
        github["source"] = json!({ "type": "GITHUB", "location": "https://github.com/o/r" });
        codebuild(&server, &key, "CreateProject", github).await;
        let refused = codebuild(&server, &key, "StartBuild", json!({ "projectName": "gh" })).await;
        assert_eq!(refused.error_type(), "InvalidInputException", "{}", refused.text);
        server
    })
    .await;
}
