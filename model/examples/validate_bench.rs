//! How long the validator takes on CodePipeline's largest pipeline (50 stages, 500 actions),
//! the size the editor re-checks on every change. Run with
//! `cargo run --release -p model --example validate_bench`.
use std::time::{Duration, Instant};

use model::{ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType, InputArtifact, OutputArtifact, PipelineDeclaration, StageDeclaration};

const STAGES: usize = 50;
const ACTIONS_PER_STAGE: usize = 10;
const RUNS: u32 = 200;

fn main() {
    let pipeline = largest_pipeline();
    let errors = model::validate(&pipeline);
    assert!(errors.is_empty(), "the benchmark pipeline should be valid: {errors:#?}");
    let mut timings: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(model::validate(std::hint::black_box(&pipeline)));
            start.elapsed()
        })
        .collect();
    timings.sort();
    let fastest = timings[0];
    let median = timings[timings.len() / 2];
    let p95 = timings[timings.len() * 95 / 100];
    println!(
        "validate: {} stages, {} actions: fastest {:.3} ms, median {:.3} ms, p95 {:.3} ms over {RUNS} runs",
        pipeline.stages.len(),
        pipeline.actions().count(),
        fastest.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
    );
}

/// A source stage, then stages of CodeBuild actions in two groups, each consuming the previous
/// stage's output, so the artifact and ordering rules have real work to do.
fn largest_pipeline() -> PipelineDeclaration {
    let stages = (0..STAGES)
        .map(|s| {
            let actions = (0..ACTIONS_PER_STAGE)
                .map(|a| {
                    if s == 0 {
                        action(format!("Source{a}"), ActionCategory::Source, "S3", 1, &[("S3Bucket", "b"), ("S3ObjectKey", "k.zip")], None, format!("Out0x{a}"))
                    } else {
                        let input = format!("Out{}x{a}", s - 1);
                        let run_order = if a < ACTIONS_PER_STAGE / 2 { 1 } else { 2 };
                        action(format!("Build{a}"), ActionCategory::Build, "CodeBuild", run_order, &[("ProjectName", "p")], Some(input), format!("Out{s}x{a}"))
                    }
                })
                .collect();
            StageDeclaration { name: format!("Stage{s}"), blockers: Vec::new(), actions, before_entry: None, on_success: None, on_failure: None }
        })
        .collect();
    PipelineDeclaration {
        name: "largest".into(),
        role_arn: "arn:aws:iam::123456789012:role/largest".into(),
        artifact_store: Some(ArtifactStore { store_type: ArtifactStoreType::S3, location: "largest-artifacts".into(), encryption_key: None }),
        artifact_stores: None,
        stages,
        version: None,
        execution_mode: None,
        pipeline_type: None,
        variables: Vec::new(),
        triggers: Vec::new(),
    }
}

fn action(
    name: String,
    category: ActionCategory,
    provider: &str,
    run_order: u32,
    configuration: &[(&str, &str)],
    input: Option<String>,
    output: String,
) -> ActionDeclaration {
    let action_type_id = ActionTypeId { category, owner: ActionOwner::Aws, provider: provider.into(), version: "1".into() };
    ActionDeclaration {
        run_order,
        configuration: configuration.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        output_artifacts: vec![OutputArtifact { name: output, files: Vec::new() }],
        input_artifacts: input.map(|name| vec![InputArtifact { name }]).unwrap_or_default(),
        ..ActionDeclaration::new(name, action_type_id)
    }
}
