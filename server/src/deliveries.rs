//! `sluice delivery list|replay`: the notification delivery log and its dead letters, for admins.
use crate::config::DeliveryCommand;
use engine::notify::{DeliveryLog, DeliveryStatus};

pub async fn command(command: DeliveryCommand) -> anyhow::Result<()> {
    match command {
        DeliveryCommand::List { status, limit, store } => {
            let status = match status.as_deref() {
                None => None,
                Some(text) => Some(
                    DeliveryStatus::from_wire(&text.to_ascii_uppercase())
                        .ok_or_else(|| anyhow::anyhow!("--status {text:?} is not pending, delivered or dead"))?,
                ),
            };
            let log = DeliveryLog::new(crate::auth::commands::open(&store).await?);
            for d in log.list(status, limit).await? {
                let answer = d.last_response.as_deref().unwrap_or("-").replace('\n', " ");
                println!(
                    "{}\t{}\t{} tries\t{}/{}\t{}\t{}",
                    d.id,
                    d.status.as_str(),
                    d.attempts,
                    d.rule_name,
                    d.target_id,
                    model::time::rfc3339(d.updated_ms),
                    answer
                );
            }
        }
        DeliveryCommand::Replay { id, store } => {
            DeliveryLog::new(crate::auth::commands::open(&store).await?).replay(id).await?;
            println!("Delivery {id} will be sent again");
        }
    }
    Ok(())
}
