//! Command-line and environment configuration. Other tools start Sluice with these names: keep them.
use std::{net::SocketAddr, path::PathBuf};

mod notify;
mod secret;
pub use notify::{AwsArgs, DeliveryCommand, NotifyArgs};
pub use secret::Secret;

#[derive(Debug, clap::Parser)]
#[command(name = "sluice", version, about = "A self-hosted, CodePipeline-compatible CI/CD orchestrator")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the web app, the CodePipeline API and the engine.
    Serve(Box<Config>),
    /// Manage the encryption keys that artifact stores name in `encryptionKey.id`.
    #[command(subcommand)]
    Kms(KmsCommand),
    /// Manage users (they sign in with a password and own access keys).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage groups: their members get the group's role and inline policies.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage access keys, which sign CodePipeline API requests (SigV4).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Check or export the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the secret store that SECRETS_MANAGER environment variables name.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// See notification deliveries and replay dead ones.
    #[command(subcommand)]
    Delivery(DeliveryCommand),
    /// Give connections to outside git hosts their access tokens (CodeConnections' API makes them).
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Give a partner (ThirdParty) action its client: prints the clientId and clientToken with
    /// which the partner's worker takes and answers the action's jobs. A second call replaces
    /// the client, and the old token stops working.
    PartnerClient {
        /// The pipeline's name.
        #[arg(long)]
        pipeline: String,
        /// The stage the action is in.
        #[arg(long)]
        stage: String,
        /// The partner action's name.
        #[arg(long)]
        action: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ConnectionCommand {
    /// Give a connection its access token (read from stdin, or --token-file) and make it
    /// AVAILABLE; `--public` makes it AVAILABLE without one, for public repositories.
    SetToken {
        /// The connection's name or ARN.
        connection: String,
        /// Read the token from this file instead of stdin (one trailing newline is dropped).
        #[arg(long, conflicts_with = "public")]
        token_file: Option<PathBuf>,
        /// No token: the connection reads public repositories only.
        #[arg(long)]
        public: bool,
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the URL and secret to give the connection's git host for its webhook (the secret
    /// is made on first use), and the header the host signs deliveries with.
    Webhook {
        /// The connection's name, ARN or id.
        connection: String,
        /// The URL git hosts reach Sluice at, as `sluice serve` is given it.
        #[arg(long, env = "SLUICE_PUBLIC_URL", value_parser = parse_public_url, default_value = "http://127.0.0.1:3000")]
        public_url: String,
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the connection's recent webhook deliveries, newest first: when, the host's event and
    /// delivery id, what came of it, the executions it started.
    Deliveries {
        /// The connection's name, ARN or id.
        connection: String,
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the connections: name, status, whether a token is kept, ARN.
    List {
        #[command(flatten)]
        account: AccountArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The account ARNs name, as `sluice serve` reports it.
#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    #[arg(long, env = "SLUICE_REGION", default_value = "us-east-1")]
    pub region: String,
    #[arg(long, env = "SLUICE_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,
}

/// `put-policy`'s arguments, for users and groups alike.
#[derive(Debug, clap::Args)]
pub struct PolicyFile {
    /// The user or group.
    pub name: String,
    pub policy_name: String,
    /// The policy document (IAM's JSON grammar).
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The database a command works on, named as `sluice serve` names it.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    #[arg(long, env = "SLUICE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL; `postgres://...` selects PostgreSQL. Default: SQLite in the data dir.
    #[arg(long, env = "SLUICE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
}

impl StoreArgs {
    pub fn database_url(&self) -> String {
        database_url(&self.data_dir, self.database_url.as_ref().map(Secret::expose))
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user; the password comes from SLUICE_USER_PASSWORD or is generated and printed once.
    Add {
        name: String,
        /// Built-in role: Admin, Editor (author and run), Approver or Viewer.
        #[arg(long, default_value = "Viewer")]
        role: String,
        #[arg(long, env = "SLUICE_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users and their roles.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change a user's role, or disable or re-enable them; the last active Admin stays one.
    Update {
        name: String,
        /// Built-in role: Admin, Editor, Approver or Viewer.
        #[arg(long)]
        role: Option<String>,
        /// `false` disables the user (no sign-in, no signed request); `true` enables them again.
        #[arg(long)]
        active: Option<bool>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a user with their keys, policies and sessions; never the last active Admin.
    Remove {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Attach (or replace) an inline IAM policy, read from a JSON file, to a user.
    PutPolicy(PolicyFile),
}

#[derive(Debug, clap::Subcommand)]
pub enum GroupCommand {
    /// Create a group, optionally with a built-in role its members get.
    Create {
        name: String,
        /// Built-in role: Admin, Editor, Approver or Viewer; none grants only the group's policies.
        #[arg(long)]
        role: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Make a user a member of a group.
    AddUser {
        group: String,
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Take a user out of a group.
    RemoveUser {
        group: String,
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Attach (or replace) an inline IAM policy, read from a JSON file, to a group.
    PutPolicy(PolicyFile),
    /// List groups with their role and members.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Create an access key for a user; the secret is printed once and cannot be shown again.
    Create {
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List a user's access keys and whether each is active.
    List {
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an access key; requests signed with it are refused from then on.
    Revoke {
        access_key_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exits non-zero if a record was edited, removed or reordered.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print every record as JSON lines, oldest first.
    Export {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum SecretCommand {
    /// Store (or replace) a secret; the value is read from stdin, or from --value-file.
    Put {
        name: String,
        /// Read the value from this file instead of stdin (one trailing newline is dropped either way).
        #[arg(long)]
        value_file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the secrets' names and dates (never their values).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a secret; actions naming it fail from then on.
    Delete {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
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
    #[arg(long, env = "SLUICE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,

    /// Directory holding the built web assets (the `pkg/` folder with the wasm and the CSS).
    #[arg(long, env = "SLUICE_SITE_DIR", default_value = "target/site")]
    pub site_dir: PathBuf,

    /// Region reported in ARNs and accepted from clients.
    #[arg(long, env = "SLUICE_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Twelve-digit account id reported in ARNs.
    #[arg(long, env = "SLUICE_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,

    /// Password for the `admin` user created on first start; without it one is generated and printed.
    #[arg(long, env = "SLUICE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,

    /// The URL browsers reach Sluice at (`https://ci.example.com`); browser changes must come from
    /// this origin. Default: `http://<addr>`.
    #[arg(long, env = "SLUICE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// The bearer token a Prometheus scraper presents for `/metrics`; without one the page is off.
    #[arg(long, env = "SLUICE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    #[command(flatten)]
    pub sandbox: SandboxArgs,

    #[command(flatten)]
    pub notify: NotifyArgs,
}

/// How pipeline code runs: the README's security model says why.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// `on`: pipeline code runs only in a sandbox, and fails where none can be made. `off`: it runs
    /// as this server's user, unconfined, and every page says so.
    #[arg(long = "sandbox", env = "SLUICE_SANDBOX", default_value = "on")]
    pub mode: SandboxSwitch,

    /// Where actions get their workspaces (never inside the data dir). Default: a folder in TMPDIR.
    #[arg(long, env = "SLUICE_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// Memory one process of pipeline code may allocate, in MiB.
    #[arg(long = "sandbox-memory-mb", env = "SLUICE_SANDBOX_MEMORY_MB", default_value_t = 4096)]
    pub memory_mb: u64,

    /// Processes one action may run at once.
    #[arg(long = "sandbox-max-processes", env = "SLUICE_SANDBOX_MAX_PROCESSES", default_value_t = 1024)]
    pub max_processes: u64,

    /// More folders pipeline code may read (toolchains outside /usr and /opt), comma-separated.
    #[arg(long = "sandbox-read-only", env = "SLUICE_SANDBOX_READ_ONLY", value_delimiter = ',')]
    pub read_only: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxSwitch {
    On,
    Off,
}

impl Default for SandboxArgs {
    /// The command line's defaults.
    fn default() -> Self {
        SandboxArgs {
            mode: SandboxSwitch::On,
            work_dir: None,
            memory_mb: 4096,
            max_processes: 1024,
            read_only: Vec::new(),
        }
    }
}

impl SandboxArgs {
    pub fn engine_config(&self) -> engine::sandbox::SandboxConfig {
        let defaults = engine::sandbox::SandboxConfig::default();
        engine::sandbox::SandboxConfig {
            mode: match self.mode {
                SandboxSwitch::On => engine::sandbox::SandboxMode::Enforce,
                SandboxSwitch::Off => engine::sandbox::SandboxMode::Off,
            },
            limits: engine::sandbox::Limits {
                memory_bytes: self.memory_mb << 20,
                processes: self.max_processes,
                ..defaults.limits
            },
            read_only: self.read_only.clone(),
            work_dir: self.work_dir.clone().unwrap_or(defaults.work_dir),
            ..defaults
        }
    }
}

impl Config {
    /// The database to open: the explicit URL, or a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        database_url(&self.data_dir, self.database_url.as_ref().map(Secret::expose))
    }

    /// The address people reach Sluice at: the public URL, or `http://<addr>`.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.addr))
    }

    /// The origins (`scheme://host[:port]`) browser changes may come from: the public URL's, and
    /// when none is set and Sluice listens on a loopback address, `localhost` too (no other site
    /// can be `localhost`, so that name is as safe as the address).
    pub fn allowed_origins(&self) -> Vec<String> {
        let url = self.public_url();
        let mut origins = vec![origin_of(&url).unwrap_or(url)];
        if self.public_url.is_none() && self.addr.ip().is_loopback() {
            origins.push(format!("http://localhost:{}", self.addr.port()));
        }
        origins
    }
}

/// `scheme://host[:port]` of an http(s) URL, lower case and without the scheme's default port,
/// so that `https://CI.example.com:443/x` and `https://ci.example.com` are the same origin.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.strip_suffix(default_port).unwrap_or(&authority)))
}

fn parse_public_url(text: &str) -> Result<String, String> {
    match origin_of(text) {
        Some(_) => Ok(text.trim_end_matches('/').to_owned()),
        None => Err(format!("{text:?} is not an http:// or https:// URL")),
    }
}

/// The explicit URL, or a SQLite file in the data dir.
fn database_url(data_dir: &std::path::Path, explicit: Option<&str>) -> String {
    match explicit {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}?mode=rwc", data_dir.join("sluice.db").display()),
    }
}

#[cfg(test)]
mod tests;
