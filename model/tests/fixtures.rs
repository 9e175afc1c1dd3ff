//! Every fixture parses, validates as expected, and serializes back to the same JSON once AWS's
//! defaults are filled in (runOrder 1, empty configuration and artifact lists).

use std::fs;
use std::path::PathBuf;

use model::{parse_pipeline, parse_pipeline_document, validate, PipelineDocument};
use serde_json::Value;

/// Fixture → the error codes it is expected to produce (see fixtures/README.md for why).
const EXPECTED: &[(&str, &[&str])] = &[
    ("ug-first-pipeline.json", &["role-arn-invalid"]),
    ("ug-cross-region.json", &["role-arn-invalid"]),
    ("ug-variables-codecommit-codebuild.json", &[]),
    ("ug-manual-approval.json", &[]),
    ("s3-codebuild-cloudformation.json", &[]),
    ("codecommit-codebuild-ecs.json", &[]),
    ("github-connection-v2-triggers.json", &[]),
    ("commands-output-variables.json", &[]),
    ("stage-conditions.json", &[]),
    ("lambda-invoke-variables.json", &[]),
];

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Adds the fields AWS always returns on actions, so the original can be compared with our
/// serialization (which always writes them).
fn with_aws_defaults(mut doc: Value) -> Value {
    let pipeline = match doc.get_mut("pipeline") {
        Some(p) => p,
        None => &mut doc,
    };
    for stage in pipeline["stages"].as_array_mut().expect("stages") {
        for action in stage["actions"].as_array_mut().expect("actions") {
            let action = action.as_object_mut().expect("action object");
            action.entry("runOrder").or_insert(Value::from(1));
            action.entry("configuration").or_insert(Value::Object(Default::default()));
            action.entry("inputArtifacts").or_insert(Value::Array(vec![]));
            action.entry("outputArtifacts").or_insert(Value::Array(vec![]));
        }
    }
    doc
}

#[test]
fn every_fixture_is_listed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut on_disk: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<_> = EXPECTED.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert!(listed.len() >= 8);
}

#[test]
fn fixtures_validate_as_expected() {
    for (name, expected) in EXPECTED {
        let pipeline = parse_pipeline(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let codes: Vec<_> = validate(&pipeline).into_iter().map(|e| e.code).collect();
        assert_eq!(&codes, expected, "{name}");
    }
}

#[test]
fn fixtures_round_trip_to_the_same_json() {
    for (name, _) in EXPECTED {
        let text = fixture(name);
        let original: Value = serde_json::from_str(&text).unwrap();
        let doc: PipelineDocument = parse_pipeline_document(&text).unwrap();
        let reserialized = if original.get("pipeline").is_some() {
            serde_json::to_value(&doc).unwrap()
        } else {
            serde_json::to_value(&doc.pipeline).unwrap()
        };
        assert_eq!(reserialized, with_aws_defaults(original), "{name}");
    }
}

#[test]
fn serialization_follows_get_pipeline_field_order() {
    let pipeline = parse_pipeline(&fixture("github-connection-v2-triggers.json")).unwrap();
    let value = serde_json::to_value(&pipeline).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&value),
        [
            "name",
            "roleArn",
            "artifactStore",
            "stages",
            "version",
            "executionMode",
            "pipelineType",
            "variables",
            "triggers"
        ]
    );
    let action = &value["stages"][0]["actions"][0];
    assert_eq!(
        keys(action),
        ["name", "actionTypeId", "runOrder", "configuration", "outputArtifacts", "inputArtifacts", "namespace"]
    );
    assert_eq!(keys(&action["actionTypeId"]), ["category", "owner", "provider", "version"]);
    // Configuration keeps the document's key order.
    assert_eq!(
        keys(&action["configuration"]),
        ["ConnectionArn", "FullRepositoryId", "BranchName", "OutputArtifactFormat", "DetectChanges"]
    );
}

#[test]
fn reserializing_twice_is_stable() {
    for (name, _) in EXPECTED {
        let once = serde_json::to_string(&parse_pipeline(&fixture(name)).unwrap()).unwrap();
        let twice = serde_json::to_string(&parse_pipeline(&once).unwrap()).unwrap();
        assert_eq!(once, twice, "{name}");
    }
}
