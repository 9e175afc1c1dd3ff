//! Variable references `#{namespace.key}`: which ones an action may use (the editor offers
//! them), and resolving them just before an action runs.

use crate::catalog;
use crate::pipeline::PipelineDeclaration;

/// The references (`namespace.key`, without `#{}`) an action at `stage` with `run_order` may
/// use: the execution id, the pipeline's variables, and the keys known for the namespaces of
/// actions that finish before it (the catalogue's output variables, or the declared
/// `outputVariables` of providers whose keys are dynamic).
pub fn available_references(pipeline: &PipelineDeclaration, stage: usize, run_order: u32) -> Vec<String> {
    let mut found = vec!["codepipeline.PipelineExecutionId".to_string()];
    found.extend(pipeline.variables.iter().map(|v| format!("variables.{}", v.name)));
    for (index, s) in pipeline.stages.iter().enumerate().take(stage + 1) {
        let earlier = s.actions.iter().filter(|a| index < stage || a.run_order < run_order);
        for action in earlier {
            let Some(namespace) = &action.namespace else { continue };
            let id = &action.action_type_id;
            let known = catalog::find(id.category, id.owner, &id.provider, &id.version)
                .map(|spec| spec.variables)
                .unwrap_or_default();
            let keys = known.iter().copied().chain(action.output_variables.iter().map(String::as_str));
            found.extend(keys.map(|key| format!("{namespace}.{key}")));
        }
    }
    found.dedup();
    found
}

/// Replaces every `#{namespace.key}` in `text` with `lookup(namespace, key)`. The first reference
/// that cannot be resolved is returned as the error, spelled as written. An unclosed `#{` stays
/// literal text, as in CodePipeline.
pub fn substitute(text: &str, lookup: impl Fn(&str, &str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let value = inner
            .split_once('.')
            .filter(|(namespace, key)| !namespace.is_empty() && !key.is_empty())
            .and_then(|(namespace, key)| lookup(namespace, key))
            .ok_or_else(|| format!("#{{{inner}}}"))?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{available_references, substitute};
    use crate::{parse_pipeline, PipelineDeclaration};

    fn pipeline() -> PipelineDeclaration {
        parse_pipeline(
            r#"{"name": "p", "roleArn": "arn:aws:iam::1:role/r", "pipelineType": "V2",
                "artifactStore": {"type": "S3", "location": "b"},
                "variables": [{"name": "Env"}],
                "stages": [
                  {"name": "Source", "actions": [{"name": "Src", "namespace": "SourceVariables",
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                    "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "Out"}]}]},
                  {"name": "Build", "actions": [
                    {"name": "Cmd", "namespace": "Cmd", "runOrder": 1, "commands": ["echo"], "outputVariables": ["VERSION"],
                     "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
                     "inputArtifacts": [{"name": "Out"}]},
                    {"name": "Later", "runOrder": 2,
                     "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}
                ]}"#,
        )
        .expect("a valid pipeline")
    }

    #[test]
    fn offers_what_runs_earlier() {
        let p = pipeline();
        let first = available_references(&p, 0, 1);
        assert_eq!(first, ["codepipeline.PipelineExecutionId", "variables.Env"]);
        let in_build_first_group = available_references(&p, 1, 1);
        assert!(in_build_first_group.contains(&"SourceVariables.VersionId".to_string()), "{in_build_first_group:?}");
        assert!(!in_build_first_group.iter().any(|r| r.starts_with("Cmd.")), "same group runs in parallel");
        let after_commands = available_references(&p, 1, 2);
        assert!(after_commands.contains(&"Cmd.VERSION".to_string()), "{after_commands:?}");
    }

    fn lookup(namespace: &str, key: &str) -> Option<String> {
        (namespace == "Src" && key == "CommitId").then(|| "abc123".to_owned())
    }

    #[test]
    fn replaces_known_references_and_keeps_plain_text() {
        assert_eq!(substitute("v-#{Src.CommitId}!", lookup).unwrap(), "v-abc123!");
        assert_eq!(substitute("#{Src.CommitId}#{Src.CommitId}", lookup).unwrap(), "abc123abc123");
        assert_eq!(substitute("no refs, #{ unclosed", lookup).unwrap(), "no refs, #{ unclosed");
    }

    #[test]
    fn names_the_first_unknown_reference() {
        assert_eq!(substitute("#{Src.Nope} #{X.Y}", lookup).unwrap_err(), "#{Src.Nope}");
        assert_eq!(substitute("#{malformed}", lookup).unwrap_err(), "#{malformed}");
    }
}
