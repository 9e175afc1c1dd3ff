//! Actions of custom types, validated against the types that exist (`CustomTypes::Known`) and,
//! where the caller cannot know them (`validate`, `CustomTypes::Unknown`), accepted as before.
mod support;

use model::catalog::CustomActionType;
use model::{validate, validate_with_custom_types, ActionOwner, CustomTypes, InputArtifact};
use support::{action, base};

fn jenkins() -> CustomActionType {
    serde_json::from_value(serde_json::json!({
        "category": "Test", "provider": "Jenkins", "version": "1",
        "configurationProperties": [
            { "name": "Project", "required": true, "key": true, "secret": false, "queryable": true },
            { "name": "Token", "required": false, "key": false, "secret": true }
        ],
        "inputArtifactDetails": { "minimumCount": 1, "maximumCount": 1 },
        "outputArtifactDetails": { "minimumCount": 0, "maximumCount": 0 }
    }))
    .unwrap()
}

/// The base pipeline with its Build/Test action turned into a Jenkins test action.
fn with_jenkins_test(configure: impl FnOnce(&mut model::ActionDeclaration)) -> model::PipelineDeclaration {
    let mut p = base();
    let test = action(&mut p, 1, 1);
    test.action_type_id.owner = ActionOwner::Custom;
    test.action_type_id.provider = "Jenkins".into();
    test.configuration.clear();
    test.configuration.insert("Project".into(), "web-app".into());
    configure(test);
    p
}

fn codes(p: &model::PipelineDeclaration, types: &[CustomActionType]) -> Vec<&'static str> {
    validate_with_custom_types(p, "us-east-1", CustomTypes::Known(types)).into_iter().map(|e| e.code).collect()
}

#[test]
fn an_action_that_fits_its_declared_type_is_valid() {
    let p = with_jenkins_test(|_| {});
    assert_eq!(codes(&p, &[jenkins()]), Vec::<&str>::new());
}

#[test]
fn a_type_that_does_not_exist_is_refused_only_when_the_types_are_known() {
    let p = with_jenkins_test(|_| {});
    let errors = validate_with_custom_types(&p, "us-east-1", CustomTypes::Known(&[]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "unknown-action-type");
    assert_eq!(errors[0].exception.name(), "InvalidActionDeclarationException");
    assert!(errors[0].message.contains("Provider: 'Jenkins'"), "{}", errors[0].message);
    assert_eq!(validate(&p), vec![]);
}

#[test]
fn declared_properties_and_artifact_counts_are_enforced() {
    let p = with_jenkins_test(|test| {
        test.configuration.clear();
        test.configuration.insert("Typo".into(), "x".into());
        test.input_artifacts.push(InputArtifact { name: "SourceOut".into() });
    });
    let found = codes(&p, &[jenkins()]);
    for expected in ["missing-required-configuration", "unknown-configuration-key", "input-artifact-count"] {
        assert!(found.contains(&expected), "{expected} in {found:?}");
    }
}

#[test]
fn a_queryable_value_must_be_a_short_token_unless_it_is_a_variable() {
    let bad = with_jenkins_test(|test| {
        test.configuration.insert("Project".into(), "has spaces".into());
    });
    assert_eq!(codes(&bad, &[jenkins()]), vec!["queryable-value-invalid"]);
    let variable = with_jenkins_test(|test| {
        test.configuration.insert("Project".into(), "#{SourceVars.BranchName}".into());
    });
    assert_eq!(codes(&variable, &[jenkins()]), Vec::<&str>::new());
}
