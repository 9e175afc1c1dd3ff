//! Parse errors must name the JSON path of the offending field.

use model::{parse_pipeline, parse_pipeline_document};

const MINIMAL: &str = r#"{
  "name": "p", "roleArn": "arn:aws:iam::123456789012:role/r",
  "artifactStore": {"type": "S3", "location": "bucket"},
  "stages": [
    {"name": "Source", "actions": [{"name": "S", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
      "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "Src"}]}]},
    {"name": "Build", "actions": [{"name": "B", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
      "RUN_ORDER_SLOT": 1, "configuration": {"ProjectName": "x"}, "inputArtifacts": [{"name": "Src"}]}]}
  ]
}"#;

fn with_run_order(key_and_value: &str) -> String {
    MINIMAL.replace("\"RUN_ORDER_SLOT\": 1", key_and_value)
}

#[test]
fn minimal_document_parses_with_defaults() {
    let p = parse_pipeline(&with_run_order("\"runOrder\": 2")).expect("valid");
    assert_eq!(p.stages[1].actions[0].run_order, 2);
    assert_eq!(p.stages[0].actions[0].run_order, 1, "runOrder defaults to 1");
    assert!(p.stages[0].actions[0].input_artifacts.is_empty());
}

#[test]
fn unknown_field_names_the_field_and_its_path() {
    let err = parse_pipeline(&with_run_order("\"runorder\": 2")).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0].runorder");
    assert!(err.message.contains("unknown field `runorder`"), "{}", err.message);
    assert!(err.to_string().contains("stages[1].actions[0]"));
    assert_eq!(err.line, 8);
}

#[test]
fn wrong_type_names_the_path() {
    let err = parse_pipeline(&with_run_order("\"runOrder\": \"two\"")).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0].runOrder");
    assert!(err.message.contains("invalid type"), "{}", err.message);
}

#[test]
fn negative_run_order_is_a_parse_error() {
    let err = parse_pipeline(&with_run_order("\"runOrder\": -1")).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0].runOrder");
}

#[test]
fn missing_required_field_is_named() {
    let json = with_run_order("\"runOrder\": 1").replace("\"name\": \"B\", ", "");
    let err = parse_pipeline(&json).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0]");
    assert!(err.message.contains("missing field `name`"), "{}", err.message);
}

#[test]
fn unknown_enum_value_is_named() {
    let json = with_run_order("\"runOrder\": 1").replace("\"Build\", \"owner\"", "\"Bild\", \"owner\"");
    let err = parse_pipeline(&json).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0].actionTypeId.category");
    assert!(err.message.contains("Bild"), "{}", err.message);
}

#[test]
fn wrapped_shape_is_accepted_with_metadata_and_tags() {
    let inner = with_run_order("\"runOrder\": 1");
    let json = format!(
        r#"{{"pipeline": {inner}, "metadata": {{"pipelineArn": "arn:aws:codepipeline:us-east-1:123456789012:p", "created": 1.5}}, "tags": [{{"key": "team", "value": "ci"}}]}}"#
    );
    let doc = parse_pipeline_document(&json).expect("wrapped");
    assert_eq!(doc.pipeline.name, "p");
    assert_eq!(doc.tags.as_ref().map(|t| t[0].key.as_str()), Some("team"));
    assert_eq!(parse_pipeline(&json).expect("wrapped").stages.len(), 2);
}

#[test]
fn wrapped_errors_carry_the_pipeline_prefix() {
    let inner = with_run_order("\"runorder\": 1");
    let err = parse_pipeline(&format!(r#"{{"pipeline": {inner}}}"#)).unwrap_err();
    assert_eq!(err.path, "pipeline.stages[1].actions[0].runorder");
}

#[test]
fn unknown_key_beside_pipeline_is_rejected() {
    let inner = with_run_order("\"runOrder\": 1");
    let err = parse_pipeline(&format!(r#"{{"pipeline": {inner}, "extra": 1}}"#)).unwrap_err();
    assert!(err.message.contains("unknown field `extra`"), "{}", err.message);
}

#[test]
fn syntax_errors_and_trailing_garbage_report_a_position() {
    let err = parse_pipeline("{\"name\": ").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.column > 0);
    let trailing = format!("{} x", with_run_order("\"runOrder\": 1"));
    let err = parse_pipeline(&trailing).unwrap_err();
    assert!(err.message.contains("trailing"), "{}", err.message);
    assert!(parse_pipeline("[]").is_err());
    assert!(parse_pipeline("").is_err());
}

#[test]
fn brackets_commas_and_quotes_inside_strings_do_not_move_the_path() {
    // The path is found by walking the text, so punctuation inside earlier strings must not count.
    let json = with_run_order("\"runorder\": 1").replace("\"S3ObjectKey\": \"k\"", r#""S3ObjectKey": "k,]}\"[{,""#);
    let err = parse_pipeline(&json).unwrap_err();
    assert_eq!(err.path, "stages[1].actions[0].runorder");
}
