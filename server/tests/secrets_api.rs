//! Issue 6's done-when: a secret value never appears in an API response, a log line, the audit
//! trail, the server's tracing output or the stored bytes, yet the action that needs it gets it.
//! Created through aws-sdk-codepipeline; on SQLite and PostgreSQL.
//! Over 400 lines because each place a secret could leak is its own test over one shared setup.
mod common;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    EnvironmentVariable, EnvironmentVariableType, InputArtifact, OutputArtifact, PipelineDeclaration,
    PipelineExecutionStatus, PipelineType, StageDeclaration,
};
use common::{
    commands_action, on_both_backends, signed_get, signed_request, upload_zip, v2_pipeline_with_s3_source, wait_final,
    RawAnswer, TestServer,
};
use engine::identity::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Everything the server traces in this test binary, at debug level and above.
fn tracing_output() -> Arc<Mutex<Vec<u8>>> {
    static CAPTURED: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Arc::new(Mutex::new(Vec::new()));
            let sink = captured.clone();
            let _ = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(move || Capture(sink.clone()))
                .try_init();
            captured
        })
        .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn action_type(category: ActionCategory, owner: ActionOwner, provider: &str) -> ActionTypeId {
    ActionTypeId::builder().category(category).owner(owner).provider(provider).version("1").build().unwrap()
}

fn secret_variable(name: &str, reference: &str) -> EnvironmentVariable {
    EnvironmentVariable::builder()
        .name(name)
        .value(reference)
        .r#type(EnvironmentVariableType::SecretsManager)
        .build()
        .unwrap()
}

/// S3 source → a Commands action that uses two secrets from the secret store → an Alexa deploy
/// (a catalogued type with secret configuration properties, which Sluice cannot run: it fails).
fn pipeline(name: &str, db_reference: &str, client_secret: &str, refresh_token: &str) -> PipelineDeclaration {
    let source = ActionDeclaration::builder()
        .name("Source")
        .action_type_id(action_type(ActionCategory::Source, ActionOwner::Aws, "S3"))
        .configuration("S3Bucket", "sources")
        .configuration("S3ObjectKey", "app.zip")
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name("Src").build().unwrap())
        .build()
        .unwrap();
    let commands = [
        "echo \"connecting with $DB_PASSWORD\"",
        "echo \"token: $API_TOKEN\" >&2",
        "export PW_LENGTH=${#DB_PASSWORD}",
        "export PW_SHA256=$(printf %s \"$DB_PASSWORD\" | sha256sum | cut -c1-64)",
        "export LEAKED=\"$API_TOKEN\"",
    ];
    let mut use_secrets = ActionDeclaration::builder()
        .name("UseSecrets")
        .action_type_id(action_type(ActionCategory::Compute, ActionOwner::Aws, "Commands"))
        .input_artifacts(InputArtifact::builder().name("Src").build().unwrap())
        .environment_variables(secret_variable("DB_PASSWORD", db_reference))
        .environment_variables(secret_variable("API_TOKEN", "ci/token"))
        .output_variables("PW_LENGTH")
        .output_variables("PW_SHA256")
        .output_variables("LEAKED")
        .namespace("Secrets");
    for command in commands {
        use_secrets = use_secrets.commands(command);
    }
    let alexa = ActionDeclaration::builder()
        .name("Skill")
        .action_type_id(action_type(ActionCategory::Deploy, ActionOwner::ThirdParty, "AlexaSkillsKit"))
        .configuration("ClientId", "amzn1.application-oa2-client.test")
        .configuration("ClientSecret", client_secret)
        .configuration("RefreshToken", refresh_token)
        .configuration("SkillId", "amzn1.ask.skill.test")
        .input_artifacts(InputArtifact::builder().name("Src").build().unwrap())
        .build()
        .unwrap();
    PipelineDeclaration::builder()
        .name(name)
        .role_arn("arn:aws:iam::000000000000:role/pipeline")
        .pipeline_type(PipelineType::V2)
        .artifact_store(ArtifactStore::builder().r#type(ArtifactStoreType::S3).location("artifacts").build().unwrap())
        .stages(StageDeclaration::builder().name("Source").actions(source).build().unwrap())
        .stages(StageDeclaration::builder().name("Build").actions(use_secrets.build().unwrap()).build().unwrap())
        .stages(StageDeclaration::builder().name("Deploy").actions(alexa).build().unwrap())
        .build()
        .unwrap()
}

