//! The clients of partner (ThirdParty) actions: one per action of a pipeline, the clientId its
//! jobs carry and a hash of the token that answers them.
use super::Result;
use sqlx::{AnyConnection, Row};

/// A partner client as stored (the token itself is never kept).
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerClientRow {
    pub client_id: String,
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    pub token_hash: String,
    pub created_ms: i64,
}

/// Makes `client` the action's client, replacing (and so revoking) the one it had.
pub async fn replace(conn: &mut AnyConnection, client: &PartnerClientRow) -> Result<()> {
    sqlx::query("delete from partner_client where pipeline_name = $1 and stage_name = $2 and action_name = $3")
        .bind(&client.pipeline_name)
        .bind(&client.stage_name)
        .bind(&client.action_name)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into partner_client (client_id, pipeline_name, stage_name, action_name, token_hash, created_ms)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&client.client_id)
    .bind(&client.pipeline_name)
    .bind(&client.stage_name)
    .bind(&client.action_name)
    .bind(&client.token_hash)
    .bind(client.created_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The client of one action of a pipeline, if it has one.
pub async fn of_action(
    conn: &mut AnyConnection,
    pipeline: &str,
    stage: &str,
    action: &str,
) -> Result<Option<PartnerClientRow>> {
    let row = sqlx::query(
        "select client_id, pipeline_name, stage_name, action_name, token_hash, created_ms from partner_client
         where pipeline_name = $1 and stage_name = $2 and action_name = $3",
    )
    .bind(pipeline)
    .bind(stage)
    .bind(action)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok(PartnerClientRow {
            client_id: row.try_get("client_id")?,
            pipeline_name: row.try_get("pipeline_name")?,
            stage_name: row.try_get("stage_name")?,
            action_name: row.try_get("action_name")?,
            token_hash: row.try_get("token_hash")?,
            created_ms: row.try_get("created_ms")?,
        })
    })
    .transpose()
}

/// Forgets the clients of a deleted pipeline, so a new pipeline of the same name starts without.
pub async fn delete_of_pipeline(conn: &mut AnyConnection, pipeline: &str) -> Result<()> {
    sqlx::query("delete from partner_client where pipeline_name = $1").bind(pipeline).execute(&mut *conn).await?;
    Ok(())
}
