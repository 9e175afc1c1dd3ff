//! CodePipeline's (version 1) webhooks: a URL that starts a pipeline when a git host posts to it.
//! PutWebhook declares one (its target pipeline and source action, how deliveries authenticate,
//! and `{jsonPath, matchEquals}` filters that must all hold); `delivery` checks a POST against
//! it. A webhook's secret is sealed at rest like every other secret and never answered back.
pub mod delivery;
pub mod json_path;

use crate::store::Tag;
use crate::{now_ms, Engine, EngineError, Refusal, Result};
use json_path::JsonPath;
use model::ActionCategory;
use serde::{Deserialize, Serialize};

/// AWS's quota of webhooks per region.
pub const MAX_WEBHOOKS: usize = 300;
const MAX_FILTERS: usize = 5;

/// A webhook as PutWebhook declares it (CodePipeline's `WebhookDefinition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDefinition {
    pub name: String,
    pub target_pipeline: String,
    pub target_action: String,
    pub filters: Vec<WebhookFilter>,
    pub authentication: Authentication,
    pub authentication_configuration: AuthenticationConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFilter {
    pub json_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_equals: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Authentication {
    /// GitHub's `X-Hub-Signature-256`: an HMAC-SHA256 of the body with the SecretToken.
    #[serde(rename = "GITHUB_HMAC")]
    GithubHmac,
    /// The sender's address is in AllowedIPRange.
    #[serde(rename = "IP")]
    Ip,
    #[serde(rename = "UNAUTHENTICATED")]
    Unauthenticated,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationConfiguration {
    #[serde(rename = "AllowedIPRange", default, skip_serializing_if = "Option::is_none")]
    pub allowed_ip_range: Option<String>,
    #[serde(rename = "SecretToken", default, skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<String>,
}

/// A stored webhook: its declaration, where it listens, and how its last delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub definition: WebhookDefinition,
    /// The random part of its URL: `<public URL>/webhooks/<token>`.
    pub token: String,
    pub created_ms: i64,
    /// When a delivery last started the pipeline.
    pub last_triggered_ms: Option<i64>,
    /// Why the last delivery that failed did (its refusal's name and message).
    pub error: Option<(String, String)>,
}

impl Webhook {
    /// The declaration as ListWebhooks answers it: the secret is not given back.
    pub fn redacted(&self) -> WebhookDefinition {
        let mut definition = self.definition.clone();
        if definition.authentication_configuration.secret_token.is_some() {
            definition.authentication_configuration.secret_token = Some("<redacted>".into());
        }
        definition
    }
}

impl Engine {
    pub fn webhook_arn(&self, name: &str) -> String {
        format!("arn:aws:codepipeline:{}:{}:webhook:{name}", self.account.region, self.account.id)
    }

    /// Where a webhook listens.
    pub fn webhook_url(&self, webhook: &Webhook) -> String {
        format!("{}/webhooks/{}", self.notify_config().public_url.trim_end_matches('/'), webhook.token)
    }

    /// PutWebhook: creates the webhook or replaces its declaration (its URL stays the same), and
    /// adds `tags` to it.
    pub async fn put_webhook(&self, definition: WebhookDefinition, tags: &[Tag]) -> Result<Webhook> {
        check_names(&definition)?;
        check_authentication(&definition)?;
        let record = self.pipeline(&definition.target_pipeline, None).await?;
        let configuration = source_action_configuration(&record.declaration, &definition)?;
        check_filters(&definition.filters, &configuration)?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        if !self.store.put_webhook(&definition, &token, now_ms(), MAX_WEBHOOKS).await? {
            return Err(EngineError::refused(
                Refusal::LimitExceeded,
                format!("The account already has {MAX_WEBHOOKS} webhooks, the most it may have."),
            ));
        }
        self.tag_resource(&self.webhook_arn(&definition.name), tags).await?;
        self.webhook(&definition.name).await
    }

    /// `WebhookNotFound` when there is none of that name.
    pub async fn webhook(&self, name: &str) -> Result<Webhook> {
        self.store.webhook(name).await?.ok_or_else(|| {
            EngineError::refused(Refusal::WebhookNotFound, format!("The webhook '{name}' was not found."))
        })
    }

    /// Every webhook, by name.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        Ok(self.store.webhooks().await?)
    }

    /// DeleteWebhook: the webhook and its tags; deleting one that is not there succeeds, as on AWS.
    pub async fn delete_webhook(&self, name: &str) -> Result<()> {
        self.store.delete_webhook(name, &self.webhook_arn(name)).await?;
        Ok(())
    }
}

fn invalid(why: Refusal, message: String) -> EngineError {
    EngineError::refused(why, message)
}

/// CodePipeline's name rule for webhooks, pipelines and actions.
fn check_names(definition: &WebhookDefinition) -> Result<()> {
    let fields = [
        ("name", &definition.name),
        ("targetPipeline", &definition.target_pipeline),
        ("targetAction", &definition.target_action),
    ];
    for (field, value) in fields {
        let ok = (1..=100).contains(&value.len())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_'));
        if !ok {
            return Err(invalid(
                Refusal::InvalidRequest,
                format!("webhook.{field} {value:?} must be 1 to 100 letters, digits and . @ - _"),
            ));
        }
    }
    Ok(())
}

