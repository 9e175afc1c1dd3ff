//! Rows of connections and their hosts. A connection's token is sealed under the master key with
//! the connection's id as context, so a sealed token copied to another row does not open.
use super::{conflict_on_unique, found, Result, Store, StoreError};
use crate::connections::{Connection, ConnectionStatus, Host, ProviderType};
use crate::store::Tag;
use sqlx::any::AnyRow;
use sqlx::Row;

fn token_context(id: &str) -> String {
    format!("connection:{id}")
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn tags_of(row: &AnyRow) -> Result<Vec<Tag>> {
    let text: String = row.try_get("tags")?;
    serde_json::from_str(&text).map_err(|e| corrupt("connection tags", e))
}

fn provider_of(row: &AnyRow) -> Result<ProviderType> {
    let text: String = row.try_get("provider_type")?;
    ProviderType::parse(&text).map_err(|e| corrupt("connection provider type", e))
}

fn connection_of(row: &AnyRow) -> Result<Connection> {
    let status: String = row.try_get("status")?;
    let token: Option<String> = row.try_get("sealed_token")?;
    Ok(Connection {
        id: row.try_get("connection_id")?,
        name: row.try_get("name")?,
        provider_type: provider_of(row)?,
        host_id: row.try_get("host_id")?,
        status: ConnectionStatus::parse(&status).ok_or_else(|| corrupt("connection status", &status))?,
        has_token: token.is_some(),
        tags: tags_of(row)?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn host_of(row: &AnyRow) -> Result<Host> {
    Ok(Host {
        id: row.try_get("host_id")?,
        name: row.try_get("name")?,
        provider_type: provider_of(row)?,
        endpoint: row.try_get("provider_endpoint")?,
        tags: tags_of(row)?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn tags_text(tags: &[Tag]) -> Result<String> {
    serde_json::to_string(tags).map_err(|e| corrupt("connection tags", e))
}

impl Store {
    /// `Conflict` when the name is taken.
    pub(crate) async fn insert_connection(&self, connection: &Connection) -> Result<()> {
        sqlx::query(
            "insert into connection (connection_id, name, provider_type, host_id, status, tags, created_ms, updated_ms)
             values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&connection.id)
        .bind(&connection.name)
        .bind(connection.provider_type.as_str())
        .bind(&connection.host_id)
        .bind(connection.status.as_str())
        .bind(tags_text(&connection.tags)?)
        .bind(connection.created_ms)
        .execute(&self.pool)
        .await
        .map_err(conflict_on_unique)?;
        Ok(())
    }

    pub(crate) async fn connection(&self, id: &str) -> Result<Option<Connection>> {
        let row = sqlx::query("select * from connection where connection_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_of).transpose()
    }

    /// Every connection, oldest first.
    pub(crate) async fn connections(&self) -> Result<Vec<Connection>> {
        let rows =
            sqlx::query("select * from connection order by created_ms, connection_id").fetch_all(&self.pool).await?;
        rows.iter().map(connection_of).collect()
    }

    /// `NotFound` when there is no such connection.
    /// Its deliveries' record goes with it.
    pub(crate) async fn delete_connection(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("delete from connection where connection_id = $1").bind(id).execute(&mut *tx).await?;
        found(done)?;
        sqlx::query("delete from connection_delivery where connection_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Seals and keeps `token` (None: a public connection) and makes the connection AVAILABLE.
    pub(crate) async fn set_connection_token(&self, id: &str, token: Option<&str>) -> Result<()> {
        let sealed = match token {
            Some(token) => Some(self.sealer()?.seal(&token_context(id), token)?),
            None => None,
        };
        let done = sqlx::query(
            "update connection set sealed_token = $2, status = 'AVAILABLE', updated_ms = $3 where connection_id = $1",
        )
        .bind(id)
        .bind(sealed)
        .bind(crate::now_ms())
        .execute(&self.pool)
        .await?;
        found(done)
    }

    /// The connection's token, opened; None for a public or pending connection.
    pub(crate) async fn connection_token(&self, id: &str) -> Result<Option<String>> {
        let sealed: Option<Option<String>> =
            sqlx::query_scalar("select sealed_token from connection where connection_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match sealed.flatten() {
            Some(sealed) => Ok(Some(self.sealer()?.open(&token_context(id), &sealed)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn insert_connection_host(&self, host: &Host) -> Result<()> {
        sqlx::query(
            "insert into connection_host (host_id, name, provider_type, provider_endpoint, tags, created_ms)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&host.id)
        .bind(&host.name)
        .bind(host.provider_type.as_str())
        .bind(&host.endpoint)
        .bind(tags_text(&host.tags)?)
        .bind(host.created_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(crate) async fn connection_host(&self, id: &str) -> Result<Option<Host>> {
        let row =
            sqlx::query("select * from connection_host where host_id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(host_of).transpose()
    }

    /// Every host, oldest first.
    pub(crate) async fn connection_hosts(&self) -> Result<Vec<Host>> {
        let rows =
            sqlx::query("select * from connection_host order by created_ms, host_id").fetch_all(&self.pool).await?;
        rows.iter().map(host_of).collect()
    }

    pub(crate) async fn delete_connection_host(&self, id: &str) -> Result<()> {
        found(sqlx::query("delete from connection_host where host_id = $1").bind(id).execute(&self.pool).await?)
    }
}
