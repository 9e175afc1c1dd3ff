//! Identity and permissions: who is calling (SigV4 access keys on the API) and whether the
//! policies of their role and their inline policies allow what they ask.
pub mod accounts;
pub mod audit;
pub mod commands;
pub mod operations;
pub mod policy;
pub mod resources;
pub mod secrets;
pub mod session;
pub mod sigv4;
pub mod throttle;

use crate::api::ApiError;
use engine::{Account, Store, StoreError};
use policy::{Decision, Policy, Role};

/// Sluice's own IAM action for reading the audit trail (only Admin's `*` grants it).
pub const AUDIT_ACTION: &str = "sluice:ListAuditRecords";

/// The authenticated principal of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_name: String,
    /// `arn:aws:iam::<account>:user/<name>`: what `lastChangedBy` and the audit trail record.
    pub arn: String,
    /// The key that signed the request.
    pub access_key_id: Option<String>,
    /// For a browser, its session: the first 16 hex digits of the token's hash, which name the
    /// session in the audit trail without being able to sign anyone in.
    pub session_id: Option<String>,
    /// For a browser, the hash of its session token: long-lived answers (event streams) check
    /// that the session still holds. Never recorded: it names the session in the store.
    session_hash: Option<String>,
    /// The user's password was chosen for them: the web app allows nothing else until they change it.
    pub must_change_password: bool,
    policies: Vec<Policy>,
}

impl Caller {
    /// Loads the user's policies: their role, inline policies and self-service rights, then each
    /// of their groups' role and inline policies. A stored policy that no longer parses is an error
    /// rather than silently granting less or more; a disabled user is `NotFound`.
    pub async fn load(
        store: &Store,
        account: &Account,
        user_name: &str,
        access_key_id: Option<String>,
    ) -> Result<Caller, StoreError> {
        let user = store.user(user_name).await?;
        if !user.active {
            return Err(StoreError::NotFound);
        }
        let arn = user_arn(account, user_name);
        let mut policies = vec![role_policy(&user.role, &format!("user {user_name}"))?, policy::self_service(&arn)];
        policies.extend(parsed(store.user_policies(user_name).await?, &format!("user {user_name}"))?);
        for group in store.groups_of_user(user_name).await? {
            let owner = format!("group {}", group.name);
            if let Some(role) = &group.role {
                policies.push(role_policy(role, &owner)?);
            }
            policies.extend(parsed(store.group_policies(&group.name).await?, &owner)?);
        }
        Ok(Caller {
            arn,
            user_name: user_name.to_owned(),
            access_key_id,
            session_id: None,
            session_hash: None,
            must_change_password: user.must_change_password,
            policies,
        })
    }

    /// The same caller, signed in by the browser session whose token hashes to `token_hash`.
    pub fn with_session(self, token_hash: String) -> Caller {
        Caller { session_id: Some(token_hash[..16].to_owned()), session_hash: Some(token_hash), ..self }
    }

    pub fn session_hash(&self) -> Option<&str> {
        self.session_hash.as_deref()
    }