fn check_authentication(definition: &WebhookDefinition) -> Result<()> {
    let configuration = &definition.authentication_configuration;
    let refuse = |message: &str| Err(invalid(Refusal::InvalidWebhookAuthentication, message.to_owned()));
    match definition.authentication {
        Authentication::GithubHmac => match configuration.secret_token.as_deref() {
            Some(secret) if (1..=100).contains(&secret.len()) => Ok(()),
            Some(_) => refuse("SecretToken must be 1 to 100 characters long."),
            None => refuse("GITHUB_HMAC authentication needs a SecretToken in authenticationConfiguration."),
        },
        Authentication::Ip => match configuration.allowed_ip_range.as_deref().map(model::ip_range::IpRange::parse) {
            Some(Some(_)) => Ok(()),
            Some(None) => refuse("AllowedIPRange must be an address range in CIDR notation, such as 192.30.252.0/22."),
            None => refuse("IP authentication needs an AllowedIPRange in authenticationConfiguration."),
        },
        Authentication::Unauthenticated if configuration == &AuthenticationConfiguration::default() => Ok(()),
        Authentication::Unauthenticated => refuse("UNAUTHENTICATED webhooks take no authenticationConfiguration."),
    }
}

/// The configuration of the source action the webhook starts, which its filters' `{Key}`
/// placeholders read.
fn source_action_configuration(
    pipeline: &model::PipelineDeclaration,
    definition: &WebhookDefinition,
) -> Result<indexmap::IndexMap<String, String>> {
    let action = pipeline
        .stages
        .iter()
        .flat_map(|stage| &stage.actions)
        .find(|action| action.name == definition.target_action)
        .filter(|action| action.action_type_id.category == ActionCategory::Source);
    action.map(|action| action.configuration.clone()).ok_or_else(|| {
        invalid(
            Refusal::InvalidRequest,
            format!(
                "webhook.targetAction: pipeline '{}' has no source action named '{}'",
                definition.target_pipeline, definition.target_action
            ),
        )
    })
}

fn check_filters(filters: &[WebhookFilter], configuration: &indexmap::IndexMap<String, String>) -> Result<()> {
    let refuse = |message: String| Err(invalid(Refusal::InvalidWebhookFilterPattern, message));
    if filters.len() > MAX_FILTERS {
        return refuse(format!("A webhook has at most {MAX_FILTERS} filters; this one has {}.", filters.len()));
    }
    for (n, filter) in filters.iter().enumerate() {
        if !(1..=150).contains(&filter.json_path.len()) {
            return refuse(format!("filters[{n}].jsonPath must be 1 to 150 characters long."));
        }
        if let Err(why) = JsonPath::parse(&filter.json_path) {
            return refuse(format!("filters[{n}].jsonPath is not a JsonPath Sluice can follow: {why}."));
        }
        if let Some(expected) = &filter.match_equals {
            if !(1..=150).contains(&expected.len()) {
                return refuse(format!("filters[{n}].matchEquals must be 1 to 150 characters long."));
            }
            if let Err(key) = fill_placeholders(expected, configuration) {
                return refuse(format!(
                    "filters[{n}].matchEquals names {{{key}}}, which is not in the target action's configuration."
                ));
            }
        }
    }
    Ok(())
}

/// `refs/heads/{Branch}` with each `{Key}` replaced by the action's configuration value; the
/// first unknown key is the error.
fn fill_placeholders(text: &str, configuration: &indexmap::IndexMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|i| open + i) else { break };
        let key = &rest[open + 1..close];
        let value = configuration.get(key).ok_or_else(|| key.to_owned())?;
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_the_actions_configuration() {
        let configuration: indexmap::IndexMap<String, String> = [("Branch".to_owned(), "main".to_owned())].into();
        assert_eq!(fill_placeholders("refs/heads/{Branch}", &configuration), Ok("refs/heads/main".into()));
        assert_eq!(fill_placeholders("no placeholders", &configuration), Ok("no placeholders".into()));
        assert_eq!(fill_placeholders("{Repo}/x", &configuration), Err("Repo".into()));
        assert_eq!(fill_placeholders("open { only", &configuration), Ok("open { only".into()));
    }

    #[test]
    fn authentication_needs_its_own_setting_and_no_other() {
        let with = |authentication, configuration| WebhookDefinition {
            name: "hook".into(),
            target_pipeline: "p".into(),
            target_action: "Source".into(),
            filters: Vec::new(),
            authentication,
            authentication_configuration: configuration,
        };
        let secret = AuthenticationConfiguration { secret_token: Some("s3cret".into()), allowed_ip_range: None };
        let range =
            AuthenticationConfiguration { secret_token: None, allowed_ip_range: Some("192.30.252.0/22".into()) };
        assert!(check_authentication(&with(Authentication::GithubHmac, secret.clone())).is_ok());
        assert!(check_authentication(&with(Authentication::GithubHmac, range.clone())).is_err());
        assert!(check_authentication(&with(Authentication::Ip, range)).is_ok());
        let bad_range = AuthenticationConfiguration { secret_token: None, allowed_ip_range: Some("10.0.0.0".into()) };
        assert!(check_authentication(&with(Authentication::Ip, bad_range)).is_err());
        assert!(check_authentication(&with(Authentication::Unauthenticated, Default::default())).is_ok());
        assert!(check_authentication(&with(Authentication::Unauthenticated, secret)).is_err());
    }
}
