//! The catalogue of built-in action types and stage-condition rule types.
//!
//! Why a static table: the validator needs each provider's artifact counts and configuration keys,
//! and the editor needs the same data to draw forms; one `const` table serves both with no I/O.
//! Data comes from the CodePipeline action reference (see reference/codepipeline.md §6).

mod build_test;
pub mod custom;
mod deploy;
mod invoke;
mod rules;
mod secrets;
mod source;
mod spec;

pub use custom::CustomActionType;
pub use invoke::ApprovalRule;
pub use rules::{find_rule_type, rule_types, RuleTypeSpec};
pub use secrets::{
    keep_masked_secrets, keep_masked_secrets_with, mask_secrets, mask_secrets_with, secret_configuration_keys,
    secret_values_mut, secret_values_mut_with, MASK,
};
pub use spec::{ActionTypeSpec, PropertySpec};

use crate::pipeline::{ActionCategory, ActionOwner};

static ALL: &[ActionTypeSpec] = &[
    spec::runs_locally(source::S3),
    spec::runs_locally(source::CODE_COMMIT),
    source::ECR,
    spec::runs_locally(source::CODE_STAR_SOURCE_CONNECTION),
    source::GITHUB_V1,
    spec::runs_locally(build_test::CODE_BUILD),
    spec::runs_locally(build_test::CODE_BUILD_TEST),
    build_test::ECR_BUILD_AND_PUBLISH,
    build_test::DEVICE_FARM,
    spec::runs_locally(build_test::COMMANDS),
    spec::runs_locally(deploy::S3),
    deploy::CLOUD_FORMATION,
    deploy::CLOUD_FORMATION_STACK_SET,
    deploy::CLOUD_FORMATION_STACK_INSTANCES,
    deploy::CODE_DEPLOY,
    deploy::CODE_DEPLOY_TO_ECS,
    deploy::ECS,
    deploy::ELASTIC_BEANSTALK,
    deploy::OPS_WORKS,
    deploy::SERVICE_CATALOG,
    deploy::ALEXA_SKILLS_KIT,
    deploy::EC2,
    deploy::EKS,
    deploy::LAMBDA,
    deploy::APP_CONFIG,
    invoke::LAMBDA,
    invoke::STEP_FUNCTIONS,
    invoke::CODE_PIPELINE,
    invoke::INSPECTOR_SCAN,
    invoke::SNYK,
    spec::runs_locally(invoke::MANUAL_APPROVAL),
];

/// Every catalogued action type.
pub fn all() -> &'static [ActionTypeSpec] {
    ALL
}

/// The spec for an exact action type id (provider and version are case-sensitive, as on AWS).
pub fn find(
    category: ActionCategory,
    owner: ActionOwner,
    provider: &str,
    version: &str,
) -> Option<&'static ActionTypeSpec> {
    ALL.iter().find(|spec| {
        spec.category == category && spec.owner == owner && spec.provider == provider && spec.version == version
    })
}

/// Whether actions of this category and owner run as jobs that a worker outside Sluice takes
/// (when Sluice has no provider of its own for them): custom actions, and partner (ThirdParty)
/// actions other than sources (a ThirdParty source, GitHub version 1, is one AWS runs itself).
pub fn runs_as_job(category: ActionCategory, owner: ActionOwner) -> bool {
    match owner {
        ActionOwner::Custom => true,
        ActionOwner::ThirdParty => category != ActionCategory::Source,
        ActionOwner::Aws => false,
    }
}

/// Catalogued providers for one category and owner (used for "did you mean" hints and palettes).
pub fn providers_for(category: ActionCategory, owner: ActionOwner) -> impl Iterator<Item = &'static ActionTypeSpec> {
    ALL.iter().filter(move |spec| spec.category == category && spec.owner == owner)
}
