//! The `sluice` binary: parses the command line and hands over to the library.
use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = server::config::Cli::parse();
    // Before any other thread exists: what pipeline code or a core dump could otherwise find.
    server::harden_process();
    server::init_tracing();
    tokio::runtime::Runtime::new()?.block_on(run(cli))
}

async fn run(cli: server::config::Cli) -> anyhow::Result<()> {
    match cli.command {
        server::config::Command::Serve(config) => server::serve(*config).await,
        server::config::Command::Kms(command) => server::kms(command),
        server::config::Command::User(command) => server::auth::commands::user(command).await,
        server::config::Command::Key(command) => server::auth::commands::key(command).await,
        server::config::Command::Group(command) => server::auth::commands::group(command).await,
        server::config::Command::Audit(command) => server::auth::commands::audit(command).await,
        server::config::Command::Secret(command) => server::auth::commands::secret(command).await,
        server::config::Command::Delivery(command) => server::deliveries::command(command).await,
        server::config::Command::Connection(command) => server::auth::connection_commands::connection(command).await,
        server::config::Command::PartnerClient { pipeline, stage, action, store } => {
            server::auth::commands::partner_client(&store, &pipeline, &stage, &action).await
        }
    }
}
