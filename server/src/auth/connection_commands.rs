//! `sluice connection ...`: what only an operator of the server may do to connections, giving
//! them their tokens, which no API takes or returns.
use crate::config::{AccountArgs, ConnectionCommand};
use anyhow::Context;
use engine::connections::{webhook, Connections, Credential, Namespace, ProviderType};

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
        ConnectionCommand::Webhook { connection, public_url, account, store } => {
            let (connection, secret) = connections(&store, account).await?.webhook_secret(&connection).await?;
            println!("URL:          {}", webhook::connection_webhook_url(&public_url, &connection.id));
            println!("Secret:       {secret}");
            println!("Content type: application/json");
            println!("{}", webhook_setup(connection.provider_type));
        }
        ConnectionCommand::Deliveries { connection, account, store } => {
            let (_, deliveries) = connections(&store, account).await?.deliveries(&connection).await?;
            for delivery in deliveries {
                let runs: Vec<String> = delivery
                    .executions
                    .iter()
                    .map(|run| format!("{}/{}", run.pipeline_name, run.pipeline_execution_id))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    model::time::rfc3339(delivery.received_ms),
                    delivery.event,
                    delivery.host_delivery_id.as_deref().unwrap_or("-"),
                    delivery.outcome,
                    runs.join(",")
                );
            }
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

/// Where on the host the webhook is added, and which events to send.
fn webhook_setup(provider: ProviderType) -> &'static str {
    match provider {
        ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => {
            "On GitHub: the repository's Settings > Webhooks > Add webhook; Payload URL and Secret as above, \
             events: pushes and pull requests."
        }
        ProviderType::GitLab | ProviderType::GitLabSelfManaged => {
            "On GitLab: the project's Settings > Webhooks; URL, and the Secret as the secret token; \
             triggers: push events, tag push events, merge request events."
        }
        ProviderType::Bitbucket => {
            "On Bitbucket: the repository's Repository settings > Webhooks; URL and Secret as above; \
             triggers: repository push, pull request created, updated, merged and declined."
        }
    }
}