async fn started(server: &TestServer, name: &str) -> String {
    let listed = server.client.list_pipeline_executions().pipeline_name(name).send().await.unwrap();
    listed.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned()
}

/// Every text a client can read about `pipeline`: the read APIs and every action's log.
async fn everything_readable(server: &TestServer, pipeline: &str, execution: &str) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for (operation, body) in [
        ("GetPipeline", json!({ "name": pipeline })),
        ("GetPipelineState", json!({ "name": pipeline })),
        ("GetPipelineExecution", json!({ "pipelineName": pipeline, "pipelineExecutionId": execution })),
        ("ListPipelineExecutions", json!({ "pipelineName": pipeline })),
        ("ListActionExecutions", json!({ "pipelineName": pipeline })),
    ] {
        let answer = server.raw(operation, body.to_string()).await;
        assert_eq!(answer.status, 200, "{operation}: {}", answer.text);
        texts.push((operation.to_owned(), answer.text));
    }
    let actions: Value = serde_json::from_str(&texts.last().unwrap().1).unwrap();
    for detail in actions["actionExecutionDetails"].as_array().unwrap() {
        let id = detail["actionExecutionId"].as_str().unwrap();
        let log = signed_get(&format!("{}/api/v1/action-executions/{id}/log", server.url), &server.key).await;
        assert_eq!(log.status(), 200);
        texts.push((format!("log of {}", detail["actionName"]), log.text().await.unwrap()));
    }
    texts
}

