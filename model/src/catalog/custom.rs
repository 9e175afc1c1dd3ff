//! Custom action types: the ones a team declares with CreateCustomActionType and runs with its
//! own job workers. Unlike the built-in catalogue they live in the database, so they are owned
//! values; the shapes are the API's (camelCase), so the server, the engine and the editor share
//! one definition, and `problems` is the one place their own rules are checked.
use crate::pipeline::{ActionCategory, ActionOwner, ActionTypeId};
use serde::{Deserialize, Serialize};

/// At most this many configuration properties per type.
pub const MAX_PROPERTIES: usize = 10;
/// Artifact counts of a custom type are 0..=5 (as CreateCustomActionType documents).
pub const MAX_ARTIFACTS: u8 = 5;
/// A queryable property's value: at most 20 characters of `[A-Za-z0-9_-]`.
pub const MAX_QUERY_VALUE: usize = 20;
/// How long a job may take when the type sets no `jobTimeout`, and its bounds (seconds).
pub const DEFAULT_JOB_TIMEOUT_SECONDS: u32 = 24 * 60 * 60;
pub const JOB_TIMEOUT_SECONDS: std::ops::RangeInclusive<u32> = 60..=43_200;

/// A custom action type as stored and as CreateCustomActionType declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomActionType {
    pub category: ActionCategory,
    pub provider: String,
    pub version: String,
    #[serde(default)]
    pub settings: ActionTypeSettings,
    #[serde(default)]
    pub configuration_properties: Vec<ConfigurationProperty>,
    pub input_artifact_details: ArtifactDetails,
    pub output_artifact_details: ArtifactDetails,
    /// Set by UpdateActionType.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long a worker has to finish one job; UpdateActionType's `executor.jobTimeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_timeout: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party_configuration_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_url_template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_url_template: Option<String>,
}

/// One configuration key, as ActionConfigurationProperty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationProperty {
    pub name: String,
    pub required: bool,
    pub key: bool,
    pub secret: bool,
    #[serde(default)]
    pub queryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `String`, `Number` or `Boolean`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub value_type: Option<PropertyType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropertyType {
    String,
    Number,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactDetails {
    pub minimum_count: i64,
    pub maximum_count: i64,
}

impl ArtifactDetails {
    /// Whether `count` artifacts are allowed.
    pub fn allows(&self, count: usize) -> bool {
        i64::try_from(count).is_ok_and(|n| (self.minimum_count..=self.maximum_count).contains(&n))
    }
}

impl CustomActionType {
    /// The `actionTypeId` pipelines use to name this type.
    pub fn id(&self) -> ActionTypeId {
        ActionTypeId {
            category: self.category,
            owner: ActionOwner::Custom,
            provider: self.provider.clone(),
            version: self.version.clone(),
        }
    }

    /// Whether a pipeline action of type `id` is one of this type.
    pub fn is(&self, id: &ActionTypeId) -> bool {
        id.owner == ActionOwner::Custom
            && id.category == self.category
            && id.provider == self.provider
            && id.version == self.version
    }

    /// The property workers may filter PollForJobs on, if any.
    pub fn queryable_property(&self) -> Option<&ConfigurationProperty> {
        self.configuration_properties.iter().find(|p| p.queryable)
    }

    pub fn property(&self, name: &str) -> Option<&ConfigurationProperty> {
        self.configuration_properties.iter().find(|p| p.name == name)
    }

    /// Seconds a worker has for one job.
    pub fn job_timeout_seconds(&self) -> u32 {
        self.job_timeout.unwrap_or(DEFAULT_JOB_TIMEOUT_SECONDS)
    }

    /// What is wrong with the declaration itself, in the words the API answers with
    /// (ValidationException); empty when it may be saved.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.category == ActionCategory::Compute {
            problems.push("category Compute is reserved for AWS's Commands action".to_owned());
        }
        if !token(&self.provider, 35) {
            problems
                .push(format!("provider '{}' must be 1-35 characters of letters, digits, '-' or '_'", self.provider));
        }
        if !token(&self.version, 9) {
            problems.push(format!("version '{}' must be 1-9 characters of letters, digits, '-' or '_'", self.version));
        }
        for (what, details) in [("input", &self.input_artifact_details), ("output", &self.output_artifact_details)] {
            let range = 0..=i64::from(MAX_ARTIFACTS);
            if !range.contains(&details.minimum_count)
                || !range.contains(&details.maximum_count)
                || details.minimum_count > details.maximum_count
            {
                problems.push(format!(
                    "{what}ArtifactDetails must have 0 <= minimumCount <= maximumCount <= {MAX_ARTIFACTS}"
                ));
            }
        }
        self.property_problems(&mut problems);
        if let Some(seconds) = self.job_timeout.filter(|s| !JOB_TIMEOUT_SECONDS.contains(s)) {
            problems.push(format!("jobTimeout {seconds} is outside 60-43200 seconds"));
        }
        let urls = [
            &self.settings.third_party_configuration_url,
            &self.settings.entity_url_template,
            &self.settings.execution_url_template,
            &self.settings.revision_url_template,
        ];
        if urls.into_iter().flatten().any(|url| url.is_empty() || url.chars().count() > 2048) {
            problems.push("each URL in settings must be 1-2048 characters".to_owned());
        }
        problems
    }

    fn property_problems(&self, problems: &mut Vec<String>) {
        let properties = &self.configuration_properties;
        if properties.len() > MAX_PROPERTIES {
            problems.push(format!(
                "{} configuration properties are declared; the maximum is {MAX_PROPERTIES}",
                properties.len()
            ));
        }
        for (i, property) in properties.iter().enumerate() {
            if property.name.is_empty() || property.name.chars().count() > 50 {
                problems.push(format!("configuration property {} must have a name of 1-50 characters", i + 1));
            }
            if properties[..i].iter().any(|earlier| earlier.name == property.name) {
                problems.push(format!("configuration property '{}' is declared twice", property.name));
            }
            if property.description.as_ref().is_some_and(|d| d.chars().count() > 160) {
                problems.push(format!("the description of '{}' is longer than 160 characters", property.name));
            }
            if property.queryable && (!property.required || property.secret) {
                problems.push(format!("queryable property '{}' must be required and not secret", property.name));
            }
        }
        if properties.iter().filter(|p| p.queryable).count() > 1 {
            problems.push("at most one configuration property may be queryable".to_owned());
        }
    }
}

