//! Command-line and environment configuration. Other tools start Sluice with these names: keep them.
use std::{net::SocketAddr, path::PathBuf};

#[derive(Debug, clap::Parser)]
#[command(name = "sluice", version, about = "A self-hosted, CodePipeline-compatible CI/CD orchestrator")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the web app, the CodePipeline API and the engine.
    Serve(Config),
    /// Manage the encryption keys that artifact stores name in `encryptionKey.id`.
    #[command(subcommand)]
    Kms(KmsCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum KmsCommand {
    /// Create a key; pipelines then name it in `artifactStore.encryptionKey.id`.
    CreateKey {
        /// The key id, as pipelines will name it (an id, alias or KMS key ARN).
        id: String,
        #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
    },
    /// List the key ids.
    ListKeys {
        #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SLUICE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for the embedded database and the artifact store.
    #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL; `postgres://...` selects PostgreSQL. Default: SQLite in the data dir.
    #[arg(long, env = "SLUICE_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory holding the built web assets (the `pkg/` folder with the wasm and the CSS).
    #[arg(long, env = "SLUICE_SITE_DIR", default_value = "target/site")]
    pub site_dir: PathBuf,

    /// Region reported in ARNs and accepted from clients.
    #[arg(long, env = "SLUICE_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Twelve-digit account id reported in ARNs.
    #[arg(long, env = "SLUICE_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
}

impl Config {
    /// The database to open: the explicit URL, or a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("sluice.db").display()),
        }
    }
}