    /// Whether what the caller authenticated with still holds: the browser session (not signed
    /// out, expired or ended by a password change) or the access key (not revoked), and the user
    /// (not disabled or deleted).
    pub async fn still_valid(&self, store: &Store) -> Result<bool, StoreError> {
        if let Some(token_hash) = &self.session_hash {
            if store.session_user(token_hash).await?.as_deref() != Some(self.user_name.as_str()) {
                return Ok(false);
            }
        } else if let Some(key_id) = &self.access_key_id {
            match store.access_key(key_id).await {
                Ok(key) if key.active => {}
                Ok(_) | Err(StoreError::NotFound) => return Ok(false),
                Err(err) => return Err(err),
            }
        }
        match store.user(&self.user_name).await {
            Ok(user) => Ok(user.active),
            Err(StoreError::NotFound) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Whether the caller may do `action` on `resource`.
    pub fn may(&self, action: &str, resource: &str) -> bool {
        policy::decide_all(&self.policies, action, resource) == Decision::Allow
    }

    /// The caller as the engine checks them: what a pipeline they save or start may read.
    pub fn principal(&self) -> engine::Principal {
        let policies = self.policies.clone();
        engine::Principal::new(self.arn.clone(), move |action, resource| {
            policy::decide_all(&policies, action, resource) == Decision::Allow
        })
    }

    /// `may`, as the API's `AccessDeniedException` in IAM's words.
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), ApiError> {
        match policy::decide_all(&self.policies, action, resource) {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny => {
                Err(self.denied(action, resource, "with an explicit deny in an identity-based policy"))
            }
            Decision::ImplicitDeny => Err(self.denied(
                action,
                resource,
                &format!("because no identity-based policy allows the {action} action"),
            )),
        }
    }

    fn denied(&self, action: &str, resource: &str, why: &str) -> ApiError {
        ApiError::new(
            "AccessDeniedException",
            format!("User: {} is not authorized to perform: {action} on resource: {resource} {why}", self.arn),
        )
    }
}

pub fn user_arn(account: &Account, user_name: &str) -> String {
    format!("arn:aws:iam::{}:user/{user_name}", account.id)
}

pub fn group_arn(account: &Account, group_name: &str) -> String {
    format!("arn:aws:iam::{}:group/{group_name}", account.id)
}

/// The policy of a stored role name; `owner` ("user alice", "group ops") names it in errors.
fn role_policy(name: &str, owner: &str) -> Result<Policy, StoreError> {
    let role = Role::parse(name).ok_or_else(|| StoreError::Corrupt(format!("{owner} has unknown role {name:?}")))?;
    Ok(role.policy())
}

fn parsed(stored: Vec<engine::store::identity::UserPolicy>, owner: &str) -> Result<Vec<Policy>, StoreError> {
    stored
        .into_iter()
        .map(|stored| {
            Policy::parse(&stored.document)
                .map_err(|err| StoreError::Corrupt(format!("policy {} of {owner}: {err}", stored.name)))
        })
        .collect()
}

/// Checks a CodePipeline API request's signature and returns who signed it.
pub async fn authenticate(
    store: &Store,
    account: &Account,
    request: &sigv4::SignedRequest<'_>,
) -> Result<Caller, ApiError> {
    authenticate_payload(store, account, request, &sigv4::payload_hash(request.body)).await
}

/// `authenticate` for a request whose body is streamed: the signature covers `payload_hash`,
/// which the caller must check against the body itself.
pub async fn authenticate_payload(
    store: &Store,
    account: &Account,
    request: &sigv4::SignedRequest<'_>,
    payload_hash: &str,
) -> Result<Caller, ApiError> {
    let refuse = |err: sigv4::SigV4Error| ApiError::new(err.exception(), err.message());
    let claim = sigv4::parse_authorization(request.headers).map_err(refuse)?;
    let unrecognized =
        || ApiError::new("UnrecognizedClientException", "The security token included in the request is invalid.");
    let key = match store.access_key(&claim.access_key_id).await {
        Ok(key) if key.active => key,
        Ok(_) | Err(StoreError::NotFound) => return Err(unrecognized()),
        Err(err) => return Err(err.into()),
    };
    let now = engine::store::now_ms() / 1000;
    sigv4::verify(&claim, &key.secret_access_key, &account.region, request, payload_hash, now).map_err(refuse)?;
    match Caller::load(store, account, &key.user_name, Some(key.access_key_id)).await {
        Err(StoreError::NotFound) => Err(unrecognized()),
        loaded => Ok(loaded?),
    }
}

/// A new user; `password` or a generated one, which is returned so it can be shown once.
pub async fn create_user(store: &Store, name: &str, role: Role, password: Option<String>) -> anyhow::Result<String> {
    check_iam_name("user", name)?;
    let password = password.unwrap_or_else(secrets::new_password);
    let hash = secrets::hash_password(&password)?;
    match store.create_user(name, &hash, role.name()).await {
        Err(StoreError::Conflict) => anyhow::bail!("A user named {name:?} already exists."),
        other => other?,
    }
    Ok(password)
}

/// A new group, named by IAM's rules as users are.
pub async fn create_group(store: &Store, name: &str, role: Option<Role>) -> anyhow::Result<()> {
    check_iam_name("group", name)?;
    match store.create_group(name, role.map(Role::name)).await {
        Err(StoreError::Conflict) => anyhow::bail!("A group named {name:?} already exists."),
        other => Ok(other?),
    }
}

fn check_iam_name(kind: &str, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)) {
        anyhow::bail!("A {kind} name is 1 to 64 letters, digits and +=,.@_- characters, as in IAM; {name:?} is not.");
    }
    Ok(())
}

/// A new access key for an existing user: `(access key id, secret)`, the secret to be shown once.
pub async fn create_access_key(store: &Store, user_name: &str) -> anyhow::Result<(String, String)> {
    let (id, secret) = (secrets::new_access_key_id(), secrets::new_secret_access_key());
    match store.create_access_key(user_name, &id, &secret).await {
        Err(StoreError::NotFound) => anyhow::bail!("There is no user named {user_name:?}."),
        other => other?,
    }
    Ok((id, secret))
}

/// On an empty store, creates the first admin so nothing is ever open; returns the password to
/// print when it was generated (`None` when it came from the operator or users already exist).
pub async fn ensure_admin(store: &Store, given_password: Option<String>) -> anyhow::Result<Option<String>> {
    if !store.list_users().await?.is_empty() {
        return Ok(None);
    }
    let generated = given_password.is_none();
    let password = create_user(store, "admin", Role::Admin, given_password).await?;
    if generated {
        // Printed to a console or a log: whoever reads it later must not keep using it.
        store.require_password_change("admin").await?;
    }
    Ok(generated.then_some(password))
}
