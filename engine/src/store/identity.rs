//! Users, their access keys, their inline policies and their browser sessions. Hashing, key
//! generation and policy evaluation live in `crate::identity`; this layer only keeps the rows.
use super::{conflict_on_unique, found, Result, Store, StoreError};
use crate::identity::InlinePolicy;
use crate::now_ms;
use crate::secrets::context;
use sqlx::Row;

/// A user's row; the password hash never leaves the engine (`identity::User` has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub password_hash: String,
    /// A built-in role name (Admin, Editor, Approver, Viewer).
    pub role: String,
    /// False once an admin disabled the user: no sign-in, no session, no signed request.
    pub active: bool,
    /// The password was chosen for the user (the first admin's generated one): the web app lets
    /// them do nothing else until they change it.
    pub must_change_password: bool,
    pub email: Option<String>,
    pub created_ms: i64,
}

/// An access key with its owner; `active` is false once the key is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub user_name: String,
    pub secret_access_key: String,
    pub active: bool,
    pub created_ms: i64,
}

impl Store {
    /// Adds a user; `Conflict` if the name is taken.
    pub(crate) async fn create_user(&self, name: &str, password_hash: &str, role: &str) -> Result<()> {
        sqlx::query("insert into app_user (user_name, password_hash, role, created_ms) values ($1, $2, $3, $4)")
            .bind(name)
            .bind(password_hash)
            .bind(role)
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map_err(conflict_on_unique)?;
        Ok(())
    }

