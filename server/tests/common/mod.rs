//! A real Sluice server on a free port, over a fresh database, with a real aws-sdk-codepipeline client.
//! Over 400 lines: the one harness every server test and the Commands benchmark share.
#![allow(dead_code)] // Each test binary uses a different part of this harness.

pub mod connections;
pub mod git;
pub mod git_hosts;
pub mod moto;
pub mod receiver;
pub mod runs;
pub mod services;
pub mod smtp;
pub mod sse;

use aws_sdk_codepipeline::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_codepipeline::Client;
use engine::testing::{TestBackend, TestDatabase};
use engine::Store;
use server::config::Config;
use std::future::Future;
use tokio::task::JoinHandle;

pub use engine::testing::BACKENDS;
use services::signed_service_request;

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";

pub struct TestServer {
    pub url: String,
    pub engine: engine::Engine,
    /// Signs as `tester`, an Admin; `client_as` gives clients for other users.
    pub client: Client,
    /// `tester`'s access key: (id, secret).
    pub key: (String, String),
    pub backend: TestBackend,
    /// The server's data dir (keys, objects; the database too on SQLite).
    pub data_dir: std::path::PathBuf,
    db: TestDatabase,
    task: JoinHandle<()>,
}

/// A new user with `role` and an access key: `(access key id, secret)`.
pub async fn new_user_with_key(
    engine: &engine::Engine,
    user_name: &str,
    role: engine::identity::Role,
) -> (String, String) {
    engine.identity().create_user(user_name, role, None).await.expect("user");
    let key = engine.identity().create_access_key(user_name).await.expect("key");
    (key.access_key_id, key.secret_access_key)
}

impl TestServer {
    pub async fn start(backend: TestBackend) -> Self {
        Self::start_with(backend, Default::default()).await
    }

    /// A server whose pipeline code runs as `sandbox` says (the default: sandboxed).
    pub async fn start_with(backend: TestBackend, sandbox: server::config::SandboxArgs) -> Self {
        Self::start_configured(backend, sandbox, Default::default()).await
    }

    /// A server that sends e-mail as `notify` says.
    pub async fn start_with_mail(backend: TestBackend, notify: server::config::NotifyArgs) -> Self {
        Self::start_configured(backend, Default::default(), notify).await
    }

    async fn start_configured(
        backend: TestBackend,
        sandbox: server::config::SandboxArgs,
        notify: server::config::NotifyArgs,
    ) -> Self {
        let db = TestDatabase::new(backend).await;
        let data_dir = std::env::temp_dir().join(format!("sluice-server-test-{}", uuid::Uuid::new_v4().simple()));
        let sealer = engine::secrets::Sealer::new(&data_dir);
        let store = Store::connect(&db.url).await.expect("test database opens").with_sealer(sealer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("free port");
        let addr = listener.local_addr().expect("bound address");
        let config = Config { addr, sandbox, notify, ..test_config(&db.url, &data_dir) };
        let engine = server::start_engine(store, &config).await.expect("engine starts");
        let key = new_user_with_key(&engine, "tester", engine::identity::Role::Admin).await;
        let app = server::app(engine.clone(), config);
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.expect("server runs");
        });
        let url = format!("http://{addr}");
        let client = sdk_client(&url, &key.0, &key.1);
        TestServer { url, engine, client, key, backend, data_dir, db, task }
    }

    /// A new user with `role` and an access key, and an SDK client that signs as them.
    pub async fn client_as(&self, user_name: &str, role: engine::identity::Role) -> (Client, (String, String)) {
        let key = new_user_with_key(&self.engine, user_name, role).await;
        (sdk_client(&self.url, &key.0, &key.1), key)
    }

    /// The URL of this server's database, for tests that inspect what is stored.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// A connection of its own to the server's database, as someone with access to it (an
    /// attacker, an operator) has: what the tests of tampering use.
    pub async fn raw_database(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db.url).await.expect("the test database accepts connections")
    }

    pub async fn stop(self) {
        self.engine.shutdown();
        self.task.abort();
        self.db.cleanup().await;
    }

    /// Sends a raw AWS JSON 1.1 request signed as `tester`, for what the SDK refuses to send
    /// (bad JSON, wrong types).
    pub async fn raw(&self, operation: &str, body: impl Into<Vec<u8>>) -> RawAnswer {
        let (id, secret) = &self.key;
        self.raw_signed(operation, body.into(), id, secret, server::auth::sigv4::format_amz_date(now_seconds())).await
    }

    /// A raw request signed with any key at any time, for the signature tests.
    pub async fn raw_signed(
        &self,
        operation: &str,
        body: Vec<u8>,
        key_id: &str,
        secret: &str,
        amz_date: String,
    ) -> RawAnswer {
        signed_request(&self.url, operation, body, key_id, secret, amz_date).await
    }

    /// Sends exactly these headers and body, signed or not.
    pub async fn send_raw(&self, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> RawAnswer {
        send(&self.url, headers, body).await
    }
}

