use super::*;
use model::{catalog, ActionCategory, ActionOwner};

fn spec(category: ActionCategory, provider: &str) -> &'static ActionTypeSpec {
    catalog::find(category, ActionOwner::Aws, provider, "1").expect("catalogued")
}

fn layout(pipeline: &PipelineDeclaration) -> Vec<Vec<(String, u32)>> {
    pipeline.stages.iter().map(|s| s.actions.iter().map(|a| (a.name.clone(), a.run_order)).collect()).collect()
}

fn two_stages() -> PipelineDeclaration {
    let mut p = blank_pipeline();
    apply(&mut p, Command::AddStage { at: 0 });
    apply(&mut p, Command::AddStage { at: 1 });
    p
}

#[test]
fn stages_get_unique_names_and_move() {
    let mut p = two_stages();
    apply(&mut p, Command::AddStage { at: 2 });
    let names: Vec<_> = p.stages.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["Stage1", "Stage2", "Stage3"]);
    // Dropped on the gap after Stage2: Stage1 lands between Stage2 and Stage3.
    assert_eq!(apply(&mut p, Command::MoveStage { from: 0, to: 2 }), Some(Selection::Stage(1)));
    let names: Vec<_> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Stage2", "Stage1", "Stage3"]);
    assert_eq!(apply(&mut p, Command::MoveStage { from: 9, to: 0 }), None);
}

#[test]
fn actions_land_in_groups_and_new_groups_between_them() {
    let mut p = two_stages();
    let build = spec(ActionCategory::Build, "CodeBuild");
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: build });
    apply(&mut p, Command::AddAction { stage: 1, place: Place::InGroup(0), spec: build });
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(1), spec: build });
    assert_eq!(layout(&p)[1], [("CodeBuild".into(), 1), ("CodeBuild2".into(), 1), ("CodeBuild3".into(), 2)]);
    // A new group between the two pushes the later one back.
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(1), spec: build });
    assert_eq!(
        layout(&p)[1],
        [("CodeBuild".into(), 1), ("CodeBuild2".into(), 1), ("CodeBuild4".into(), 2), ("CodeBuild3".into(), 3)]
    );
    // CodeBuild needs no output, so none is made.
    assert!(artifact_names(&p).is_empty());
}

#[test]
fn moving_an_action_to_another_stage_keeps_names_unique() {
    let mut p = two_stages();
    let build = spec(ActionCategory::Build, "CodeBuild");
    apply(&mut p, Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: build });
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: build });
    let selected = apply(&mut p, Command::MoveAction { stage: 0, action: 0, to_stage: 1, place: Place::InGroup(0) });
    assert_eq!(selected, Some(Selection::Action { stage: 1, action: 1 }));
    assert!(p.stages[0].actions.is_empty());
    assert_eq!(layout(&p)[1], [("CodeBuild".into(), 1), ("CodeBuild2".into(), 1)]);
    // Within a stage: out of the shared group into a step of its own after it.
    apply(&mut p, Command::MoveAction { stage: 1, action: 0, to_stage: 1, place: Place::NewGroupBefore(1) });
    assert_eq!(layout(&p)[1], [("CodeBuild2".into(), 1), ("CodeBuild".into(), 2)]);
}

#[test]
fn duplicates_get_fresh_names_and_artifacts() {
    let mut p = two_stages();
    apply(
        &mut p,
        Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: spec(ActionCategory::Source, "S3") },
    );
    apply(&mut p, Command::DuplicateAction { stage: 0, action: 0 });
    assert_eq!(layout(&p)[0], [("S3".into(), 1), ("S32".into(), 1)]);
    assert_eq!(artifact_names(&p), ["S3Output", "S3Output2"]);
    apply(&mut p, Command::DuplicateStage(0));
    assert_eq!(p.stages[1].name, "Stage1Copy");
    assert_eq!(artifact_names(&p).len(), 4);
    let mut unique = artifact_names(&p);
    unique.dedup();
    assert_eq!(unique.len(), 4);
}

#[test]
fn upstream_artifacts_are_earlier_stages_and_groups() {
    let mut p = two_stages();
    apply(
        &mut p,
        Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: spec(ActionCategory::Source, "S3") },
    );
    let build = spec(ActionCategory::Build, "CodeBuild");
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: build });
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(1), spec: build });
    p.stages[1].actions[0].output_artifacts.push(OutputArtifact { name: "CodeBuildOutput".into(), files: Vec::new() });
    assert_eq!(upstream_artifacts(&p, 1, 1), ["S3Output"]);
    assert_eq!(upstream_artifacts(&p, 1, 2), ["S3Output", "CodeBuildOutput"]);
    assert!(upstream_artifacts(&p, 0, 1).is_empty());
}

#[test]
fn a_new_action_reads_the_nearest_upstream_output() {
    let mut p = two_stages();
    let source = spec(ActionCategory::Source, "S3");
    apply(&mut p, Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: source });
    apply(&mut p, Command::AddAction { stage: 0, place: Place::InGroup(0), spec: source });
    let commands = spec(ActionCategory::Compute, "Commands");
    apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: commands });
    assert_eq!(p.stages[1].actions[0].input_artifacts, [InputArtifact { name: "S3Output2".into() }]);
    // Nothing upstream: nothing wired, the form says what is missing.
    apply(&mut p, Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: commands });
    assert!(p.stages[0].actions[0].input_artifacts.is_empty());
    assert_eq!(blank_pipeline().pipeline_type, Some(model::PipelineType::V2));
}

#[test]
fn stale_indexes_change_nothing() {
    let mut p = two_stages();
    let before = p.clone();
    assert_eq!(apply(&mut p, Command::RemoveAction { stage: 0, action: 3 }), None);
    assert_eq!(apply(&mut p, Command::RenameStage(7, "X".into())), None);
    assert_eq!(apply(&mut p, Command::DuplicateAction { stage: 5, action: 0 }), None);
    assert_eq!(p, before);
}
