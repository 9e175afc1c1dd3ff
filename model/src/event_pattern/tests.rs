use super::EventPattern;
use serde_json::{json, Value};

/// A Sluice stage failure, as the outbox writes it.
fn failed_stage() -> Value {
    json!({
        "version": "0",
        "id": "3a8c0e41-6a6c-4d09-9a1e-0c5c3c1f2b11",
        "detail-type": "CodePipeline Stage Execution State Change",
        "source": "aws.codepipeline",
        "account": "000000000000",
        "time": "2026-12-02T18:10:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:codepipeline:us-east-1:000000000000:web-app"],
        "detail": {
            "pipeline": "web-app",
            "execution-id": "e-1",
            "stage": "Build",
            "state": "FAILED",
            "version": 3,
            "source-ip": "10.1.2.3",
            "tags": ["team-a", "nightly"]
        }
    })
}

fn matches(pattern: Value) -> bool {
    EventPattern::from_value(&pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).matches(&failed_stage())
}

fn refusal(pattern: &str) -> String {
    EventPattern::parse(pattern).expect_err(pattern).to_string()
}

#[test]
fn exact_values_nested_fields_and_arrays() {
    assert!(matches(json!({ "source": ["aws.codepipeline"] })));
    assert!(matches(json!({ "source": ["aws.codebuild", "aws.codepipeline"] })));
    assert!(!matches(json!({ "source": ["aws.codebuild"] })));
    assert!(matches(json!({ "detail": { "state": ["FAILED", "CANCELED"], "stage": ["Build"] } })));
    // Every field must match.
    assert!(!matches(json!({ "detail": { "state": ["FAILED"], "stage": ["Deploy"] } })));
    // An array in the event matches when any element does.
    assert!(matches(json!({ "resources": ["arn:aws:codepipeline:us-east-1:000000000000:web-app"] })));
    assert!(matches(json!({ "detail": { "tags": ["nightly"] } })));
    // Numbers compare by value, and only with numbers.
    assert!(matches(json!({ "detail": { "version": [3.0] } })));
    assert!(!matches(json!({ "detail": { "version": ["3"] } })));
    // A field the event lacks never matches a value.
    assert!(!matches(json!({ "detail": { "action": ["Compile"] } })));
    assert!(!matches(json!({ "missing": { "state": ["FAILED"] } })));
}

#[test]
fn prefix_suffix_case_and_wildcard() {
    assert!(matches(json!({ "detail-type": [{ "prefix": "CodePipeline Stage" }] })));
    assert!(!matches(json!({ "detail-type": [{ "prefix": "codepipeline stage" }] })));
    assert!(matches(json!({ "detail-type": [{ "prefix": { "equals-ignore-case": "codepipeline stage" } }] })));
    assert!(matches(json!({ "detail-type": [{ "suffix": "State Change" }] })));
    assert!(matches(json!({ "detail-type": [{ "suffix": { "equals-ignore-case": "STATE CHANGE" } }] })));
    assert!(matches(json!({ "detail": { "state": [{ "equals-ignore-case": "failed" }] } })));
    assert!(matches(json!({ "detail-type": [{ "wildcard": "CodePipeline * Change" }] })));
    assert!(matches(json!({ "resources": [{ "wildcard": "arn:aws:codepipeline:*:web-*" }] })));
    assert!(!matches(json!({ "resources": [{ "wildcard": "arn:aws:codepipeline:*:api-*" }] })));
    assert!(!matches(json!({ "detail": { "stage": [{ "wildcard": "Bui" }] } })));
    assert!(matches(json!({ "detail": { "stage": [{ "wildcard": "*" }] } })));
}