/// A CodePipeline request to the server at `url`, signed with SigV4 as an SDK would sign it.
pub async fn signed_request(
    url: &str,
    operation: &str,
    body: Vec<u8>,
    key_id: &str,
    secret: &str,
    amz_date: String,
) -> RawAnswer {
    let target = format!("CodePipeline_20150709.{operation}");
    signed_service_request(url, "codepipeline", Some(&target), body, (key_id, secret), amz_date).await
}

/// A request to Sluice's own resources (`/objects/...`, `/api/v1/...`) signed with SigV4 as the
/// `(id, secret)` key, the body's hash in `x-amz-content-sha256` as S3 clients send it.
pub fn signed_http(
    method: reqwest::Method,
    url: &str,
    key: &(String, String),
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let parsed = reqwest::Url::parse(url).expect("a valid URL");
    let host = format!("{}:{}", parsed.host_str().unwrap_or_default(), parsed.port_or_known_default().unwrap_or(80));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("host", host.parse().unwrap());
    headers.insert("x-amz-date", server::auth::sigv4::format_amz_date(now_seconds()).parse().unwrap());
    headers.insert("x-amz-content-sha256", server::auth::sigv4::payload_hash(&body).parse().unwrap());
    let request = server::auth::sigv4::SignedRequest {
        method: method.as_str(),
        path: parsed.path(),
        query: parsed.query().unwrap_or_default(),
        headers: &headers,
        body: &body,
    };
    let signed = ["host", "x-amz-content-sha256", "x-amz-date"];
    let authorization = server::auth::sigv4::authorization_header(&key.0, &key.1, REGION, &request, &signed);
    headers.insert("authorization", authorization.parse().unwrap());
    reqwest::Client::new().request(method, url).headers(headers).body(body)
}

/// A signed GET as `key`, sent.
pub async fn signed_get(url: &str, key: &(String, String)) -> reqwest::Response {
    signed_http(reqwest::Method::GET, url, key, Vec::new()).send().await.expect("server answers")
}

