//! Connections to outside git hosts, as CodeConnections (formerly CodeStar Connections) keeps
//! them: a connection names a provider (GitHub, GitLab, Bitbucket, or a self-managed host's
//! endpoint) and, once an administrator gives it one, an access token. On AWS a connection
//! becomes AVAILABLE after an OAuth handshake in the console; in Sluice it is PENDING until
//! `sluice connection set-token` gives it a token (sealed at rest under the master key, never
//! returned by any API) or marks it public (no token: public repositories only).
//!
//! The CodeStarSourceConnection source action fetches `<host URL>/<FullRepositoryId>.git`
//! through a connection (`remote`); using one is the IAM action `UseConnection`.
pub mod check;
pub mod remote;
pub mod webhook;

pub use check::{Namespace, ProviderType};
pub use remote::Remote;

use crate::store::Tag;
use crate::{now_ms, Account, EngineError, Refusal, Result, Store, StoreError};
use check::{check_endpoint, check_name, id_of_arn, invalid};

/// Sluice's own IAM action for a host whose endpoint is a `file://` folder of the server: it
/// could read any repository the server can (the hosted ones included), so only Admins have it.
pub const CREATE_LOCAL_HOST_ACTION: &str = "sluice:CreateLocalHost";

/// How many connections, and hosts, an account may have (AWS's default quotas).
pub const MAX_CONNECTIONS: usize = 250;
pub const MAX_HOSTS: usize = 50;

/// A connection's state, as CodeConnections reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Made, but no token given yet: actions using it fail.
    Pending,
    /// A token was given (or the connection was made public).
    Available,
    /// The connection's host is gone.
    Error,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "PENDING",
            ConnectionStatus::Available => "AVAILABLE",
            ConnectionStatus::Error => "ERROR",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "PENDING" => Some(ConnectionStatus::Pending),
            "AVAILABLE" => Some(ConnectionStatus::Available),
            "ERROR" => Some(ConnectionStatus::Error),
            _ => None,
        }
    }
}

/// A connection as the API shows it: never its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub provider_type: ProviderType,
    pub host_id: Option<String>,
    pub status: ConnectionStatus,
    /// Whether a token is kept; false for a PENDING or public connection.
    pub has_token: bool,
    pub tags: Vec<Tag>,
    pub created_ms: i64,
}

/// The infrastructure a self-managed provider runs on: where its repositories are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: String,
    pub name: String,
    pub provider_type: ProviderType,
    /// Without a trailing slash.
    pub endpoint: String,
    pub tags: Vec<Tag>,
    pub created_ms: i64,
}

/// What a token is given as: a value to seal, or none at all for public repositories.
#[derive(Debug, Clone)]
pub enum Credential {
    Token(String),
    Public,
}

/// The connections and hosts of one account. Cheap to clone; the CLI makes one over a store.
#[derive(Debug, Clone)]
pub struct Connections {
    store: Store,
    account: Account,
}

impl Connections {
    pub fn new(store: Store, account: Account) -> Self {
        Connections { store, account }
    }

    pub fn connection_arn(&self, namespace: Namespace, id: &str) -> String {
        format!("arn:aws:{}:{}:{}:connection/{id}", namespace.as_str(), self.account.region, self.account.id)
    }

    pub fn host_arn(&self, namespace: Namespace, id: &str) -> String {
        format!("arn:aws:{}:{}:{}:host/{id}", namespace.as_str(), self.account.region, self.account.id)
    }

