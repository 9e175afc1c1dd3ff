//! Stage conditions: which results each kind allows, rule counts, and each rule's own fields.

use std::collections::HashSet;

use super::context::{Context, Placement};
use super::error::Exception::{InvalidStageDeclaration, Validation};
use super::references::Scope;
use super::report::{field, Loc, Report};
use super::text::{is_entity_name, is_role_arn, is_type_token, len_between};
use crate::catalog;
use crate::pipeline::{Condition, ConditionResult, ExecutionMode, PipelineDeclaration, RuleDeclaration};
use ConditionResult::{Fail, Retry, Rollback, Skip};

/// One condition block of a stage, with what it may do and what it may see.
struct Kind {
    name: &'static str,
    allowed: &'static [ConditionResult],
    /// beforeEntry runs before the stage's actions, so it sees only earlier stages.
    sees_own_stage: bool,
}

const BEFORE_ENTRY: Kind = Kind { name: "beforeEntry", allowed: &[Fail, Skip], sees_own_stage: false };
const ON_SUCCESS: Kind = Kind { name: "onSuccess", allowed: &[Rollback, Fail], sees_own_stage: true };
const ON_FAILURE: Kind = Kind { name: "onFailure", allowed: &[Rollback, Retry, Fail], sees_own_stage: true };

pub(crate) fn check(p: &PipelineDeclaration, ctx: &Context<'_>, report: &mut Report) {
    for (si, stage) in p.stages.iter().enumerate() {
        let checker = StageConditions { p, ctx, si, at: Loc::stage(si, stage) };
        if let Some(before) = &stage.before_entry {
            checker.block(&BEFORE_ENTRY, &before.conditions, true, report);
        }
        if let Some(success) = &stage.on_success {
            checker.block(&ON_SUCCESS, &success.conditions, true, report);
        }
        if let Some(failure) = &stage.on_failure {
            checker.block(&ON_FAILURE, &failure.conditions, false, report);
            checker.result(&ON_FAILURE, "onFailure.result", failure.result, report);
            checker.retry(failure.result, failure.retry_configuration.is_some(), report);
        }
    }
}

struct StageConditions<'s, 'a> {
    p: &'a PipelineDeclaration,
    ctx: &'s Context<'a>,
    si: usize,
    at: Loc<'a>,
}

impl StageConditions<'_, '_> {
    fn block(&self, kind: &Kind, conditions: &[Condition], required: bool, report: &mut Report) {
        let count = conditions.len();
        if count > 1 || (required && count == 0) {
            let expected = if required { "exactly one" } else { "at most one" };
            report.add(
                self.at,
                field(format!("{}.conditions", kind.name)),
                "condition-count",
                InvalidStageDeclaration,
                format!("{} has {count} conditions; it takes {expected}", kind.name),
            );
        }
        for (ci, condition) in conditions.iter().enumerate() {
            let path = format!("{}.conditions[{ci}]", kind.name);
            self.result(kind, &format!("{path}.result"), condition.result, report);
            if !(1..=5).contains(&condition.rules.len()) {
                report.add(
                    self.at,
                    field(format!("{path}.rules")),
                    "condition-rule-count",
                    InvalidStageDeclaration,
                    format!("{} condition has {} rules; it takes 1-5", kind.name, condition.rules.len()),
                );
            }
            let mut names = HashSet::new();
            for (ri, rule) in condition.rules.iter().enumerate() {
                let rule_path = format!("{path}.rules[{ri}]");
                if !names.insert(rule.name.as_str()) {
                    report.add(
                        self.at,
                        field(format!("{rule_path}.name")),
                        "rule-name-duplicate",
                        InvalidStageDeclaration,
                        format!("rule '{}' appears twice in one condition", rule.name),
                    );
                }
                self.rule(kind, &rule_path, rule, report);
            }
        }
    }

    fn result(&self, kind: &Kind, path: &str, result: Option<ConditionResult>, report: &mut Report) {
        let Some(result) = result else { return };
        if !kind.allowed.contains(&result) {
            let allowed: Vec<_> = kind.allowed.iter().map(|r| r.as_str()).collect();
            report.add(
                self.at,
                field(path),
                "condition-result-not-allowed",
                InvalidStageDeclaration,
                format!("{} cannot use result {result}; allowed: {}", kind.name, allowed.join(", ")),
            );
        }
        if result == Rollback && self.p.effective_execution_mode() == ExecutionMode::Parallel {
            report.add(
                self.at,
                field(path),
                "rollback-in-parallel-mode",
                InvalidStageDeclaration,
                "PARALLEL pipelines cannot roll back; use FAIL or RETRY",
            );
        }
    }

    fn retry(&self, result: Option<ConditionResult>, has_config: bool, report: &mut Report) {
        let retrying = result == Some(Retry);
        if retrying && !has_config {
            report.add(
                self.at,
                field("onFailure.retryConfiguration"),
                "retry-configuration-missing",
                InvalidStageDeclaration,
                "onFailure result RETRY needs a retryConfiguration (retryMode)",
            );
        }
        if !retrying && has_config {
            report.add(
                self.at,
                field("onFailure.retryConfiguration"),
                "retry-configuration-unexpected",
                InvalidStageDeclaration,
                "onFailure has a retryConfiguration but its result is not RETRY",
            );
        }
    }