async fn send(url: &str, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> RawAnswer {
    let response = reqwest::Client::new()
        .post(format!("{url}/"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("server answers");
    let status = response.status().as_u16();
    let request_id = response.headers().get("x-amzn-requestid").map(|v| v.to_str().unwrap_or_default().to_owned());
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    RawAnswer { status, request_id, json, text }
}

pub fn sdk_client(url: &str, key_id: &str, secret: &str) -> Client {
    let sdk_config = aws_sdk_codepipeline::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(key_id, secret, None, None, "tests"))
        .retry_config(aws_sdk_codepipeline::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(sdk_config)
}

pub fn now_seconds() -> i64 {
    engine::now_ms() / 1000
}

pub struct RawAnswer {
    pub status: u16,
    pub request_id: Option<String>,
    pub json: serde_json::Value,
    pub text: String,
}

impl RawAnswer {
    pub fn error_type(&self) -> &str {
        self.json["__type"].as_str().unwrap_or_default()
    }
}

/// The configuration tests serve with: this database and data dir, the test account.
/// The bearer token test servers take for `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub fn test_config(database_url: &str, data_dir: &std::path::Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().expect("an address"),
        data_dir: data_dir.to_owned(),
        database_url: Some(database_url.into()),
        site_dir: "target/site".into(),
        region: REGION.into(),
        account_id: ACCOUNT.into(),
        admin_password: None,
        metrics_token: Some(METRICS_TOKEN.into()),
        sandbox: Default::default(),
        public_url: None,
        notify: Default::default(),
    }
}

/// Runs a scenario against a server on SQLite, then one on PostgreSQL.
pub async fn on_both_backends<F, Fut>(scenario: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: Future<Output = TestServer>,
{
    for backend in BACKENDS {
        let server = TestServer::start(backend).await;
        let server = scenario(server).await;
        server.stop().await;
    }
}

/// The wire JSON of a small valid pipeline: S3 source → CodeBuild → manual approval.
pub fn pipeline_json(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "roleArn": "arn:aws:iam::000000000000:role/service-role/pipeline",
        "artifactStore": { "type": "S3", "location": "artifacts-bucket" },
        "stages": [
            { "name": "Source", "actions": [{
                "name": "Source",
                "actionTypeId": { "category": "Source", "owner": "AWS", "provider": "S3", "version": "1" },
                "runOrder": 1,
                "configuration": { "S3Bucket": "sources", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false" },
                "outputArtifacts": [{ "name": "SourceOutput" }],
                "inputArtifacts": [],
                "namespace": "SourceVariables"
            }]},
            { "name": "Build", "actions": [{
                "name": "Build",
                "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
                "runOrder": 1,
                "configuration": { "ProjectName": "app-build" },
                "outputArtifacts": [{ "name": "BuildOutput" }],
                "inputArtifacts": [{ "name": "SourceOutput" }]
            }, {
                "name": "Approve",
                "actionTypeId": { "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1" },
                "runOrder": 2,
                "configuration": { "CustomData": "Check #{SourceVariables.VersionId}" },
                "outputArtifacts": [],
                "inputArtifacts": []
            }]}
        ]
    })
}

/// The same pipeline, decoded by the SDK from its own JSON so tests send what real clients send.
pub fn sdk_pipeline(name: &str) -> aws_sdk_codepipeline::types::PipelineDeclaration {
    use aws_sdk_codepipeline::types::*;
    let action_type = |category, provider: &str| {
        ActionTypeId::builder()
            .category(category)
            .owner(ActionOwner::Aws)
            .provider(provider)
            .version("1")
            .build()
            .unwrap()
    };
    let source = ActionDeclaration::builder()
        .name("Source")
        .action_type_id(action_type(ActionCategory::Source, "S3"))
        .run_order(1)
        .configuration("S3Bucket", "sources")
        .configuration("S3ObjectKey", "app.zip")
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name("SourceOutput").build().unwrap())
        .namespace("SourceVariables")
        .build()
        .unwrap();
    let build = ActionDeclaration::builder()
        .name("Build")
        .action_type_id(action_type(ActionCategory::Build, "CodeBuild"))
        .configuration("ProjectName", "app-build")
        .input_artifacts(InputArtifact::builder().name("SourceOutput").build().unwrap())
        .output_artifacts(OutputArtifact::builder().name("BuildOutput").build().unwrap())
        .build()
        .unwrap();
    let approve = ActionDeclaration::builder()
        .name("Approve")
        .action_type_id(action_type(ActionCategory::Approval, "Manual"))
        .run_order(2)
        .configuration("CustomData", "Check #{SourceVariables.VersionId}")
        .build()
        .unwrap();
    PipelineDeclaration::builder()
        .name(name)
        .role_arn("arn:aws:iam::000000000000:role/service-role/pipeline")
        .artifact_store(
            ArtifactStore::builder().r#type(ArtifactStoreType::S3).location("artifacts-bucket").build().unwrap(),
        )
        .stages(StageDeclaration::builder().name("Source").actions(source).build().unwrap())
        .stages(StageDeclaration::builder().name("Build").actions(build).actions(approve).build().unwrap())
        .build()
        .unwrap()
}