    /// CreateConnection: a PENDING connection. A self-managed provider needs `host_arn`, and
    /// takes its provider type from the host.
    pub async fn create(
        &self,
        name: &str,
        provider_type: Option<&str>,
        host_arn: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<Connection> {
        check_name("connectionName", name, 32)?;
        let host = match host_arn {
            Some(arn) => Some(self.host(arn).await?),
            None => None,
        };
        let provider_type = match (provider_type, &host) {
            (Some(given), _) => ProviderType::parse(given)?,
            (None, Some(host)) => host.provider_type,
            (None, None) => return Err(invalid("Either ProviderType or HostArn is required.")),
        };
        match (&host, provider_type.public_url()) {
            (Some(host), _) if host.provider_type != provider_type => {
                return Err(invalid(format!(
                    "ProviderType {} does not match the host's provider type {}.",
                    provider_type.as_str(),
                    host.provider_type.as_str()
                )))
            }
            (None, None) => {
                return Err(invalid(format!("A {} connection needs the HostArn of its host.", provider_type.as_str())))
            }
            _ => {}
        }
        if self.store.connections().await?.len() >= MAX_CONNECTIONS {
            return Err(limit(format!("This account already has {MAX_CONNECTIONS} connections.")));
        }
        let now = now_ms();
        let connection = Connection {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            provider_type,
            host_id: host.map(|h| h.id),
            status: ConnectionStatus::Pending,
            has_token: false,
            tags,
            created_ms: now,
        };
        match self.store.insert_connection(&connection).await {
            Err(StoreError::Conflict) => Err(EngineError::refused(
                Refusal::Conflict,
                format!("A connection named {name:?} already exists in this account."),
            )),
            other => other.map(|()| connection).map_err(Into::into),
        }
    }

    /// GetConnection, by ARN in either namespace.
    pub async fn get(&self, arn: &str) -> Result<Connection> {
        let id = id_of_arn(arn, "connection", &self.account).ok_or_else(|| connection_not_found(arn))?;
        let connection = self.store.connection(id).await?.ok_or_else(|| connection_not_found(arn))?;
        self.with_host_state(connection).await
    }

    /// A connection named by its name, its ARN or its id (the CLI takes any).
    pub async fn find(&self, name_or_arn: &str) -> Result<Connection> {
        if name_or_arn.starts_with("arn:") {
            return self.get(name_or_arn).await;
        }
        if uuid::Uuid::parse_str(name_or_arn).is_ok() {
            if let Some(connection) = self.store.connection(name_or_arn).await? {
                return self.with_host_state(connection).await;
            }
        }
        let all = self.store.connections().await?;
        let found = all.into_iter().find(|c| c.name == name_or_arn);
        found.ok_or_else(|| connection_not_found(name_or_arn))
    }

    /// ListConnections: every connection, oldest first, filtered by provider type and host.
    pub async fn list(&self, provider_type: Option<&str>, host_arn: Option<&str>) -> Result<Vec<Connection>> {
        let provider_type = provider_type.map(ProviderType::parse).transpose()?;
        let host_id = host_arn.map(|arn| id_of_arn(arn, "host", &self.account).unwrap_or("-"));
        let mut found = Vec::new();
        for connection in self.store.connections().await? {
            let wanted = provider_type.is_none_or(|p| p == connection.provider_type)
                && host_id.is_none_or(|h| connection.host_id.as_deref() == Some(h));
            if wanted {
                found.push(self.with_host_state(connection).await?);
            }
        }
        Ok(found)
    }

    /// DeleteConnection; `ResourceNotFound` when there is none.
    pub async fn delete(&self, arn: &str) -> Result<()> {
        let id = id_of_arn(arn, "connection", &self.account).ok_or_else(|| connection_not_found(arn))?;
        match self.store.delete_connection(id).await {
            Err(StoreError::NotFound) => Err(connection_not_found(arn)),
            other => Ok(other?),
        }
    }

    /// Gives a connection its token (sealed, bound to the connection) or makes it public; it is
    /// AVAILABLE from then on. Only the CLI calls this: no API returns or takes a token.
    pub async fn set_credential(&self, name_or_arn: &str, credential: Credential) -> Result<Connection> {
        let connection = self.find(name_or_arn).await?;
        let token = match &credential {
            Credential::Token(token) => Some(token.trim()),
            Credential::Public => None,
        };
        match token {
            Some("") => return Err(invalid("The token is empty.")),
            Some(token) if token.chars().any(|c| c.is_control()) => {
                return Err(invalid("The token must be one line without control characters."))
            }
            _ => {}
        }
        self.store.set_connection_token(&connection.id, token).await?;
        self.find(&connection.name).await
    }

    /// CreateHost by `by`: hosts are AVAILABLE at once (Sluice needs no VPC set-up).
    pub async fn create_host(
        &self,
        name: &str,
        provider_type: &str,
        endpoint: &str,
        tags: Vec<Tag>,
        by: &crate::Principal,
    ) -> Result<Host> {
        check_name("name", name, 64)?;
        let provider_type = ProviderType::parse(provider_type)?;
        if provider_type.public_url().is_some() {
            return Err(invalid(format!(
                "Provider type {} needs no host; hosts are for GitHubEnterpriseServer and GitLabSelfManaged.",
                provider_type.as_str()
            )));
        }
        let endpoint = check_endpoint(endpoint)?;
        if endpoint.starts_with("file:") && !by.may(CREATE_LOCAL_HOST_ACTION, "*") {
            return Err(EngineError::refused(
                Refusal::NotAuthorized,
                format!(
                    "{} is not authorized to perform: {CREATE_LOCAL_HOST_ACTION} on resource: * (a file:// endpoint)",
                    by.arn
                ),
            ));
        }
        if self.store.connection_hosts().await?.len() >= MAX_HOSTS {
            return Err(limit(format!("This account already has {MAX_HOSTS} hosts.")));
        }
        let host = Host {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            provider_type,
            endpoint,
            tags,
            created_ms: now_ms(),
        };
        self.store.insert_connection_host(&host).await?;
        Ok(host)
    }

    /// GetHost, by ARN in either namespace.
    pub async fn host(&self, arn: &str) -> Result<Host> {
        let id = id_of_arn(arn, "host", &self.account).ok_or_else(|| host_not_found(arn))?;
        self.store.connection_host(id).await?.ok_or_else(|| host_not_found(arn))
    }

    /// ListHosts, oldest first.
    pub async fn hosts(&self) -> Result<Vec<Host>> {
        Ok(self.store.connection_hosts().await?)
    }

    /// DeleteHost: refused while connections use it, as on AWS.
    pub async fn delete_host(&self, arn: &str) -> Result<()> {
        let host = self.host(arn).await?;
        let users = self.store.connections().await?.into_iter().filter(|c| c.host_id.as_deref() == Some(&host.id));
        if let Some(connection) = users.into_iter().next() {
            return Err(EngineError::refused(
                Refusal::Conflict,
                format!("Host {arn} is used by connection {:?}; delete its connections first.", connection.name),
            ));
        }
        Ok(self.store.delete_connection_host(&host.id).await?)
    }

    /// A connection whose host was deleted (by hand in the database) is in ERROR.
    async fn with_host_state(&self, mut connection: Connection) -> Result<Connection> {
        if let Some(host_id) = &connection.host_id {
            if self.store.connection_host(host_id).await?.is_none() {
                connection.status = ConnectionStatus::Error;
            }
        }
        Ok(connection)
    }
}

fn limit(message: String) -> EngineError {
    EngineError::refused(Refusal::LimitExceeded, message)
}

fn connection_not_found(arn: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Connection {arn} does not exist"))
}

fn host_not_found(arn: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Host {arn} does not exist"))
}

impl crate::Engine {
    /// The connections and hosts of this engine's account.
    pub fn connections(&self) -> Connections {
        Connections::new(self.store.clone(), self.account.clone())
    }
}