/// Whether `value` may be a queryable property's value (and so a PollForJobs `queryParam` value).
pub fn is_query_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_QUERY_VALUE
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn token(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.chars().count() <= max
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jenkins() -> CustomActionType {
        serde_json::from_value(serde_json::json!({
            "category": "Build", "provider": "Jenkins", "version": "1",
            "settings": { "executionUrlTemplate": "https://ci.example/{ExternalExecutionId}" },
            "configurationProperties": [
                { "name": "Project", "required": true, "key": true, "secret": false, "queryable": true },
                { "name": "Token", "required": false, "key": false, "secret": true }
            ],
            "inputArtifactDetails": { "minimumCount": 0, "maximumCount": 1 },
            "outputArtifactDetails": { "minimumCount": 0, "maximumCount": 1 }
        }))
        .unwrap()
    }

    #[test]
    fn a_wire_declaration_parses_and_is_valid() {
        let jenkins = jenkins();
        assert_eq!(jenkins.problems(), Vec::<String>::new());
        assert_eq!(jenkins.queryable_property().map(|p| p.name.as_str()), Some("Project"));
        assert_eq!(jenkins.job_timeout_seconds(), DEFAULT_JOB_TIMEOUT_SECONDS);
    }

    #[test]
    fn broken_declarations_say_what_is_wrong() {
        let mut bad = jenkins();
        bad.provider = "no spaces allowed".into();
        bad.output_artifact_details = ArtifactDetails { minimum_count: 2, maximum_count: 1 };
        bad.configuration_properties[1].queryable = true;
        bad.job_timeout = Some(10);
        let problems = bad.problems().join("; ");
        for expected in ["provider", "outputArtifactDetails", "at most one", "must be required", "jobTimeout"] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
    }

    #[test]
    fn query_values_are_short_tokens() {
        assert!(is_query_value("MyJenkins_1"));
        assert!(!is_query_value("has space"));
        assert!(!is_query_value(&"x".repeat(21)));
    }
}
