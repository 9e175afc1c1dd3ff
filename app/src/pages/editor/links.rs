//! Artifacts as connections: which action's output each input comes from, and the inputs no
//! earlier action produces (drawn dangling on the canvas).
use model::PipelineDeclaration;

/// An action's place on the canvas: (stage index, action index).
pub type At = (usize, usize);

/// One input artifact and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub artifact: String,
    /// None when nothing upstream produces it: the input dangles.
    pub from: Option<At>,
    pub to: At,
}

/// Every input artifact of the pipeline with its producer: the latest action that outputs the
/// name and finishes before the consumer starts (an earlier stage, or a lower run order).
pub fn artifact_links(pipeline: &PipelineDeclaration) -> Vec<Link> {
    let mut links = Vec::new();
    for (si, stage) in pipeline.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            for input in &action.input_artifacts {
                let from = producer(pipeline, &input.name, si, action.run_order);
                links.push(Link { artifact: input.name.clone(), from, to: (si, ai) });
            }
        }
    }
    links
}

fn producer(pipeline: &PipelineDeclaration, artifact: &str, stage: usize, run_order: u32) -> Option<At> {
    let stages = pipeline.stages.iter().enumerate().take(stage + 1).rev();
    stages.flat_map(|(si, s)| s.actions.iter().enumerate().rev().map(move |(ai, a)| (si, ai, a))).find_map(
        |(si, ai, a)| {
            let earlier = si < stage || a.run_order < run_order;
            (earlier && a.output_artifacts.iter().any(|o| o.name == artifact)).then_some((si, ai))
        },
    )
}

/// The inputs of the action at `at` that nothing upstream produces.
pub fn dangling_inputs(links: &[Link], at: At) -> Vec<String> {
    links.iter().filter(|l| l.to == at && l.from.is_none()).map(|l| l.artifact.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_link_to_their_upstream_producer_or_dangle() {
        let pipeline = model::parse_pipeline(
            r#"{"name": "p", "roleArn": "arn:aws:iam::1:role/r", "artifactStore": {"type": "S3", "location": "b"},
                "stages": [
                  {"name": "Source", "actions": [{"name": "Src",
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                    "outputArtifacts": [{"name": "Code"}]}]},
                  {"name": "Build", "actions": [
                    {"name": "Compile", "runOrder": 1, "inputArtifacts": [{"name": "Code"}], "outputArtifacts": [{"name": "Bin"}],
                     "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}},
                    {"name": "Parallel", "runOrder": 1, "inputArtifacts": [{"name": "Bin"}],
                     "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"}},
                    {"name": "After", "runOrder": 2, "inputArtifacts": [{"name": "Bin"}, {"name": "Nowhere"}],
                     "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"}}]}
                ]}"#,
        )
        .expect("parses");
        let links = artifact_links(&pipeline);
        let link = |artifact: &str, from, to| Link { artifact: artifact.into(), from, to };
        assert_eq!(
            links,
            [
                link("Code", Some((0, 0)), (1, 0)),
                // Same group: runs at the same time, so Compile's output is not there yet.
                link("Bin", None, (1, 1)),
                link("Bin", Some((1, 0)), (1, 2)),
                link("Nowhere", None, (1, 2)),
            ]
        );
        assert_eq!(dangling_inputs(&links, (1, 2)), ["Nowhere"]);
        assert!(dangling_inputs(&links, (1, 0)).is_empty());
    }
}