/// The database as stored: SQLite's files byte for byte, or every PostgreSQL row as text.
async fn stored_bytes(server: &TestServer) -> Vec<u8> {
    let url = server.database_url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = std::path::Path::new(path.split('?').next().unwrap());
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(file.parent().unwrap()).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with("sluice.db") {
                bytes.extend(std::fs::read(&path).unwrap());
            }
        }
        assert!(bytes.len() > 4096, "the SQLite files were read");
        return bytes;
    }
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("select table_name::text from information_schema.tables where table_schema = 'public'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut bytes = Vec::new();
    for table in tables {
        let rows = sqlx::query(&format!("select row_to_json(t)::text as row from \"{table}\" t"))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        for row in rows {
            bytes.extend(row.get::<String, _>("row").into_bytes());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn secret_values_never_leave_sluice_but_reach_the_command() {
    let traced = tracing_output();
    on_both_backends(|server| {
        let traced = traced.clone();
        async move {
            let unique = uuid::Uuid::new_v4().simple().to_string();
            let db_password = format!("pw-{unique}");
            let api_token = format!("tok-{unique}");
            let client_secret = format!("alexa-secret-{unique}");
            let refresh_token = format!("alexa-refresh-{unique}");
            let secrets = [&db_password, &api_token, &client_secret, &refresh_token];
            let named = server.engine.secrets();
            named.put("ci/db", &json!({ "user": "ci", "password": db_password }).to_string()).await.unwrap();
            named.put("ci/token", &api_token).await.unwrap();
            upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "hello")]).await;

            server
                .client
                .create_pipeline()
                .pipeline(pipeline("vault", "ci/db:password", &client_secret, &refresh_token))
                .send()
                .await
                .unwrap();
            let execution = started(&server, "vault").await;
            assert_eq!(
                wait_final(&server, "vault", &execution).await,
                PipelineExecutionStatus::Failed,
                "the Alexa deploy has no partner client to run it"
            );

            // The command got the secrets: it exported the password's length and hash.
            let actions = server.raw("ListActionExecutions", json!({ "pipelineName": "vault" }).to_string()).await.json;
            let details = actions["actionExecutionDetails"].as_array().unwrap();
            let find = |name: &str| details.iter().find(|d| d["actionName"] == name).unwrap().clone();
            let build = find("UseSecrets");
            assert_eq!(build["status"], "Succeeded", "{build}");
            let variables = &build["output"]["outputVariables"];
            assert_eq!(variables["PW_LENGTH"], db_password.len().to_string());
            assert_eq!(variables["PW_SHA256"], hex::encode(Sha256::digest(db_password.as_bytes())));
            assert_eq!(variables["LEAKED"], "****", "a secret exported as a variable is masked");
            assert_eq!(build["input"]["resolvedConfiguration"], json!({}));
            let skill = find("Skill");
            assert_eq!(skill["status"], "Failed");
            assert_eq!(skill["input"]["configuration"]["ClientSecret"], "****");
            assert_eq!(skill["input"]["resolvedConfiguration"]["RefreshToken"], "****");

            // Masked in the log, line by line, on stdout and stderr alike.
            let log = signed_get(
                &format!(
                    "{}/api/v1/action-executions/{}/log",
                    server.url,
                    build["actionExecutionId"].as_str().unwrap()
                ),
                &server.key,
            )
            .await;
            let log: Value = log.json().await.unwrap();
            let lines: Vec<&str> =
                log["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
            assert!(lines.contains(&"connecting with ****"), "{lines:?}");
            assert!(lines.contains(&"token: ****"), "{lines:?}");

            // Sending the `****` a read shows back keeps the stored secret.
            let read = server.client.get_pipeline().name("vault").send().await.unwrap();
            let mut declaration = read.pipeline().unwrap().clone();
            assert_eq!(declaration.stages()[2].actions()[0].configuration().unwrap()["ClientSecret"], "****");
            declaration.version = None;
            server.client.update_pipeline().pipeline(declaration).send().await.unwrap();
            let stored = server.engine.pipeline("vault", None).await.unwrap().declaration;
            let kept = &stored.stages[2].actions[0].configuration["ClientSecret"];
            assert!(engine::secrets::is_sealed(kept), "stored sealed: {kept}");
            assert_eq!(
                engine::secrets::Sealer::new(&server.data_dir)
                    .open(engine::secrets::context::CONFIGURATION, kept)
                    .unwrap(),
                client_secret
            );

            // A missing secret fails the action with a summary naming the variable and the secret.
            let missing = pipeline("no-vault", "ci/absent", "x-secret", "x-refresh");
            server.client.create_pipeline().pipeline(missing).send().await.unwrap();
            let failed_run = started(&server, "no-vault").await;
            assert_eq!(wait_final(&server, "no-vault", &failed_run).await, PipelineExecutionStatus::Failed);
            let state = server.client.get_pipeline_state().name("no-vault").send().await.unwrap();
            let build_state = state.stage_states()[1].action_states()[0].latest_execution().unwrap().clone();
            let message = build_state.error_details().unwrap().message().unwrap();
            assert!(message.contains("'DB_PASSWORD'") && message.contains("'ci/absent'"), "{message}");

            // The done-when: none of the four values anywhere a reader or a dump could see.
            let mut readable = everything_readable(&server, "vault", &execution).await;
            let audit: Vec<String> = server
                .engine
                .audit()
                .list(&Default::default())
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.record.to_string())
                .collect();
            assert!(audit.iter().any(|r| r.contains("CreatePipeline")), "the audit trail has the calls");
            readable.push(("audit trail".into(), audit.join("\n")));
            let traced = String::from_utf8_lossy(&traced.lock().unwrap()).into_owned();
            assert!(traced.contains("DEBUG"), "the server's tracing output was captured");
            readable.push(("tracing output".into(), traced));
            for (place, text) in &readable {
                for secret in secrets {
                    assert!(!text.contains(secret.as_str()), "{place} shows the secret {secret}:\n{text}");
                }
            }
            let bytes = stored_bytes(&server).await;
            assert!(contains(&bytes, "sluice:enc:v1:"), "sealed values are stored");
            for secret in secrets {
                assert!(!contains(&bytes, secret), "the database holds {secret} in plain text");
            }
            assert!(!contains(&bytes, &server.key.1), "the access key's secret is sealed too");
            server
        }
    })
    .await;
}