    fn rule(&self, kind: &Kind, path: &str, rule: &RuleDeclaration, report: &mut Report) {
        let at = self.at;
        let name = &rule.name;
        if !is_entity_name(name) {
            report.add(
                at,
                field(format!("{path}.name")),
                "rule-name-invalid",
                Validation,
                format!("rule name '{name}' must be 1-100 characters of A-Z, a-z, 0-9, '.', '@', '-' or '_'"),
            );
        }
        let id = &rule.rule_type_id;
        let version = id.version.as_deref().unwrap_or("1");
        let spec = if is_type_token(&id.provider, 35) && is_type_token(version, 9) {
            catalog::find_rule_type(&id.provider, version)
        } else {
            None
        };
        let Some(spec) = spec else {
            let known: Vec<_> = catalog::rule_types().iter().map(|r| r.provider).collect();
            report.add(
                at,
                field(format!("{path}.ruleTypeId.provider")),
                "unknown-rule-type",
                InvalidStageDeclaration,
                format!(
                    "rule '{name}' uses unknown rule provider '{}' version '{version}' (known: {})",
                    id.provider,
                    known.join(", ")
                ),
            );
            return;
        };
        for prop in spec.properties.iter().filter(|p| p.required) {
            if !rule.configuration.contains_key(prop.name) {
                report.add(
                    at,
                    field(format!("{path}.configuration.{}", prop.name)),
                    "rule-missing-required-configuration",
                    InvalidStageDeclaration,
                    format!("rule '{name}' ({}) needs configuration key '{}'", spec.provider, prop.name),
                );
            }
        }
        if spec.uses_commands == rule.commands.is_empty() || rule.commands.len() > 50 {
            let want = if spec.uses_commands { "needs 1-50 commands" } else { "does not take commands" };
            report.add(
                at,
                field(format!("{path}.commands")),
                "rule-commands",
                InvalidStageDeclaration,
                format!("rule '{name}' ({}) {want}", spec.provider),
            );
        }
        if rule.commands.iter().any(|c| !len_between(c, 1, 1000)) {
            report.add(
                at,
                field(format!("{path}.commands")),
                "command-length",
                Validation,
                format!("each command of rule '{name}' must be 1-1000 characters"),
            );
        }
        self.rule_fields(kind, path, rule, spec.input_artifacts, report);
    }

    fn rule_fields(&self, kind: &Kind, path: &str, rule: &RuleDeclaration, inputs: (u8, u8), report: &mut Report) {
        let at = self.at;
        let name = &rule.name;
        if rule.configuration.len() > 200
            || rule.configuration.iter().any(|(k, v)| !len_between(k, 1, 50) || !len_between(v, 1, 10_000))
        {
            report.add(
                at,
                field(format!("{path}.configuration")),
                "rule-configuration-length",
                Validation,
                format!("rule '{name}' configuration takes at most 200 keys of 1-50 characters with values of 1-10000"),
            );
        }
        if rule.timeout_in_minutes.is_some_and(|t| !(5..=86_400).contains(&t)) {
            report.add(
                at,
                field(format!("{path}.timeoutInMinutes")),
                "rule-timeout-out-of-range",
                Validation,
                format!("timeoutInMinutes of rule '{name}' must be 5-86400"),
            );
        }
        if rule.role_arn.as_deref().is_some_and(|r| !is_role_arn(r)) {
            report.add(
                at,
                field(format!("{path}.roleArn")),
                "role-arn-invalid",
                Validation,
                format!("roleArn of rule '{name}' is not an IAM role ARN"),
            );
        }
        let count = rule.input_artifacts.len();
        if count < usize::from(inputs.0) || count > usize::from(inputs.1) {
            report.add(
                at,
                field(format!("{path}.inputArtifacts")),
                "rule-input-artifact-count",
                InvalidStageDeclaration,
                format!("rule '{name}' has {count} input artifact(s); it accepts {}-{}", inputs.0, inputs.1),
            );
        }
        let visible = |owner: &Placement<'_>| {
            owner.before_stage(self.si) || (kind.sees_own_stage && owner.stage_index == self.si)
        };
        for (i, input) in rule.input_artifacts.iter().enumerate() {
            let produced = self
                .ctx
                .artifact_producers
                .get(input.name.as_str())
                .is_some_and(|producers| producers.iter().any(visible));
            if !produced {
                report.add(
                    at,
                    field(format!("{path}.inputArtifacts[{i}].name")),
                    "rule-input-artifact-not-produced",
                    InvalidStageDeclaration,
                    format!(
                        "rule '{name}' reads artifact '{}', which no action produces before the {} condition runs",
                        input.name, kind.name
                    ),
                );
            }
        }
        let scope = Scope { pipeline: self.p, ctx: self.ctx, visible: &visible };
        for (key, value) in &rule.configuration {
            scope.check(at, &format!("{path}.configuration.{key}"), value, report);
        }
    }
}
