//! The web app's way into user and key management: `app::auth::Accounts`, done with the same
//! functions as the CLI (IAM naming rules, argon2id, key generation, the policy parser).
use super::policy::{Policy, Role};
use super::secrets;
use app::auth::{Accounts, Pending};
use engine::{Store, StoreError};

pub struct StoreAccounts(pub Store);

/// A message fit for the page: what went wrong with the request, not with the database.
fn shown(err: anyhow::Error) -> String {
    match err.downcast_ref::<StoreError>() {
        Some(store_error) => {
            tracing::error!(error = %store_error, "account change failed");
            "The database could not complete the request; see the server log.".to_owned()
        }
        None => err.to_string(),
    }
}

fn role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| format!("{name:?} is not a role: use Admin, Editor, Approver or Viewer."))
}

impl Accounts for StoreAccounts {
    fn create_user<'a>(&'a self, name: &'a str, role_name: &'a str, password: Option<String>) -> Pending<'a, String> {
        Box::pin(async move { super::create_user(&self.0, name, role(role_name)?, password).await.map_err(shown) })
    }

    fn change_password<'a>(
        &'a self,
        name: &'a str,
        current: Option<String>,
        new: String,
        keep_session: Option<String>,
    ) -> Pending<'a, ()> {
        Box::pin(async move {
            if new.chars().count() < 8 {
                return Err("A password has at least 8 characters.".to_owned());
            }
            if current.as_ref() == Some(&new) {
                return Err("The new password must differ from the current one.".to_owned());
            }
            let user = self.0.user(name).await.map_err(|err| shown(err.into()))?;
            if let Some(current) = current {
                if !secrets::check_password(current, user.password_hash).await {
                    return Err("The current password is wrong.".to_owned());
                }
            }
            let hash = secrets::on_argon2_slot(move || secrets::hash_password(&new))
                .await
                .ok_or("Could not hash the password.")?
                .map_err(shown)?;
            self.0.set_password_hash(name, &hash, keep_session.as_deref()).await.map_err(|err| shown(err.into()))
        })
    }

    fn create_access_key<'a>(&'a self, user_name: &'a str) -> Pending<'a, (String, String)> {
        Box::pin(async move { super::create_access_key(&self.0, user_name).await.map_err(shown) })
    }

    fn create_group<'a>(&'a self, name: &'a str, role_name: Option<&'a str>) -> Pending<'a, ()> {
        Box::pin(
            async move { super::create_group(&self.0, name, role_name.map(role).transpose()?).await.map_err(shown) },
        )
    }

    fn role_name(&self, name: &str) -> Result<&'static str, String> {
        role(name).map(Role::name)
    }

    fn check_policy(&self, document: &str) -> Result<(), String> {
        Policy::parse(document).map(drop)
    }
}