/// Zips `files` and uploads the zip as a new version of `bucket/key` in Sluice's object store.
/// Signed with `signer`, an `(id, secret)` access key allowed to upload.
pub async fn upload_zip(url: &str, signer: &(String, String), bucket: &str, key: &str, files: &[(&str, &str)]) {
    let dir = std::env::temp_dir().join(format!("sluice-upload-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let zip = dir.with_extension("zip");
    engine::objects::artifacts::pack_dir(&dir, &zip).await.unwrap();
    let response = signed_http(
        reqwest::Method::PUT,
        &format!("{url}/objects/{bucket}/{key}"),
        signer,
        std::fs::read(&zip).unwrap(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&zip);
}

/// A V2 pipeline whose first stage is one AWS source action of `provider` with `configuration`,
/// producing `Src` in the namespace SourceVariables; `stages` follow it.
pub fn v2_pipeline_with_source(
    name: &str,
    provider: &str,
    configuration: serde_json::Value,
    stages: Vec<serde_json::Value>,
) -> serde_json::Value {
    let source = serde_json::json!({ "name": "Source", "actions": [{
        "name": "Source",
        "actionTypeId": { "category": "Source", "owner": "AWS", "provider": provider, "version": "1" },
        "configuration": configuration,
        "outputArtifacts": [{ "name": "Src" }],
        "namespace": "SourceVariables"
    }]});
    serde_json::json!({
        "name": name,
        "roleArn": "arn:aws:iam::000000000000:role/pipeline",
        "artifactStore": { "type": "S3", "location": "artifacts" },
        "pipelineType": "V2",
        "stages": std::iter::once(source).chain(stages).collect::<Vec<_>>(),
    })
}

/// A V2 pipeline whose first stage is an S3 source (`bucket/key`, no polling) producing `Src`.
pub fn v2_pipeline_with_s3_source(
    name: &str,
    bucket: &str,
    key: &str,
    stages: Vec<serde_json::Value>,
) -> serde_json::Value {
    let configuration = serde_json::json!({ "S3Bucket": bucket, "S3ObjectKey": key, "PollForSourceChanges": "false" });
    v2_pipeline_with_source(name, "S3", configuration, stages)
}

/// A stage `Check` of one Commands action running `commands` on `Src`.
pub fn check_stage(commands: &[&str]) -> serde_json::Value {
    serde_json::json!({ "name": "Check", "actions": [commands_action("Check", 1, commands, "Src", None)] })
}

/// Runs one of the repository's Python client checks (`scripts/<script>`) with `env`, and fails
/// with its output if it fails. Async: the server it talks to runs on the test's runtime.
pub async fn run_python_check(script: &str, env: &[(&str, &str)]) {
    let path = format!("{}/../scripts/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("python3")
        .arg(&path)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("python3 runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{printed}");
}

/// A Commands action reading `input`, optionally producing `(artifact, files glob)`.
pub fn commands_action(
    name: &str,
    run_order: u32,
    commands: &[&str],
    input: &str,
    output: Option<(&str, &str)>,
) -> serde_json::Value {
    let mut action = serde_json::json!({
        "name": name,
        "actionTypeId": { "category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1" },
        "runOrder": run_order,
        "commands": commands,
        "inputArtifacts": [{ "name": input }],
    });
    if let Some((artifact, files)) = output {
        action["outputArtifacts"] = serde_json::json!([{ "name": artifact, "files": [files] }]);
    }
    action
}

/// A manual approval action.
pub fn approval_action(name: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "actionTypeId": { "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1" } })
}

/// Polls GetPipelineExecution until the status is final (30 s at most).
pub async fn wait_final(
    server: &TestServer,
    pipeline: &str,
    id: &str,
) -> aws_sdk_codepipeline::types::PipelineExecutionStatus {
    use aws_sdk_codepipeline::types::PipelineExecutionStatus;
    for _ in 0..600 {
        let got = server
            .client
            .get_pipeline_execution()
            .pipeline_name(pipeline)
            .pipeline_execution_id(id)
            .send()
            .await
            .unwrap();
        let status = got.pipeline_execution().unwrap().status().unwrap().clone();
        if !matches!(status, PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping) {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("execution {id} did not finish");
}

/// Signs `user` in to the web app and returns the session cookie (`name=value`).
pub async fn web_session(server: &TestServer, user: &str, password: &str) -> String {
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/signin", server.url))
        .header("origin", &server.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}&next=/"))
        .send()
        .await
        .unwrap();
    let cookie = answer.headers().get("set-cookie").expect("signed in").to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Calls the web app's server function at `/api/{endpoint}` with a session, as the pages do:
/// `(HTTP status, body)`.
pub async fn call_web(server: &TestServer, session: &str, endpoint: &str, form: &str) -> (u16, String) {
    call_web_with(reqwest::Client::new(), server, session, endpoint, form).await
}

/// `call_web` through `client` (one that does not follow redirects, say).
pub async fn call_web_with(
    client: reqwest::Client,
    server: &TestServer,
    session: &str,
    endpoint: &str,
    form: &str,
) -> (u16, String) {
    let answer = client
        .post(format!("{}/api/{endpoint}", server.url))
        .header("cookie", session)
        .header("origin", &server.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// Starts a test double's process and waits until it listens on `port`; `what` says what to
/// install when it never does. Its output is dropped; the caller kills it when done.
pub async fn spawn_listening(mut command: std::process::Command, port: u16, what: &str) -> std::process::Child {
    use std::process::Stdio;
    let mut child =
        command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|err| panic!("{what}: {err}"));
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not listen on {port}: is it installed?");
}
