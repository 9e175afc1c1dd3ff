//! Where notifications' e-mails go: the SMTP server and the sender.
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
}

impl Default for NotifyArgs {
    fn default() -> Self {
        NotifyArgs { smtp_url: None, mail_from: DEFAULT_MAIL_FROM.into() }
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
