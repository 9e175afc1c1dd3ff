//! Sanity of the static catalogue: ids unique, bounds sane, lookups exact.

use model::catalog;
use model::{ActionCategory, ActionOwner};
use std::collections::HashSet;

#[test]
fn action_type_ids_are_unique() {
    let mut seen = HashSet::new();
    for spec in catalog::all() {
        let id = (spec.category, spec.owner, spec.provider, spec.version);
        assert!(seen.insert(id), "duplicate catalogue entry {id:?}");
    }
    assert!(catalog::all().len() >= 30);
}

#[test]
fn bounds_and_properties_are_consistent() {
    for spec in catalog::all() {
        assert!(spec.input_artifacts.0 <= spec.input_artifacts.1, "{}", spec.provider);
        assert!(spec.output_artifacts.0 <= spec.output_artifacts.1, "{}", spec.provider);
        let mut names = HashSet::new();
        for p in spec.properties {
            assert!(names.insert(p.name), "{} lists {} twice", spec.provider, p.name);
            assert!(p.name.len() <= 50, "configuration keys are at most 50 chars");
        }
    }
}

#[test]
fn every_section_6_provider_is_catalogued() {
    use ActionCategory::*;
    let aws = ActionOwner::Aws;
    let expected = [
        (Source, aws, "S3"),
        (Source, aws, "CodeCommit"),
        (Source, aws, "ECR"),
        (Source, aws, "CodeStarSourceConnection"),
        (Source, ActionOwner::ThirdParty, "GitHub"),
        (Build, aws, "CodeBuild"),
        (Test, aws, "CodeBuild"),
        (Build, aws, "ECRBuildAndPublish"),
        (Test, aws, "DeviceFarm"),
        (Compute, aws, "Commands"),
        (Approval, aws, "Manual"),
        (Deploy, aws, "S3"),
        (Deploy, aws, "CloudFormation"),
        (Deploy, aws, "CloudFormationStackSet"),
        (Deploy, aws, "CloudFormationStackInstances"),
        (Deploy, aws, "CodeDeploy"),
        (Deploy, aws, "CodeDeployToECS"),
        (Deploy, aws, "ECS"),
        (Deploy, aws, "ElasticBeanstalk"),
        (Deploy, aws, "OpsWorks"),
        (Deploy, aws, "ServiceCatalog"),
        (Deploy, ActionOwner::ThirdParty, "AlexaSkillsKit"),
        (Deploy, aws, "EC2"),
        (Deploy, aws, "EKS"),
        (Deploy, aws, "Lambda"),
        (Deploy, aws, "AppConfig"),
        (Invoke, aws, "Lambda"),
        (Invoke, aws, "StepFunctions"),
        (Invoke, aws, "CodePipeline"),
        (Invoke, aws, "InspectorScan"),
        (Invoke, ActionOwner::ThirdParty, "Snyk"),
    ];
    for (category, owner, provider) in expected {
        assert!(catalog::find(category, owner, provider, "1").is_some(), "{category}/{owner}/{provider} missing");
    }
}

#[test]
fn find_is_exact() {
    let build = catalog::find(ActionCategory::Build, ActionOwner::Aws, "CodeBuild", "1").unwrap();
    assert_eq!(build.input_artifacts, (1, 5));
    assert!(build.property("ProjectName").unwrap().required);
    assert!(catalog::find(ActionCategory::Build, ActionOwner::Aws, "codebuild", "1").is_none());
    assert!(catalog::find(ActionCategory::Build, ActionOwner::Aws, "CodeBuild", "2").is_none());
    assert!(catalog::find(ActionCategory::Deploy, ActionOwner::Aws, "CodeBuild", "1").is_none());
}

#[test]
fn secrets_are_flagged() {
    let gh = catalog::find(ActionCategory::Source, ActionOwner::ThirdParty, "GitHub", "1").unwrap();
    assert!(gh.property("OAuthToken").unwrap().secret);
    assert!(!gh.property("Owner").unwrap().secret);
}

#[test]
fn rule_types_cover_the_six_providers() {
    let names: Vec<_> = catalog::rule_types().iter().map(|r| r.provider).collect();
    assert_eq!(
        names,
        ["CloudWatchAlarm", "CodeBuild", "Commands", "DeploymentWindow", "LambdaInvoke", "VariableCheck"]
    );
    assert!(catalog::find_rule_type("Commands", "1").unwrap().uses_commands);
    assert!(catalog::find_rule_type("Nope", "1").is_none());
}

#[test]
fn approval_rules_parse_with_codepipeline_defaults() {
    use catalog::ApprovalRule;
    assert_eq!(ApprovalRule::parse(None, None), Ok(ApprovalRule { required: 1, allow_self: true }));
    assert_eq!(ApprovalRule::parse(Some("3"), Some("False")), Ok(ApprovalRule { required: 3, allow_self: false }));
    for bad in ["0", "11", "two", ""] {
        let err = ApprovalRule::parse(Some(bad), None).unwrap_err();
        assert!(err.contains("RequiredApprovals"), "{err}");
    }
    assert!(ApprovalRule::parse(None, Some("yes")).unwrap_err().contains("AllowSelfApproval"));
}
