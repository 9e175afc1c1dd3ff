//! `sluice connection ...`: what only an operator of the server may do to connections, giving
//! them their tokens, which no API takes or returns.
use crate::config::{AccountArgs, ConnectionCommand};
use anyhow::Context;
use engine::connections::{Connections, Credential, Namespace};

async fn connections(store: &crate::config::StoreArgs, account: AccountArgs) -> anyhow::Result<Connections> {
    let store = super::commands::open(store).await?;
    Ok(Connections::new(store, engine::Account { id: account.account_id, region: account.region }))
}

pub async fn connection(command: ConnectionCommand) -> anyhow::Result<()> {
    match command {
        ConnectionCommand::SetToken { connection, token_file, public, account, store } => {
            let credential = match (public, &token_file) {
                (true, _) => Credential::Public,
                (false, Some(file)) => Credential::Token(
                    std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))?,
                ),
                (false, None) => Credential::Token(
                    std::io::read_to_string(std::io::stdin()).context("could not read the token from stdin")?,
                ),
            };
            let updated = connections(&store, account).await?.set_credential(&connection, credential).await?;
            let how = if updated.has_token { "with its token" } else { "without a token (public repositories)" };
            println!("Connection {} is {} {how}", updated.name, updated.status.as_str());
        }
        ConnectionCommand::List { account, store } => {
            let connections = connections(&store, account).await?;
            for connection in connections.list(None, None).await? {
                let token = if connection.has_token { "token" } else { "no token" };
                let arn = connections.connection_arn(Namespace::CodeConnections, &connection.id);
                println!(
                    "{}\t{}\t{}\t{token}\t{arn}",
                    connection.name,
                    connection.provider_type.as_str(),
                    connection.status.as_str()
                );
            }
        }
    }
    Ok(())
}
