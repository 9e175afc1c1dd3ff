//! Fresh, empty databases for tests, on either backend (feature `testing`).
//!
//! PostgreSQL comes from `SLUICE_TEST_POSTGRES_URL` (default: the local server); each database is
//! created for one test and dropped by `cleanup`. A missing PostgreSQL fails the test loudly:
//! the PostgreSQL half of the suite is never skipped.
use sqlx::{Connection, Executor, PgConnection};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [TestBackend; 2] = [TestBackend::Sqlite, TestBackend::Postgres];

pub struct TestDatabase {
    pub backend: TestBackend,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

fn admin_url() -> String {
    std::env::var("SLUICE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDatabase {
    pub async fn new(backend: TestBackend) -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            TestBackend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("sluice-test-{unique}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("sluice.db").display());
                TestDatabase { backend, url, cleanup: Cleanup::Dir(dir) }
            }
            TestBackend::Postgres => {
                let admin_url = admin_url();
                let name = format!("sluice_test_{unique}");
                let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|err| {
                    panic!(
                        "\n\n*** PostgreSQL is not reachable at {admin_url}: {err}\n\
                         *** These tests run on PostgreSQL as well as SQLite and are never skipped.\n\
                         *** Start PostgreSQL or set SLUICE_TEST_POSTGRES_URL.\n"
                    )
                });
                admin.execute(format!("create database {name}").as_str()).await.expect("create test database");
                let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
                let url = format!("{base}/{name}");
                TestDatabase { backend, url, cleanup: Cleanup::Database { admin_url, name } }
            }
        }
    }

    /// Removes the database; call it at the end of a test (a failed test leaves it for inspection).
    pub async fn cleanup(self) {
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin.execute(format!("drop database if exists {name} with (force)").as_str()).await;
                }
            }
        }
    }
}

/// A side channel between a test and the pipeline code it runs. Sandboxed commands see no file
/// outside their workspace, but the network is open to them: the beacon listens on 127.0.0.1,
/// keeps the lines sent to it, and answers the line `ask` with its current answer.
pub struct Beacon {
    port: u16,
    state: std::sync::Arc<std::sync::Mutex<BeaconState>>,
}

#[derive(Default)]
struct BeaconState {
    answer: String,
    heard: Vec<String>,
}

impl Beacon {
    pub async fn start(answer: &str) -> Beacon {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("beacon listens");
        let port = listener.local_addr().expect("beacon address").port();
        let state =
            std::sync::Arc::new(std::sync::Mutex::new(BeaconState { answer: answer.to_owned(), heard: Vec::new() }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(socket).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "ask" {
                            let answer = format!("{}\n", state.lock().unwrap().answer);
                            let _ = lines.get_mut().get_mut().write_all(answer.as_bytes()).await;
                        } else {
                            state.lock().unwrap().heard.push(line);
                        }
                    }
                });
            }
        });
        Beacon { port, state }
    }

    /// A shell command that succeeds when the beacon answers `answer`.
    pub fn answers(&self, answer: &str) -> String {
        format!("(exec 3<>/dev/tcp/127.0.0.1/{}; echo ask >&3; read -r said <&3; test \"$said\" = {answer})", self.port)
    }

    /// A shell command that sends `line` (one word) to the beacon.
    pub fn tell(&self, line: &str) -> String {
        format!("echo {line} > /dev/tcp/127.0.0.1/{}", self.port)
    }

    pub fn set_answer(&self, answer: &str) {
        self.state.lock().unwrap().answer = answer.to_owned();
    }

    /// How many times `line` was sent.
    pub fn heard(&self, line: &str) -> usize {
        self.state.lock().unwrap().heard.iter().filter(|l| *l == line).count()
    }
}

impl crate::Engine {
    /// Saves `decl` as version 1 as it is: no validation, no first execution. For tests of the
    /// scheduler that start their own runs with test-only providers.
    pub async fn save_pipeline_unchecked(&self, decl: &model::PipelineDeclaration) -> crate::Result<()> {
        self.store.create_pipeline(decl, &self.pipeline_arn(&decl.name), &[]).await?;
        Ok(())
    }
}
