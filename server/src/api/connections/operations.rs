//! The connection and host operations, in CodeConnections' wire shapes (PascalCase members).
use super::super::error::{ApiError, ApiResult};
use super::super::wire::offset_page;
use super::renamed;
use crate::AppState;
use engine::connections::{Connection, Host, Namespace};
use engine::{Caller, Tag};
use serde::Deserialize;
use serde_json::{json, Value};

/// ListConnections and ListHosts: at most 100 per page, the most MaxResults allows.
const MAX_PAGE: i64 = 100;

/// Who is asked, under which of the service's names.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub state: &'a AppState,
    pub namespace: Namespace,
}

impl Call<'_> {
    fn connections(&self) -> engine::connections::Connections {
        self.state.engine.connections()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagWire {
    key: String,
    value: String,
}

fn tags_in(tags: Option<Vec<TagWire>>) -> ApiResult<Vec<Tag>> {
    let tags = tags.unwrap_or_default();
    if tags.len() > 200 {
        return Err(ApiError::validation("Tags: at most 200 tags are allowed."));
    }
    if let Some(bad) =
        tags.iter().find(|t| t.key.is_empty() || t.key.chars().count() > 128 || t.value.chars().count() > 256)
    {
        return Err(ApiError::validation(format!(
            "Tag {:?} must have a key of 1 to 128 and a value of at most 256 characters.",
            bad.key
        )));
    }
    Ok(tags.into_iter().map(|t| Tag { key: t.key, value: t.value }).collect())
}

fn tags_out(tags: &[Tag]) -> Value {
    tags.iter().map(|t| json!({ "Key": t.key, "Value": t.value })).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateConnectionInput {
    #[serde(default)]
    connection_name: String,
    provider_type: Option<String>,
    host_arn: Option<String>,
    tags: Option<Vec<TagWire>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionArnInput {
    #[serde(default)]
    connection_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListConnectionsInput {
    provider_type_filter: Option<String>,
    host_arn_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateHostInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    provider_type: String,
    #[serde(default)]
    provider_endpoint: String,
    /// Accepted and ignored: Sluice reaches hosts from where it runs.
    #[serde(default, rename = "VpcConfiguration")]
    _vpc_configuration: Option<Value>,
    tags: Option<Vec<TagWire>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostArnInput {
    #[serde(default)]
    host_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListHostsInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn create_connection(call: Call<'_>, input: CreateConnectionInput) -> ApiResult<Value> {
    let tags = tags_in(input.tags)?;
    let connections = call.connections();
    let created = connections
        .create(&input.connection_name, input.provider_type.as_deref(), input.host_arn.as_deref(), tags)
        .await
        .map_err(|e| renamed(e, "ResourceAlreadyExistsException"))?;
    let mut answer = json!({ "ConnectionArn": connections.connection_arn(call.namespace, &created.id) });
    if !created.tags.is_empty() {
        answer["Tags"] = tags_out(&created.tags);
    }
    Ok(answer)
}

pub async fn get_connection(call: Call<'_>, input: ConnectionArnInput) -> ApiResult<Value> {
    let connection = call.connections().get(&input.connection_arn).await?;
    Ok(json!({ "Connection": connection_json(call, &connection) }))
}

pub async fn list_connections(call: Call<'_>, input: ListConnectionsInput) -> ApiResult<Value> {
    let connections = call.connections();
    let found = connections.list(input.provider_type_filter.as_deref(), input.host_arn_filter.as_deref()).await?;
    let items = found.iter().map(|c| connection_json(call, c)).collect();
    let (page, next) = offset_page(items, input.next_token.as_deref(), page_size(input.max_results)?)?;
    Ok(with_token(json!({ "Connections": page }), next))
}

pub async fn delete_connection(call: Call<'_>, input: ConnectionArnInput) -> ApiResult<Value> {
    call.connections().delete(&input.connection_arn).await?;
    Ok(json!({}))
}

pub async fn create_host(call: Call<'_>, caller: &Caller, input: CreateHostInput) -> ApiResult<Value> {
    let tags = tags_in(input.tags)?;
    let connections = call.connections();
    let principal = caller.principal();
    let host =
        connections.create_host(&input.name, &input.provider_type, &input.provider_endpoint, tags, &principal).await?;
    let mut answer = json!({ "HostArn": connections.host_arn(call.namespace, &host.id) });
    if !host.tags.is_empty() {
        answer["Tags"] = tags_out(&host.tags);
    }
    Ok(answer)
}

pub async fn get_host(call: Call<'_>, input: HostArnInput) -> ApiResult<Value> {
    let host = call.connections().host(&input.host_arn).await?;
    let mut answer = host_json(call, &host);
    answer.as_object_mut().map(|members| members.remove("HostArn"));
    Ok(answer)
}

pub async fn list_hosts(call: Call<'_>, input: ListHostsInput) -> ApiResult<Value> {
    let hosts = call.connections().hosts().await?;
    let items = hosts.iter().map(|h| host_json(call, h)).collect();
    let (page, next) = offset_page(items, input.next_token.as_deref(), page_size(input.max_results)?)?;
    Ok(with_token(json!({ "Hosts": page }), next))
}

pub async fn delete_host(call: Call<'_>, input: HostArnInput) -> ApiResult<Value> {
    call.connections().delete_host(&input.host_arn).await.map_err(|e| renamed(e, "ConflictException"))?;
    Ok(json!({}))
}

/// `Connection`: never the token.
fn connection_json(call: Call<'_>, connection: &Connection) -> Value {
    let connections = call.connections();
    let mut answer = json!({
        "ConnectionName": connection.name,
        "ConnectionArn": connections.connection_arn(call.namespace, &connection.id),
        "ProviderType": connection.provider_type.as_str(),
        "OwnerAccountId": call.state.engine.account().id,
        "ConnectionStatus": connection.status.as_str(),
    });
    if let Some(host) = &connection.host_id {
        answer["HostArn"] = json!(connections.host_arn(call.namespace, host));
    }
    answer
}

/// `Host`: Sluice's hosts need no set-up, so they are AVAILABLE from the start.
fn host_json(call: Call<'_>, host: &Host) -> Value {
    json!({
        "Name": host.name,
        "HostArn": call.connections().host_arn(call.namespace, &host.id),
        "ProviderType": host.provider_type.as_str(),
        "ProviderEndpoint": host.endpoint,
        "Status": "AVAILABLE",
    })
}

/// MaxResults: 0 to 100, where 0 (or none) means the most.
fn page_size(max_results: Option<i64>) -> ApiResult<usize> {
    match max_results {
        None | Some(0) => Ok(MAX_PAGE as usize),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and {MAX_PAGE}"
        ))),
    }
}

fn with_token(mut answer: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        answer["NextToken"] = json!(token);
    }
    answer
}