/// Runs `sluice secret ARGS` on the database at `url` with `data_dir`'s master key, `stdin` as input.
fn sluice_secret(args: &[&str], data_dir: &std::path::Path, url: &str, stdin: &str) -> (bool, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("secret")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn the_cli_puts_lists_and_deletes_secrets_without_showing_values() {
    for backend in common::BACKENDS {
        let db = engine::testing::TestDatabase::new(backend).await;
        let data_dir = std::env::temp_dir().join(format!("sluice-secret-cli-{}", uuid::Uuid::new_v4().simple()));
        let value = format!("cli-{}", uuid::Uuid::new_v4().simple());

        let (ok, out) = sluice_secret(&["put", "ci/db"], &data_dir, &db.url, &format!("{value}\n"));
        assert!(ok && out.contains("Created secret ci/db"), "{out}");
        let file = data_dir.join("value.txt");
        std::fs::write(&file, format!("{value}-2\n")).unwrap();
        let (ok, out) =
            sluice_secret(&["put", "ci/db", "--value-file", file.to_str().unwrap()], &data_dir, &db.url, "");
        assert!(ok && out.contains("Updated secret ci/db"), "{out}");
        let (ok, out) = sluice_secret(&["put", "ci/empty"], &data_dir, &db.url, "");
        assert!(!ok && out.contains("empty"), "{out}");
        let (ok, out) = sluice_secret(&["put", "bad name"], &data_dir, &db.url, "x");
        assert!(!ok && out.contains("secret name"), "{out}");

        let (ok, out) = sluice_secret(&["list"], &data_dir, &db.url, "");
        assert!(ok && out.starts_with("ci/db\tcreated ") && !out.contains(&value), "{out}");
        let store = engine::Store::connect(&db.url).await.unwrap().with_sealer(engine::secrets::Sealer::new(&data_dir));
        assert_eq!(
            engine::secrets::NamedSecrets::new(store).value("ci/db").await.unwrap(),
            Some(format!("{value}-2")),
            "one trailing newline dropped"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data_dir.join("keys/master")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the master key is private");
        }

        let (ok, out) = sluice_secret(&["delete", "ci/db"], &data_dir, &db.url, "");
        assert!(ok && out.contains("Deleted secret ci/db"), "{out}");
        let (ok, out) = sluice_secret(&["delete", "ci/db"], &data_dir, &db.url, "");
        assert!(!ok && out.contains("There is no secret named \"ci/db\""), "{out}");
        let _ = std::fs::remove_dir_all(&data_dir);
        db.cleanup().await;
    }
}

/// A CodePipeline call signed with `key`.
async fn call_as(server: &TestServer, key: &(String, String), operation: &str, body: Value) -> RawAnswer {
    let date = server::auth::sigv4::format_amz_date(common::now_seconds());
    signed_request(&server.url, operation, body.to_string().into_bytes(), &key.0, &key.1, date).await
}

fn refused(answer: &RawAnswer, needles: &[&str]) {
    assert_eq!(answer.error_type(), "AccessDeniedException", "{}", answer.text);
    for needle in needles {
        assert!(answer.text.contains(needle), "{needle:?} not in {}", answer.text);
    }
}

/// Attaches a one-statement inline policy to `user`.
async fn put_policy(server: &TestServer, user: &str, effect: &str, action: &str, resource: &str) {
    let document = json!({ "Statement": { "Effect": effect, "Action": action, "Resource": resource } }).to_string();
    server
        .engine
        .identity()
        .put_user_policy(user, &format!("p{}", uuid::Uuid::new_v4().simple()), &document)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pipeline_reads_only_secrets_and_objects_its_author_may_read() {
    on_both_backends(|server| async move {
        let secrets = server.engine.secrets();
        secrets.put("ci/db", "pw").await.unwrap();
        secrets.put("ci/other", "x").await.unwrap();
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "x")]).await;
        let (_, ed) = server.client_as("ed", Role::Editor).await;
        let (_, eve) = server.client_as("eve", Role::Editor).await;
        let mut build = commands_action("Use", 1, &["test -n \"$DB\""], "Src", None);
        build["environmentVariables"] =
            json!([{ "name": "DB", "value": "#{variables.Secret}", "type": "SECRETS_MANAGER" }]);
        let mut vault = v2_pipeline_with_s3_source(
            "vault",
            "sources",
            "app.zip",
            vec![json!({ "name": "Build", "actions": [build] })],
        );
        vault["variables"] = json!([{ "name": "Secret", "defaultValue": "ci/db" }]);
        let secret_arn = |name: &str| format!("arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}");

        // An Editor reads no secret by default; an admin grants one per secret.
        let answer = call_as(&server, &ed, "CreatePipeline", json!({ "pipeline": vault })).await;
        refused(
            &answer,
            &["Stage 'Build', action 'Use'", "'DB'", "user/ed", "secretsmanager:GetSecretValue", &secret_arn("ci/db")],
        );
        put_policy(&server, "ed", "Allow", "secretsmanager:GetSecretValue", &secret_arn("ci/db")).await;
        let answer = call_as(&server, &ed, "CreatePipeline", json!({ "pipeline": vault })).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        // Being allowed to edit the pipeline is not being allowed to read its secrets.
        refused(
            &call_as(&server, &eve, "UpdatePipeline", json!({ "pipeline": vault })).await,
            &["user/eve", &secret_arn("ci/db")],
        );
        // A start whose variables name another secret takes the right to read that one.
        let other = json!({ "name": "vault", "variables": [{ "name": "Secret", "value": "ci/other" }] });
        refused(&call_as(&server, &ed, "StartPipelineExecution", other).await, &["user/ed", &secret_arn("ci/other")]);
        let same = json!({ "name": "vault", "variables": [{ "name": "Secret", "value": "ci/db" }] });
        assert_eq!(
            call_as(&server, &eve, "StartPipelineExecution", same).await.status,
            200,
            "the secret its author was checked for"
        );

        // The web editor's Save is checked as UpdatePipeline is.
        server.engine.identity().create_user("wes", Role::Editor, Some("wes-password-1".into())).await.unwrap();
        let session = common::web_session(&server, "wes", "wes-password-1").await;
        let form = serde_urlencoded::to_string([("json", vault.to_string()), ("update", "true".into())]).unwrap();
        let (status, body) = common::call_web(&server, &session, "pipelines/save_pipeline", &form).await;
        assert!(
            status >= 400 && body.contains("Stage 'Build', action 'Use'") && body.contains("user/wes"),
            "{status} {body}"
        );

        // An S3 source names only an object its author may read.
        put_policy(&server, "eve", "Deny", "sluice:GetObject", "arn:aws:s3:::sources/*").await;
        let mirror = v2_pipeline_with_s3_source(
            "mirror",
            "sources",
            "app.zip",
            vec![json!({ "name": "Build", "actions": [commands_action("Use", 1, &["true"], "Src", None)] })],
        );
        refused(
            &call_as(&server, &eve, "CreatePipeline", json!({ "pipeline": mirror })).await,
            &["Stage 'Source', action 'Source'", "sluice:GetObject", "arn:aws:s3:::sources/app.zip"],
        );

        // Artifacts follow their pipeline: reading one takes reading the pipeline that wrote it.
        let run = started(&server, "vault").await;
        wait_final(&server, "vault", &run).await;
        let actions = server.raw("ListActionExecutions", json!({ "pipelineName": "vault" }).to_string()).await.json;
        let details = actions["actionExecutionDetails"].as_array().unwrap();
        let source = details.iter().find(|d| d["actionName"] == "Source").unwrap();
        let location = &source["output"]["outputArtifacts"][0]["s3location"];
        let (bucket, key) = (location["bucket"].as_str().unwrap(), location["key"].as_str().unwrap());
        let url = format!("{}/objects/{bucket}/{key}", server.url);
        let (_, vic) = server.client_as("vic", Role::Viewer).await;
        assert_eq!(signed_get(&url, &vic).await.status(), 200, "a Viewer reads every pipeline");
        put_policy(&server, "vic", "Deny", "codepipeline:*", "arn:aws:codepipeline:*:*:vault").await;
        let denied = signed_get(&url, &vic).await;
        assert_eq!(denied.status(), 403);
        assert!(denied.text().await.unwrap().contains("codepipeline:GetPipelineState"));
        let listed = signed_get(&format!("{}/objects/{bucket}?key={key}", server.url), &vic).await;
        assert_eq!(listed.status(), 403, "nor are its versions listed");
        // ...and so does naming one as an S3 source.
        put_policy(&server, "eve", "Deny", "codepipeline:GetPipelineState", "arn:aws:codepipeline:*:*:vault").await;
        let copy = v2_pipeline_with_s3_source(
            "copy",
            bucket,
            key,
            vec![json!({ "name": "Build", "actions": [commands_action("Use", 1, &["true"], "Src", None)] })],
        );
        refused(
            &call_as(&server, &eve, "CreatePipeline", json!({ "pipeline": copy })).await,
            &["Stage 'Source', action 'Source'", "codepipeline:GetPipelineState"],
        );
        server
    })
    .await;
}
