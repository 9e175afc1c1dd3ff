//! CodePipeline's largest pipeline (50 stages, 500 actions), valid, for measuring the validator
//! natively (`examples/validate_bench.rs`) and in the browser's wasm (`scripts/bench-editor`).

use crate::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType, InputArtifact,
    OutputArtifact, PipelineDeclaration, StageDeclaration,
};

const STAGES: usize = 50;
const ACTIONS_PER_STAGE: usize = 10;

/// A source stage, then stages of CodeBuild actions in two groups, each consuming the previous
/// stage's output, so the artifact and ordering rules have real work to do.
pub fn largest_pipeline() -> PipelineDeclaration {
    let stages = (0..STAGES)
        .map(|s| {
            let actions = (0..ACTIONS_PER_STAGE)
                .map(|a| {
                    if s == 0 {
                        action(
                            format!("Source{a}"),
                            ActionCategory::Source,
                            "S3",
                            1,
                            &[("S3Bucket", "b"), ("S3ObjectKey", "k.zip")],
                            None,
                            format!("Out0x{a}"),
                        )
                    } else {
                        let input = format!("Out{}x{a}", s - 1);
                        let run_order = if a < ACTIONS_PER_STAGE / 2 { 1 } else { 2 };
                        action(
                            format!("Build{a}"),
                            ActionCategory::Build,
                            "CodeBuild",
                            run_order,
                            &[("ProjectName", "p")],
                            Some(input),
                            format!("Out{s}x{a}"),
                        )
                    }
                })
                .collect();
            StageDeclaration {
                name: format!("Stage{s}"),
                blockers: Vec::new(),
                actions,
                before_entry: None,
                on_success: None,
                on_failure: None,
            }
        })
        .collect();
    PipelineDeclaration {
        name: "largest".into(),
        role_arn: "arn:aws:iam::123456789012:role/largest".into(),
        artifact_store: Some(ArtifactStore {
            store_type: ArtifactStoreType::S3,
            location: "largest-artifacts".into(),
            encryption_key: None,
        }),
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
    let action_type_id =
        ActionTypeId { category, owner: ActionOwner::Aws, provider: provider.into(), version: "1".into() };
    ActionDeclaration {
        run_order,
        configuration: configuration.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        output_artifacts: vec![OutputArtifact { name: output, files: Vec::new() }],
        input_artifacts: input.map(|name| vec![InputArtifact { name }]).unwrap_or_default(),
        ..ActionDeclaration::new(name, action_type_id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_largest_pipeline_is_valid_and_at_the_limits() {
        let pipeline = super::largest_pipeline();
        assert_eq!((pipeline.stages.len(), pipeline.actions().count()), (50, 500));
        let errors = crate::validate(&pipeline);
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
