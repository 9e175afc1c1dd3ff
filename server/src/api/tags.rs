//! TagResource, UntagResource and ListTagsForResource, on pipelines, custom action types and webhooks.
use super::error::{ApiError, ApiResult};
use super::wire::{next_token, page_size, token_key};
use crate::AppState;
use engine::Tag;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const MAX_TAGS: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireTag {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagInput {
    resource_arn: String,
    tags: Vec<WireTag>,
}

pub async fn tag(state: &AppState, input: TagInput) -> ApiResult<Value> {
    let arn = resource_arn(state, &input.resource_arn).await?;
    let existing = state.engine.tags(&arn).await?;
    let tags = check_tags(&input.tags, &existing, &arn)?;
    state.engine.tag_resource(&arn, &tags).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

pub async fn untag(state: &AppState, input: UntagInput) -> ApiResult<Value> {
    let arn = resource_arn(state, &input.resource_arn).await?;
    state.engine.untag_resource(&arn, &input.tag_keys).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    resource_arn: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    let arn = resource_arn(state, &input.resource_arn).await?;
    let limit = page_size(input.max_results, 100, 50)? as usize;
    let after = input.next_token.as_deref().map(token_key).transpose()?;
    let tags: Vec<Tag> = state
        .engine
        .tags(&arn)
        .await?
        .into_iter()
        .filter(|t| after.as_ref().is_none_or(|after| t.key > *after))
        .collect();
    let page = &tags[..tags.len().min(limit)];
    let mut answer = json!({ "tags": page });
    if tags.len() > limit {
        if let Some(last) = page.last() {
            answer["nextToken"] = json!(next_token(&last.key));
        }
    }
    Ok(answer)
}

/// Checks tags against AWS's rules and returns them ready to store. `existing` counts toward the
/// 50-tag limit unless a new tag overwrites it.
pub fn check_tags(tags: &[WireTag], existing: &[Tag], arn: &str) -> ApiResult<Vec<Tag>> {
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(ApiError::new(
                "InvalidTagsException",
                format!("Tag key '{}' must be 1 to 128 characters long", tag.key),
            ));
        }
        if tag.value.chars().count() > 256 {
            return Err(ApiError::new(
                "InvalidTagsException",
                format!("The value of tag '{}' is longer than 256 characters", tag.key),
            ));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::new(
                "InvalidTagsException",
                format!("Tag key '{}' uses the reserved prefix 'aws:'", tag.key),
            ));
        }
    }
    let untouched = existing.iter().filter(|e| !tags.iter().any(|t| t.key == e.key)).count();
    let mut keys: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    if untouched + keys.len() > MAX_TAGS {
        return Err(ApiError::new("TooManyTagsException", format!("Tag limit exceeded for resource [{arn}].")));
    }
    Ok(tags.iter().map(|t| Tag { key: t.key.clone(), value: t.value.clone() }).collect())
}

/// Resolves a resource ARN to an existing pipeline's or custom action type's ARN.
async fn resource_arn(state: &AppState, arn: &str) -> ApiResult<String> {
    let name =
        parse_arn(arn).ok_or_else(|| ApiError::new("InvalidArnException", format!("The ARN '{arn}' is not valid.")))?;
    if let Some(id) = name.strip_prefix("actiontype:") {
        return action_type_arn(state, arn, id).await;
    }
    if let Some(webhook) = name.strip_prefix("webhook:") {
        let ours = state.engine.webhook_arn(webhook);
        return match ours == arn && state.engine.webhook(webhook).await.is_ok() {
            true => Ok(ours),
            false => Err(ApiError::new("ResourceNotFoundException", format!("The webhook '{arn}' does not exist"))),
        };
    }
    let ours = state.engine.pipeline_arn(name);
    if ours != arn || !state.engine.pipeline_exists(name).await? {
        return Err(ApiError::new(
            "ResourceNotFoundException",
            format!(
                "The account with id '{}' does not include a pipeline with the name '{name}'",
                state.engine.account().id
            ),
        ));
    }
    Ok(ours)
}

/// `actiontype:Custom/<Category>/<Provider>/<Version>` of a custom type that exists.
async fn action_type_arn(state: &AppState, arn: &str, id: &str) -> ApiResult<String> {
    let not_found = || ApiError::new("ResourceNotFoundException", format!("The action type '{arn}' does not exist"));
    let parts: Vec<&str> = id.split('/').collect();
    let [owner, category, provider, version] = parts[..] else { return Err(not_found()) };
    let category = model::ActionCategory::from_wire(category).ok_or_else(not_found)?;
    if owner != model::ActionOwner::Custom.as_str() {
        return Err(not_found());
    }
    let declared = state.engine.custom_action_type(category, provider, version).await.map_err(|_| not_found())?;
    let ours = state.engine.action_type_arn(&declared.id());
    if ours != arn {
        return Err(not_found());
    }
    Ok(ours)
}

/// `arn:aws(-x)*:codepipeline:<region>:<12 digits>:<resource>` → the resource part.
fn parse_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    let partition_ok = partition == "aws" || partition.starts_with("aws-");
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (prefix == "arn"
        && partition_ok
        && service == "codepipeline"
        && !region.is_empty()
        && account_ok
        && !resource.is_empty())
    .then_some(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(key: &str) -> WireTag {
        WireTag { key: key.into(), value: "v".into() }
    }

    #[test]
    fn arns_parse_only_when_well_formed() {
        assert_eq!(parse_arn("arn:aws:codepipeline:us-east-1:000000000000:demo"), Some("demo"));
        assert_eq!(parse_arn("arn:aws-cn:codepipeline:cn-north-1:000000000000:a:b"), Some("a:b"));
        assert_eq!(parse_arn("arn:aws:s3:us-east-1:000000000000:demo"), None);
        assert_eq!(parse_arn("arn:aws:codepipeline:us-east-1:123:demo"), None);
        assert_eq!(parse_arn("demo"), None);
    }

    #[test]
    fn tag_rules() {
        assert!(check_tags(&[wire("team")], &[], "arn").is_ok());
        assert!(check_tags(&[wire("aws:owner")], &[], "arn").is_err());
        assert!(check_tags(&[wire("")], &[], "arn").is_err());
        let existing: Vec<Tag> = (0..50).map(|i| Tag { key: format!("k{i}"), value: String::new() }).collect();
        assert!(check_tags(&[wire("k3")], &existing, "arn").is_ok(), "overwriting does not add");
        assert!(check_tags(&[wire("new")], &existing, "arn").is_err());
    }
}