#[test]
fn anything_but_in_each_form() {
    assert!(matches(json!({ "detail": { "state": [{ "anything-but": "SUCCEEDED" }] } })));
    assert!(!matches(json!({ "detail": { "state": [{ "anything-but": ["SUCCEEDED", "FAILED"] }] } })));
    assert!(!matches(json!({ "detail": { "version": [{ "anything-but": [1, 2, 3] }] } })));
    assert!(!matches(json!({ "detail": { "state": [{ "anything-but": { "prefix": "FAIL" } }] } })));
    assert!(matches(json!({ "detail": { "state": [{ "anything-but": { "suffix": "ED-NOT" } }] } })));
    assert!(!matches(json!({ "detail": { "state": [{ "anything-but": { "equals-ignore-case": ["failed"] } }] } })));
    assert!(!matches(json!({ "detail": { "stage": [{ "anything-but": { "wildcard": "B*d" } }] } })));
    // The field must be there for anything-but to match.
    assert!(!matches(json!({ "detail": { "action": [{ "anything-but": "Compile" }] } })));
}

#[test]
fn numeric_ranges_exists_and_cidr() {
    assert!(matches(json!({ "detail": { "version": [{ "numeric": [">", 2, "<=", 3] }] } })));
    assert!(!matches(json!({ "detail": { "version": [{ "numeric": [">", 3] }] } })));
    assert!(matches(json!({ "detail": { "version": [{ "numeric": ["=", 3] }] } })));
    assert!(!matches(json!({ "detail": { "stage": [{ "numeric": [">", 0] }] } })));
    assert!(matches(json!({ "detail": { "stage": [{ "exists": true }] } })));
    assert!(!matches(json!({ "detail": { "stage": [{ "exists": false }] } })));
    assert!(matches(json!({ "detail": { "action": [{ "exists": false }] } })));
    assert!(!matches(json!({ "detail": { "action": [{ "exists": true }] } })));
    assert!(matches(json!({ "detail": { "source-ip": [{ "cidr": "10.1.0.0/16" }] } })));
    assert!(!matches(json!({ "detail": { "source-ip": [{ "cidr": "10.2.0.0/16" }] } })));
    assert!(matches(json!({ "detail": { "source-ip": [{ "cidr": "0.0.0.0/0" }] } })));
}

#[test]
fn or_needs_one_alternative() {
    let either = |stage: &str| {
        json!({ "source": ["aws.codepipeline"], "$or": [
            { "detail": { "stage": [stage] } },
            { "detail": { "state": ["CANCELED"] } }
        ] })
    };
    assert!(matches(either("Build")));
    assert!(!matches(either("Deploy")));
}

#[test]
fn refusals_name_the_reason_and_the_field() {
    assert!(refusal("[1]").contains("a pattern is a JSON object"));
    assert!(refusal("{").contains("not valid JSON"));
    assert!(refusal(r#"{"source": "aws.codepipeline"}"#).contains("inside an array"));
    assert!(refusal(r#"{"detail": {"state": []}}"#).contains("(at \"detail.state\")"));
    assert!(refusal(r#"{"source": [{"prefix": 1}]}"#).contains("\"prefix\" takes a string"));
    assert!(refusal(r#"{"source": [{"begins": "a"}]}"#).contains("unknown operator \"begins\""));
    assert!(refusal(r#"{"source": [{"prefix": "a", "suffix": "b"}]}"#).contains("exactly one operator"));
    assert!(refusal(r#"{"n": [{"numeric": ["<", 5, ">", 1]}]}"#).contains("lower bound"));
    assert!(refusal(r#"{"n": [{"numeric": ["~", 5]}]}"#).contains("not a comparison"));
    assert!(refusal(r#"{"ip": [{"cidr": "10.0.0.0/33"}]}"#).contains("not an IP address range"));
    assert!(refusal(r#"{"s": [{"anything-but": ["a", 1]}]}"#).contains("anything-but"));
    assert!(refusal(r#"{"s": [{"wildcard": "a**b"}]}"#).contains("two * in a row"));
    assert!(refusal(r#"{"$or": [{"a": ["b"]}]}"#).contains("at least two"));
    assert!(refusal(r#"{"exists": [{"exists": "yes"}]}"#).contains("true or false"));
}