    pub(crate) async fn user(&self, name: &str) -> Result<UserRecord> {
        let row = sqlx::query("select user_name, password_hash, role, status, must_change_password, email, created_ms from app_user where user_name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user_of(&row)
    }

    /// Every user in name order.
    pub(crate) async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query("select user_name, password_hash, role, status, must_change_password, email, created_ms from app_user order by user_name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_of).collect()
    }

    /// Replaces a user's password, lifting any demand to change it, and ends every session of
    /// theirs but `keep_session` (the token hash of the browser that changed it): whoever signed
    /// in with the old password is signed out.
    pub(crate) async fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        found(
            sqlx::query("update app_user set password_hash = $1, must_change_password = 0 where user_name = $2")
                .bind(password_hash)
                .bind(name)
                .execute(&mut *tx)
                .await?,
        )?;
        sqlx::query("delete from app_session where user_name = $1 and token_hash <> $2")
            .bind(name)
            .bind(keep_session.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes the user change their password at their next sign-in, before anything else.
    pub(crate) async fn require_password_change(&self, name: &str) -> Result<()> {
        found(
            sqlx::query("update app_user set must_change_password = 1 where user_name = $1")
                .bind(name)
                .execute(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn set_user_role(&self, name: &str, role: &str) -> Result<()> {
        self.update_user(name, "role", role).await
    }

    /// Enables or disables a user; a disabled user's sessions end with it.
    pub(crate) async fn set_user_active(&self, name: &str, active: bool) -> Result<()> {
        self.update_user(name, "status", if active { "Active" } else { "Inactive" }).await?;
        if !active {
            sqlx::query("delete from app_session where user_name = $1").bind(name).execute(&self.pool).await?;
        }
        Ok(())
    }

    pub(crate) async fn set_user_email(&self, name: &str, email: Option<&str>) -> Result<()> {
        found(
            sqlx::query("update app_user set email = $1 where user_name = $2")
                .bind(email)
                .bind(name)
                .execute(&self.pool)
                .await?,
        )
    }

    /// `column` is one of this module's own names, never user input.
    async fn update_user(&self, name: &str, column: &str, value: &str) -> Result<()> {
        found(
            sqlx::query(&format!("update app_user set {column} = $1 where user_name = $2"))
                .bind(value)
                .bind(name)
                .execute(&self.pool)
                .await?,
        )
    }

    /// Removes a user with their keys, policies, sessions and group memberships.
    pub(crate) async fn delete_user(&self, name: &str) -> Result<()> {
        found(sqlx::query("delete from app_user where user_name = $1").bind(name).execute(&self.pool).await?)
    }

    /// Stores a new key for an existing user, its secret sealed; `NotFound` if the user does not exist.
    pub(crate) async fn create_access_key(&self, user_name: &str, access_key_id: &str, secret: &str) -> Result<()> {
        self.user(user_name).await?;
        let sealed = self.sealer()?.seal(&context::access_key(access_key_id), secret)?;
        sqlx::query(
            "insert into access_key (access_key_id, user_name, secret_access_key, status, created_ms)
             values ($1, $2, $3, 'Active', $4)",
        )
        .bind(access_key_id)
        .bind(user_name)
        .bind(&sealed)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(conflict_on_unique)?;
        Ok(())
    }

    pub(crate) async fn access_key(&self, access_key_id: &str) -> Result<AccessKeyRecord> {
        let row = sqlx::query(
            "select access_key_id, user_name, secret_access_key, status, created_ms from access_key where access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut key = access_key_of(&row)?;
        // Keys created before encryption at rest are plain and open as themselves.
        key.secret_access_key = match crate::secrets::is_sealed(&key.secret_access_key) {
            true => self.sealer()?.open(&context::access_key(access_key_id), &key.secret_access_key)?,
            false => key.secret_access_key,
        };
        Ok(key)
    }

    /// A user's keys, oldest first; their secrets as stored (sealed), since listing never needs them.
    pub(crate) async fn list_access_keys(&self, user_name: &str) -> Result<Vec<AccessKeyRecord>> {
        let rows = sqlx::query(
            "select access_key_id, user_name, secret_access_key, status, created_ms from access_key
             where user_name = $1 order by created_ms, access_key_id",
        )
        .bind(user_name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(access_key_of).collect()
    }

    /// Revokes a key for good; requests signed with it are refused from then on.
    pub(crate) async fn revoke_access_key(&self, access_key_id: &str) -> Result<()> {
        found(
            sqlx::query("update access_key set status = 'Inactive' where access_key_id = $1")
                .bind(access_key_id)
                .execute(&self.pool)
                .await?,
        )
    }

    /// Adds or replaces one of a user's inline policies.
    pub(crate) async fn put_user_policy(&self, user_name: &str, policy_name: &str, document: &str) -> Result<()> {
        self.user(user_name).await?;
        sqlx::query(
            "insert into user_policy (user_name, policy_name, document) values ($1, $2, $3)
             on conflict (user_name, policy_name) do update set document = excluded.document",
        )
        .bind(user_name)
        .bind(policy_name)
        .bind(document)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn delete_user_policy(&self, user_name: &str, policy_name: &str) -> Result<()> {
        found(
            sqlx::query("delete from user_policy where user_name = $1 and policy_name = $2")
                .bind(user_name)
                .bind(policy_name)
                .execute(&self.pool)
                .await?,
        )
    }

    pub(crate) async fn user_policies(&self, user_name: &str) -> Result<Vec<InlinePolicy>> {
        let rows =
            sqlx::query("select policy_name, document from user_policy where user_name = $1 order by policy_name")
                .bind(user_name)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok(InlinePolicy { name: row.try_get("policy_name")?, document: row.try_get("document")? }))
            .collect()
    }
}

fn user_of(row: &sqlx::any::AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        name: row.try_get("user_name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        active: row.try_get::<String, _>("status")? == "Active",
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        email: row.try_get("email")?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn access_key_of(row: &sqlx::any::AnyRow) -> Result<AccessKeyRecord> {
    let status: String = row.try_get("status")?;
    Ok(AccessKeyRecord {
        access_key_id: row.try_get("access_key_id")?,
        user_name: row.try_get("user_name")?,
        secret_access_key: row.try_get("secret_access_key")?,
        active: status == "Active",
        created_ms: row.try_get("created_ms")?,
    })
}

impl Store {
    /// Records a browser session under the hash of its token.
    pub(crate) async fn create_session(&self, token_hash: &str, user_name: &str, expires_ms: i64) -> Result<()> {
        sqlx::query("insert into app_session (token_hash, user_name, created_ms, expires_ms) values ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_name)
            .bind(now_ms())
            .bind(expires_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user of a session that has not expired.
    pub(crate) async fn session_user(&self, token_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("select user_name from app_session where token_hash = $1 and expires_ms > $2")
            .bind(token_hash)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("user_name")).transpose()?)
    }

    /// Ends a session (sign-out); expired sessions of anyone go too.
    pub(crate) async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("delete from app_session where token_hash = $1 or expires_ms <= $2")
            .bind(token_hash)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
