//! Variable references `#{namespace.key}`: the namespace must be `codepipeline`, `variables`
//! (with a declared pipeline variable) or the namespace of an action that has finished by then.

use super::context::{Context, Placement};
use super::error::Exception::InvalidActionDeclaration;
use super::report::{field, Loc, Report};
use crate::pipeline::PipelineDeclaration;

/// One `#{…}` found in a string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reference<'t> {
    Variable { namespace: &'t str, key: &'t str },
    Malformed(&'t str),
}

/// Every `#{…}` in `text`, in order. An unclosed `#{` is not a reference (CodePipeline leaves
/// it as literal text).
pub(crate) fn references(text: &str) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        found.push(match inner.split_once('.') {
            Some((namespace, key)) if !namespace.is_empty() && !key.is_empty() => {
                Reference::Variable { namespace, key }
            }
            _ => Reference::Malformed(inner),
        });
        rest = &after[end + 1..];
    }
    found
}

/// What a piece of text may reference: namespaces of actions satisfying `visible`.
pub(crate) struct Scope<'s, 'a> {
    pub pipeline: &'a PipelineDeclaration,
    pub ctx: &'s Context<'a>,
    pub visible: &'s dyn Fn(&Placement<'_>) -> bool,
}

impl Scope<'_, '_> {
    pub(crate) fn check(&self, at: Loc<'_>, path: &str, text: &str, report: &mut Report) {
        for reference in references(text) {
            match reference {
                Reference::Malformed(inner) => report.add(
                    at,
                    field(path),
                    "variable-reference-malformed",
                    InvalidActionDeclaration,
                    format!("'#{{{inner}}}' in {path} is not a variable reference of the form #{{namespace.key}}"),
                ),
                Reference::Variable { namespace, key } => self.check_variable(at, path, namespace, key, report),
            }
        }
    }

    fn check_variable(&self, at: Loc<'_>, path: &str, namespace: &str, key: &str, report: &mut Report) {
        match namespace {
            "codepipeline" => {}
            "variables" => {
                if !self.pipeline.variables.iter().any(|v| v.name == key) {
                    report.add(
                        at,
                        field(path),
                        "pipeline-variable-undeclared",
                        InvalidActionDeclaration,
                        format!("{path} references #{{variables.{key}}} but the pipeline declares no variable '{key}'"),
                    );
                }
            }
            _ => match self.ctx.namespace_owners.get(namespace) {
                None => report.add(
                    at,
                    field(path),
                    "variable-namespace-unknown",
                    InvalidActionDeclaration,
                    format!("{path} references namespace '{namespace}', which no action declares"),
                ),
                Some(owners) if !owners.iter().any(|o| (self.visible)(o)) => {
                    report.add(
                        at,
                        field(path),
                        "variable-namespace-not-earlier",
                        InvalidActionDeclaration,
                        format!(
                            "{path} references namespace '{namespace}' of {}, which does not run before it",
                            owners[0].describe()
                        ),
                    );
                }
                Some(_) => {}
            },
        }
    }
}

/// Checks references in every action's configuration and environment variable values.
pub(crate) fn check(p: &PipelineDeclaration, ctx: &Context<'_>, report: &mut Report) {
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let at = Loc::stage(si, stage).action(ai, action);
            let here = Placement::of(si, &stage.name, action);
            let visible = |owner: &Placement<'_>| owner.runs_before(&here);
            let scope = Scope { pipeline: p, ctx, visible: &visible };
            for (key, value) in &action.configuration {
                scope.check(at, &format!("configuration.{key}"), value, report);
            }
            for (i, var) in action.environment_variables.iter().enumerate() {
                scope.check(at, &format!("environmentVariables[{i}].value"), &var.value, report);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_and_skips_unclosed() {
        let found = references("a #{Src.CommitId} b #{variables.Env}-#{bad} #{open");
        assert_eq!(
            found,
            vec![
                Reference::Variable { namespace: "Src", key: "CommitId" },
                Reference::Variable { namespace: "variables", key: "Env" },
                Reference::Malformed("bad"),
            ]
        );
        assert!(references("plain ${SHELL} text").is_empty());
    }
}
