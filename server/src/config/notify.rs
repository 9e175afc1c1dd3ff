//! Where notifications go beyond webhooks: the SMTP server and the sender of e-mails, and the AWS
//! endpoint and credentials for rule targets on AWS (the standard AWS SDK environment variables).
use super::{Secret, StoreArgs};

/// The sender when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "Sluice <sluice@localhost>";

#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// The SMTP server e-mails go through: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host:465` (TLS, with AUTH). Without it, e-mail
    /// deliveries fail and wait in the delivery log.
    #[arg(long, env = "SLUICE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of notification e-mails.
    #[arg(long, env = "SLUICE_MAIL_FROM", default_value = DEFAULT_MAIL_FROM)]
    pub mail_from: String,

    #[command(flatten)]
    pub aws: AwsArgs,
}

impl Default for NotifyArgs {
    fn default() -> Self {
        NotifyArgs { smtp_url: None, mail_from: DEFAULT_MAIL_FROM.into(), aws: AwsArgs::default() }
    }
}

/// How rule targets on AWS (SNS topics and event buses of other accounts) are reached: with these
/// credentials, at AWS itself (`https://SERVICE.REGION.amazonaws.com`) or at an AWS-compatible
/// endpoint. Without credentials such targets are refused at PutTargets.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AwsArgs {
    /// An AWS-compatible endpoint for every service (as the AWS SDKs read it).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint_url: Option<String>,
    /// The endpoint for SNS only.
    #[arg(long, env = "AWS_ENDPOINT_URL_SNS")]
    pub aws_endpoint_url_sns: Option<String>,
    /// The endpoint for EventBridge only.
    #[arg(long, env = "AWS_ENDPOINT_URL_EVENTS")]
    pub aws_endpoint_url_events: Option<String>,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<Secret>,
    /// For temporary credentials.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub aws_session_token: Option<Secret>,
}

impl AwsArgs {
    /// Whether AWS can be called at all: both halves of a key are there.
    pub fn configured(&self) -> bool {
        self.aws_access_key_id.is_some() && self.aws_secret_access_key.is_some()
    }

    /// Where `service` (`sns`, `events`) answers in `region`.
    pub fn endpoint(&self, service: &str, region: &str) -> String {
        let own = match service {
            "sns" => &self.aws_endpoint_url_sns,
            _ => &self.aws_endpoint_url_events,
        };
        own.as_ref()
            .or(self.aws_endpoint_url.as_ref())
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
    }
}

/// `sluice delivery ...`: the log of notification deliveries and its dead letters.
#[derive(Debug, clap::Subcommand)]
pub enum DeliveryCommand {
    /// List deliveries, newest first: id, status, tries, rule/target, the last answer.
    List {
        /// Only these: pending, delivered or dead (the dead-letter list).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Send a dead delivery again, with a fresh count of tries.
    Replay {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}
