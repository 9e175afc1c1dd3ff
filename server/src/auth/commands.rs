//! `sluice user ...`, `sluice group ...`, `sluice key ...`, `sluice secret ...` and `sluice audit ...`:
//! set-up and checks without the UI. Users, groups and keys go through the engine's identity
//! rules, exactly as the web app's changes do.
use crate::config::{AuditCommand, GroupCommand, KeyCommand, PolicyFile, SecretCommand, StoreArgs, UserCommand};
use anyhow::Context;
use engine::audit::{AuditFilter, AuditTrail, ChainCheck};
use engine::identity::{parse_role, Identity};
use engine::{Store, StoreError};

pub(crate) async fn open(store: &StoreArgs) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&store.data_dir)
        .with_context(|| format!("could not create the data dir {}", store.data_dir.display()))?;
    let opened = Store::connect(&store.database_url()).await.context("could not open the database")?;
    Ok(opened.with_sealer(engine::secrets::Sealer::new(&store.data_dir)))
}

async fn secrets(store: &StoreArgs) -> anyhow::Result<engine::secrets::NamedSecrets> {
    Ok(engine::secrets::NamedSecrets::new(open(store).await?))
}

async fn identity(store: &StoreArgs) -> anyhow::Result<Identity> {
    Ok(Identity::new(open(store).await?))
}

pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role, password, store } => {
            let role = parse_role(&role)?;
            let generated = password.is_none();
            let password = identity(&store).await?.create_user(&name, role, password).await?;
            println!("Created user {name} with role {role}");
            if generated {
                println!("Password (shown once): {password}");
            }
        }
        UserCommand::List { store } => {
            for user in identity(&store).await?.list_users().await? {
                println!("{}\t{}", user.name, user.role);
            }
        }
        UserCommand::Update { name, role, active, store } => {
            let identity = identity(&store).await?;
            if let Some(role) = role {
                identity.set_user_role(&name, parse_role(&role)?).await?;
            }
            if let Some(active) = active {
                identity.set_user_active(&name, active).await?;
            }
            println!("Updated user {name}");
        }
        UserCommand::Remove { name, store } => {
            identity(&store).await?.delete_user(&name).await?;
            println!("Removed user {name}");
        }
        UserCommand::PutPolicy(PolicyFile { name, policy_name, file, store }) => {
            identity(&store).await?.put_user_policy(&name, &policy_name, &read_policy(&file)?).await?;
            println!("Attached policy {policy_name} to {name}");
        }
    }
    Ok(())
}

pub async fn group(command: GroupCommand) -> anyhow::Result<()> {
    match command {
        GroupCommand::Create { name, role, store } => {
            let role = role.as_deref().map(parse_role).transpose()?;
            identity(&store).await?.create_group(&name, role).await?;
            println!("Created group {name}{}", role.map(|role| format!(" with role {role}")).unwrap_or_default());
        }
        GroupCommand::AddUser { group, user, store } => {
            identity(&store).await?.add_user_to_group(&group, &user).await?;
            println!("Added {user} to {group}");
        }
        GroupCommand::RemoveUser { group, user, store } => {
            identity(&store).await?.remove_user_from_group(&group, &user).await?;
            println!("Removed {user} from {group}");
        }
        GroupCommand::PutPolicy(PolicyFile { name, policy_name, file, store }) => {
            identity(&store).await?.put_group_policy(&name, &policy_name, &read_policy(&file)?).await?;
            println!("Attached policy {policy_name} to group {name}");
        }
        GroupCommand::List { store } => {
            for group in identity(&store).await?.list_groups().await? {
                let role = group.role.map_or("-", |role| role.name());
                println!("{}\t{role}\t{}", group.name, group.members.join(","));
            }
        }
    }
    Ok(())
}

/// A policy document from a file; the engine refuses it with the parser's reason if IAM's
/// grammar is broken.
fn read_policy(file: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))
}

pub async fn key(command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create { user, store } => {
            let key = identity(&store).await?.create_access_key(&user).await?;
            println!("AccessKeyId: {}", key.access_key_id);
            println!("SecretAccessKey (shown once): {}", key.secret_access_key);
        }
        KeyCommand::List { user, store } => {
            for key in identity(&store).await?.list_access_keys(&user).await? {
                println!("{}\t{}", key.access_key_id, if key.active { "Active" } else { "Inactive" });
            }
        }
        KeyCommand::Revoke { access_key_id, store } => {
            identity(&store).await?.revoke_access_key(&access_key_id).await?;
            println!("Revoked {access_key_id}");
        }
    }
    Ok(())
}

pub async fn secret(command: SecretCommand) -> anyhow::Result<()> {
    match command {
        SecretCommand::Put { name, value_file, store } => {
            engine::secrets::validate_name(&name)?;
            let value = match &value_file {
                Some(file) => {
                    std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))?
                }
                None => std::io::read_to_string(std::io::stdin()).context("could not read the value from stdin")?,
            };
            let value = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&value);
            anyhow::ensure!(!value.is_empty(), "The secret's value is empty: give it on stdin or with --value-file.");
            let created = secrets(&store).await?.put(&name, value).await?;
            println!("{} secret {name}", if created { "Created" } else { "Updated" });
        }
        SecretCommand::List { store } => {
            for secret in secrets(&store).await?.list().await? {
                println!(
                    "{}\tcreated {}\tupdated {}",
                    secret.name,
                    model::time::rfc3339(secret.created_ms),
                    model::time::rfc3339(secret.updated_ms)
                );
            }
        }
        SecretCommand::Delete { name, store } => {
            match secrets(&store).await?.delete(&name).await {
                Err(StoreError::NotFound) => anyhow::bail!("There is no secret named {name:?}."),
                other => other?,
            }
            println!("Deleted secret {name}");
        }
    }
    Ok(())
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { store } => match AuditTrail::new(open(&store).await?).verify().await? {
            ChainCheck::Intact { records, legacy: 0, .. } => {
                println!("The audit trail is intact ({records} records, all chained under the audit key).")
            }
            ChainCheck::Intact { records, legacy, keyed_from: Some(seq) } => println!(
                "The audit trail is intact ({records} records). The keyed chain starts at record {seq}; the {legacy} records before \
                 it were written by an older Sluice with an unkeyed hash, which anyone with database access could have re-chained."
            ),
            ChainCheck::Intact { records, keyed_from: None, .. } => {
                println!("The audit trail is intact ({records} records, none chained under the audit key yet).")
            }
            ChainCheck::Broken { seq, reason } => anyhow::bail!("The audit trail is broken at record {seq}: {reason}."),
        },
        AuditCommand::Export { store } => {
            let mut records = AuditTrail::new(open(&store).await?).list(&AuditFilter::default()).await?;
            records.reverse();
            for record in records {
                println!("{}", record.record);
            }
        }
    }
    Ok(())
}

/// `sluice partner-client`: the token is printed once; only its hash is kept.
pub async fn partner_client(store: &StoreArgs, pipeline: &str, stage: &str, action: &str) -> anyhow::Result<()> {
    let clients = engine::jobs::PartnerClients::new(open(store).await?);
    let client = clients.create(pipeline, stage, action).await?;
    println!("{}", serde_json::json!({ "clientId": client.client_id, "clientToken": client.client_token }));
    eprintln!("Give both to the partner; the token is not shown again (a new call replaces the client).");
    Ok(())
}
