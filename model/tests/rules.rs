//! One broken document per validation rule: each case mutates the valid base pipeline in one
//! way and expects the rule's code, exception and location.
//! Long because it is a table: one short case per rule, read by looking a rule's code up.

mod support;

use std::collections::BTreeSet;

use indexmap::IndexMap;
use model::{
    validate, validate_in_region, ConditionResult, EnvironmentVariable, Exception, ExecutionMode, GitFilterCriteria,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType, PipelineVariableDeclaration, ValidationError,
};
use support::{action, approval, approval_stage, base, s3_source, stage};
use Exception::*;

type Mutation = fn(&mut PipelineDeclaration);

struct Case {
    code: &'static str,
    exception: Exception,
    stage: Option<&'static str>,
    action: Option<&'static str>,
    field: &'static str,
    mutate: Mutation,
}

const fn case(
    code: &'static str,
    exception: Exception,
    at: (Option<&'static str>, Option<&'static str>),
    field: &'static str,
    mutate: Mutation,
) -> Case {
    Case { code, exception, stage: at.0, action: at.1, field, mutate }
}

const PIPELINE: (Option<&str>, Option<&str>) = (None, None);
const fn in_stage(s: &'static str) -> (Option<&'static str>, Option<&'static str>) {
    (Some(s), None)
}
const fn in_action(s: &'static str, a: &'static str) -> (Option<&'static str>, Option<&'static str>) {
    (Some(s), Some(a))
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn cases() -> Vec<Case> {
    vec![
        // Pipeline identity and stores
        case("pipeline-name-invalid", Validation, PIPELINE, "name", |p| p.name = "bad name".into()),
        case("role-arn-invalid", Validation, PIPELINE, "roleArn", |p| p.role_arn = "ARN".into()),
        case("version-invalid", Validation, PIPELINE, "version", |p| p.version = Some(0)),
        case("artifact-store-missing", InvalidStructure, PIPELINE, "artifactStore", |p| p.artifact_store = None),
        case("artifact-store-conflict", InvalidStructure, PIPELINE, "artifactStores", |p| {
            p.artifact_stores = Some(IndexMap::from([("us-east-1".into(), p.artifact_store.clone().unwrap())]));
        }),
        case("artifact-store-location-invalid", Validation, PIPELINE, "artifactStore.location", |p| {
            p.artifact_store.as_mut().unwrap().location = "x".into();
        }),
        case("encryption-key-id-invalid", Validation, PIPELINE, "artifactStore.encryptionKey.id", |p| {
            p.artifact_store.as_mut().unwrap().encryption_key.as_mut().unwrap().id = String::new();
        }),
        case("artifact-store-region-invalid", Validation, PIPELINE, "artifactStores.x", |p| {
            let store = p.artifact_store.take().unwrap();
            p.artifact_stores = Some(IndexMap::from([("x".into(), store)]));
        }),
        case("artifact-store-missing-for-region", InvalidStructure, in_action("Deploy", "Deploy"), "region", |p| {
            let store = p.artifact_store.take().unwrap();
            p.artifact_stores = Some(IndexMap::from([("us-east-1".into(), store)]));
            action(p, 2, 1).region = Some("eu-west-1".into());
        }),
        // Quotas
        case("too-few-stages", InvalidStructure, PIPELINE, "stages", |p| p.stages.truncate(1)),
        case("too-many-stages", InvalidStructure, PIPELINE, "stages", |p| {
            p.stages.extend((0..48).map(|i| approval_stage(&format!("Extra{i}"), 1)));
        }),
        case("too-many-actions-in-pipeline", InvalidStructure, PIPELINE, "stages", |p| {
            p.stages.extend((0..10).map(|i| approval_stage(&format!("Extra{i}"), 50)));
        }),
        case("too-many-actions-in-stage", InvalidStageDeclaration, in_stage("Deploy"), "actions", |p| {
            stage(p, 2).actions.extend((0..48).map(|i| approval(&format!("More{i}"))));
        }),
        case("stage-has-no-actions", InvalidStageDeclaration, in_stage("Deploy"), "actions", |p| {
            stage(p, 2).actions.clear();
        }),
        case("too-many-triggers", Validation, PIPELINE, "triggers", |p| {
            let t = p.triggers[0].clone();
            p.triggers.extend(std::iter::repeat_n(t, 50));
        }),
        case("too-many-pipeline-variables", Validation, PIPELINE, "variables", |p| {
            p.variables.extend((0..50).map(|i| PipelineVariableDeclaration {
                name: format!("V{i}"),
                default_value: None,
                description: None,
            }));
        }),
        // Stages
        case("stage-name-invalid", Validation, in_stage("Bad Name"), "name", |p| stage(p, 1).name = "Bad Name".into()),
        case("stage-name-duplicate", InvalidStageDeclaration, in_stage("Build"), "name", |p| {
            stage(p, 2).name = "Build".into();
        }),
        case("blocker-name-invalid", InvalidBlockerDeclaration, in_stage("Deploy"), "blockers[0].name", |p| {
            stage(p, 2).blockers[0].name = String::new();
        }),
        case("blocker-duplicate", InvalidBlockerDeclaration, in_stage("Deploy"), "blockers[1].name", |p| {
            let b = stage(p, 2).blockers[0].clone();
            stage(p, 2).blockers.push(b);
        }),
        case("first-stage-not-source", InvalidStructure, in_stage("Source"), "actions", |p| {
            stage(p, 0).actions = vec![approval("Gate")];
        }),
        case(
            "non-source-action-in-first-stage",
            InvalidStructure,
            in_action("Source", "Gate"),
            "actionTypeId.category",
            |p| {
                stage(p, 0).actions.push(approval("Gate"));
            },
        ),
        case(
            "source-action-outside-first-stage",
            InvalidStructure,
            in_action("Build", "Late"),
            "actionTypeId.category",
            |p| {
                stage(p, 1).actions.push(s3_source("Late", "LateOut"));
            },
        ),
        case("no-non-source-action", InvalidStructure, PIPELINE, "stages", |p| {
            p.stages.truncate(1);
            let mut second = p.stages[0].clone();
            second.name = "More".into();
            second.actions = vec![s3_source("Other", "OtherOut")];
            p.stages.push(second);
        }),
        // Action fields
        case("action-name-invalid", Validation, in_action("Build", "bad name"), "name", |p| {
            action(p, 1, 0).name = "bad name".into();
        }),
        case("action-name-duplicate", InvalidActionDeclaration, in_action("Build", "Build"), "name", |p| {
            action(p, 1, 1).name = "Build".into();
        }),
        case("provider-name-invalid", Validation, in_action("Build", "Build"), "actionTypeId.provider", |p| {
            action(p, 1, 0).action_type_id.provider = "Code Build".into();
        }),
        case("action-version-invalid", Validation, in_action("Build", "Build"), "actionTypeId.version", |p| {
            action(p, 1, 0).action_type_id.version = String::new();
        }),
        case("run-order-out-of-range", InvalidActionDeclaration, in_action("Build", "Test"), "runOrder", |p| {
            action(p, 1, 1).run_order = 1000;
        }),
        case("timeout-not-allowed", InvalidActionDeclaration, in_action("Build", "Build"), "timeoutInMinutes", |p| {
            action(p, 1, 0).timeout_in_minutes = Some(60);
        }),
        case("timeout-out-of-range", Validation, in_action("Deploy", "Approve"), "timeoutInMinutes", |p| {
            action(p, 2, 0).timeout_in_minutes = Some(4);
        }),
        case("role-arn-invalid", Validation, in_action("Deploy", "Deploy"), "roleArn", |p| {
            action(p, 2, 1).role_arn = Some("arn:aws:iam::1:role/x".into());
        }),
        case("region-invalid", Validation, in_action("Deploy", "Deploy"), "region", |p| {
            action(p, 2, 1).region = Some("x".into());
        }),
        case("configuration-too-many-entries", Validation, in_action("Build", "Build"), "configuration", |p| {
            let config = &mut action(p, 1, 0).configuration;
            config.extend((0..200).map(|i| (format!("K{i}"), "v".to_string())));
        }),
        case(
            "configuration-key-too-long",
            Validation,
            in_action("Deploy", "Approve"),
            "configuration.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            |p| {
                action(p, 2, 0).configuration.insert(long(51), "v".into());
            },
        ),
        case("configuration-value-length", Validation, in_action("Build", "Build"), "configuration.ProjectName", |p| {
            action(p, 1, 0).configuration.insert("ProjectName".into(), long(1001));
        }),
        case("commands-not-allowed", InvalidActionDeclaration, in_action("Build", "Build"), "commands", |p| {
            action(p, 1, 0).commands = vec!["make".into()];
        }),
        case("commands-missing", InvalidActionDeclaration, in_action("Deploy", "Smoke"), "commands", |p| {
            action(p, 2, 2).commands.clear();
        }),
        case("too-many-commands", Validation, in_action("Deploy", "Smoke"), "commands", |p| {
            action(p, 2, 2).commands = vec!["true".into(); 51];
        }),
        case("command-length", Validation, in_action("Deploy", "Smoke"), "commands[0]", |p| {
            action(p, 2, 2).commands[0] = String::new();
        }),
        case("too-many-output-variables", Validation, in_action("Deploy", "Smoke"), "outputVariables", |p| {
            action(p, 2, 2).output_variables = (0..16).map(|i| format!("V{i}")).collect();
        }),
        case("output-variable-length", Validation, in_action("Deploy", "Smoke"), "outputVariables[0]", |p| {
            action(p, 2, 2).output_variables[0] = long(129);
        }),
        case("too-many-environment-variables", Validation, in_action("Deploy", "Smoke"), "environmentVariables", |p| {
            action(p, 2, 2).environment_variables = (0..11)
                .map(|i| EnvironmentVariable { name: format!("E{i}"), value: "v".into(), variable_type: None })
                .collect();
        }),
        case(
            "environment-variable-name-invalid",
            Validation,
            in_action("Deploy", "Smoke"),
            "environmentVariables[0].name",
            |p| {
                action(p, 2, 2).environment_variables[0].name = "BAD-NAME".into();
            },
        ),
        case(
            "environment-variable-duplicate",
            InvalidActionDeclaration,
            in_action("Deploy", "Smoke"),
            "environmentVariables[1].name",
            |p| {
                let v = action(p, 2, 2).environment_variables[0].clone();
                action(p, 2, 2).environment_variables.push(v);
            },
        ),
        case(
            "environment-variable-value-length",
            Validation,
            in_action("Deploy", "Smoke"),
            "environmentVariables[0].value",
            |p| {
                action(p, 2, 2).environment_variables[0].value = String::new();
            },
        ),
        // Artifacts and namespaces
        case("artifact-name-invalid", Validation, in_action("Deploy", "Smoke"), "outputArtifacts[0].name", |p| {
            action(p, 2, 2).output_artifacts[0].name = "Smoke.Out".into();
        }),
        case(
            "output-artifact-duplicate",
            InvalidActionDeclaration,
            in_action("Build", "Test"),
            "outputArtifacts[0].name",
            |p| {
                action(p, 1, 1).output_artifacts = vec![OutputArtifact { name: "SourceOut".into(), files: vec![] }];
            },
        ),
        case("artifact-files-too-many", Validation, in_action("Deploy", "Smoke"), "outputArtifacts[0].files", |p| {
            action(p, 2, 2).output_artifacts[0].files = (0..11).map(|i| format!("f{i}")).collect();
        }),
        case("artifact-file-path-length", Validation, in_action("Deploy", "Smoke"), "outputArtifacts[0].files", |p| {
            action(p, 2, 2).output_artifacts[0].files[0] = long(129);
        }),
        case(
            "input-artifact-not-produced",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "inputArtifacts[0].name",
            |p| {
                action(p, 1, 0).input_artifacts[0].name = "Nope".into();
            },
        ),
        case(
            "input-artifact-not-produced-earlier",
            InvalidActionDeclaration,
            in_action("Build", "Test"),
            "inputArtifacts[0].name",
            |p| {
                action(p, 1, 1).run_order = 1;
            },
        ),
        case("namespace-invalid", Validation, in_action("Deploy", "Smoke"), "namespace", |p| {
            action(p, 2, 2).namespace = Some("bad ns".into());
        }),
        case("namespace-duplicate", InvalidActionDeclaration, in_action("Build", "Test"), "namespace", |p| {
            action(p, 1, 1).namespace = Some("SourceVars".into());
        }),
        case(
            "namespace-collides-with-artifact",
            InvalidActionDeclaration,
            in_action("Build", "Test"),
            "namespace",
            |p| {
                action(p, 1, 1).namespace = Some("SourceOut".into());
            },
        ),
        // Providers
        case(
            "unknown-action-type",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "actionTypeId.provider",
            |p| {
                action(p, 1, 0).action_type_id.provider = "Jenkins".into();
            },
        ),
        case("input-artifact-count", InvalidActionDeclaration, in_action("Build", "Build"), "inputArtifacts", |p| {
            action(p, 1, 0).input_artifacts.clear();
        }),
        case(
            "output-artifact-count",
            InvalidActionDeclaration,
            in_action("Deploy", "Approve"),
            "outputArtifacts",
            |p| {
                action(p, 2, 0).output_artifacts = vec![OutputArtifact { name: "ApprovalOut".into(), files: vec![] }];
            },
        ),
        case(
            "missing-required-configuration",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "configuration.ProjectName",
            |p| {
                action(p, 1, 0).configuration.shift_remove("ProjectName");
            },
        ),
        case(
            "unknown-configuration-key",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "configuration.Projectname",
            |p| {
                action(p, 1, 0).configuration.insert("Projectname".into(), "typo".into());
            },
        ),
        case(
            "configuration-value-not-allowed",
            InvalidActionDeclaration,
            in_action("Deploy", "Deploy"),
            "configuration.ActionMode",
            |p| {
                action(p, 2, 1).configuration.insert("ActionMode".into(), "UPSERT".into());
            },
        ),
        case(
            "configuration-value-not-allowed",
            InvalidActionDeclaration,
            in_action("Deploy", "Approve"),
            "configuration.RequiredApprovals",
            |p| {
                action(p, 2, 0).configuration.insert("RequiredApprovals".into(), "11".into());
            },
        ),
        case(
            "configuration-value-not-allowed",
            InvalidActionDeclaration,
            in_action("Deploy", "Approve"),
            "configuration.AllowSelfApproval",
            |p| {
                action(p, 2, 0).configuration.insert("AllowSelfApproval".into(), "maybe".into());
            },
        ),
        case(
            "missing-conditional-configuration",
            InvalidActionDeclaration,
            in_action("Deploy", "Deploy"),
            "configuration.TemplatePath",
            |p| {
                action(p, 2, 1).configuration.shift_remove("TemplatePath");
            },
        ),
        case(
            "missing-conditional-configuration",
            InvalidActionDeclaration,
            in_action("Deploy", "Deploy"),
            "configuration.ChangeSetName",
            |p| {
                action(p, 2, 1).configuration.insert("ActionMode".into(), "CHANGE_SET_EXECUTE".into());
            },
        ),
        case(
            "missing-conditional-configuration",
            InvalidActionDeclaration,
            in_action("Build", "Test"),
            "configuration.PrimarySource",
            |p| {
                action(p, 1, 1).input_artifacts.insert(0, InputArtifact { name: "SourceOut".into() });
            },
        ),
        case(
            "missing-conditional-configuration",
            InvalidActionDeclaration,
            in_action("Deploy", "Deploy"),
            "configuration.ObjectKey",
            |p| {
                let deploy = action(p, 2, 1);
                deploy.action_type_id.provider = "S3".into();
                deploy.configuration = IndexMap::from([
                    ("BucketName".to_string(), "site".to_string()),
                    ("Extract".to_string(), "false".to_string()),
                ]);
            },
        ),
        // Variable references
        case(
            "variable-reference-malformed",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "configuration.ProjectName",
            |p| {
                action(p, 1, 0).configuration.insert("ProjectName".into(), "#{nodot}".into());
            },
        ),
        case(
            "pipeline-variable-undeclared",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "configuration.ProjectName",
            |p| {
                action(p, 1, 0).configuration.insert("ProjectName".into(), "#{variables.Missing}".into());
            },
        ),
        case(
            "variable-namespace-unknown",
            InvalidActionDeclaration,
            in_action("Deploy", "Smoke"),
            "environmentVariables[0].value",
            |p| {
                action(p, 2, 2).environment_variables[0].value = "#{Nope.Key}".into();
            },
        ),
        case(
            "variable-namespace-not-earlier",
            InvalidActionDeclaration,
            in_action("Build", "Build"),
            "configuration.ProjectName",
            |p| {
                action(p, 1, 0).configuration.insert("ProjectName".into(), "#{BuildVars.Version}".into());
            },
        ),
        // V2-only features
        case("requires-pipeline-type-v2", InvalidStructure, PIPELINE, "executionMode", |p| {
            p.pipeline_type = Some(PipelineType::V1)
        }),
        case("requires-pipeline-type-v2", InvalidStructure, PIPELINE, "variables", |p| p.pipeline_type = None),
        case("requires-pipeline-type-v2", InvalidStructure, PIPELINE, "triggers", |p| p.pipeline_type = None),
        case("requires-pipeline-type-v2", InvalidStageDeclaration, in_stage("Deploy"), "beforeEntry", |p| {
            p.pipeline_type = None
        }),
        case(
            "requires-pipeline-type-v2",
            InvalidActionDeclaration,
            in_action("Deploy", "Smoke"),
            "actionTypeId",
            |p| p.pipeline_type = None,
        ),
        // Stage conditions
        case("condition-count", InvalidStageDeclaration, in_stage("Deploy"), "beforeEntry.conditions", |p| {
            let before = stage(p, 2).before_entry.as_mut().unwrap();
            before.conditions.push(before.conditions[0].clone());
        }),
        case(
            "condition-result-not-allowed",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].result",
            |p| {
                stage(p, 2).before_entry.as_mut().unwrap().conditions[0].result = Some(ConditionResult::Rollback);
            },
        ),
        case("condition-result-not-allowed", InvalidStageDeclaration, in_stage("Build"), "onFailure.result", |p| {
            stage(p, 1).on_failure.as_mut().unwrap().result = Some(ConditionResult::Skip);
        }),
        case(
            "rollback-in-parallel-mode",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "onSuccess.conditions[0].result",
            |p| {
                p.execution_mode = Some(ExecutionMode::Parallel);
            },
        ),
        case(
            "condition-rule-count",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules",
            |p| {
                stage(p, 2).before_entry.as_mut().unwrap().conditions[0].rules.clear();
            },
        ),
        case(
            "rule-name-duplicate",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[1].name",
            |p| {
                let rules = &mut stage(p, 2).before_entry.as_mut().unwrap().conditions[0].rules;
                rules.push(rules[0].clone());
            },
        ),
        case("rule-name-invalid", Validation, in_stage("Deploy"), "beforeEntry.conditions[0].rules[0].name", |p| {
            before_rule(p).name = "bad name".into();
        }),
        case(
            "unknown-rule-type",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].ruleTypeId.provider",
            |p| {
                before_rule(p).rule_type_id.provider = "Nope".into();
            },
        ),
        case(
            "rule-missing-required-configuration",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].configuration.Cron",
            |p| {
                before_rule(p).configuration.clear();
            },
        ),
        case(
            "rule-commands",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].commands",
            |p| {
                before_rule(p).commands = vec!["true".into()];
            },
        ),
        case(
            "rule-configuration-length",
            Validation,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].configuration",
            |p| {
                before_rule(p).configuration.insert("TimeZone".into(), String::new());
            },
        ),
        case(
            "rule-timeout-out-of-range",
            Validation,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].timeoutInMinutes",
            |p| {
                before_rule(p).timeout_in_minutes = Some(1);
            },
        ),
        case(
            "rule-input-artifact-count",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].inputArtifacts",
            |p| {
                before_rule(p).input_artifacts = vec![InputArtifact { name: "BuildOut".into() }];
            },
        ),
        case(
            "rule-input-artifact-not-produced",
            InvalidStageDeclaration,
            in_stage("Deploy"),
            "beforeEntry.conditions[0].rules[0].inputArtifacts[0].name",
            |p| {
                let rule = before_rule(p);
                rule.rule_type_id.provider = "LambdaInvoke".into();
                rule.configuration = IndexMap::from([("FunctionName".to_string(), "check".to_string())]);
                rule.input_artifacts = vec![InputArtifact { name: "SmokeOut".into() }];
            },
        ),
        case(
            "retry-configuration-missing",
            InvalidStageDeclaration,
            in_stage("Build"),
            "onFailure.retryConfiguration",
            |p| {
                stage(p, 1).on_failure.as_mut().unwrap().retry_configuration = None;
            },
        ),
        case(
            "retry-configuration-unexpected",
            InvalidStageDeclaration,
            in_stage("Build"),
            "onFailure.retryConfiguration",
            |p| {
                stage(p, 1).on_failure.as_mut().unwrap().result = Some(ConditionResult::Fail);
            },
        ),
        // Triggers
        case(
            "trigger-source-action-unknown",
            InvalidStructure,
            PIPELINE,
            "triggers[0].gitConfiguration.sourceActionName",
            |p| {
                p.triggers[0].git_configuration.source_action_name = "Nope".into();
            },
        ),
        case(
            "trigger-source-action-provider",
            InvalidStructure,
            PIPELINE,
            "triggers[0].gitConfiguration.sourceActionName",
            |p| {
                stage(p, 0).actions.push(s3_source("Bucket", "BucketOut"));
                p.triggers[0].git_configuration.source_action_name = "Bucket".into();
            },
        ),
        case(
            "trigger-duplicate-source-action",
            InvalidStructure,
            PIPELINE,
            "triggers[1].gitConfiguration.sourceActionName",
            |p| {
                p.triggers.push(p.triggers[0].clone());
            },
        ),
        case("trigger-filter-count", Validation, PIPELINE, "triggers[0].gitConfiguration.push", |p| {
            let push = &mut p.triggers[0].git_configuration.push;
            let f = push[0].clone();
            push.extend(std::iter::repeat_n(f, 3));
        }),
        case("trigger-push-filter-invalid", InvalidStructure, PIPELINE, "triggers[0].gitConfiguration.push[0]", |p| {
            p.triggers[0].git_configuration.push[0].tags =
                Some(GitFilterCriteria { includes: vec!["v*".into()], excludes: vec![] });
        }),
        case(
            "trigger-pull-request-filter-invalid",
            InvalidStructure,
            PIPELINE,
            "triggers[0].gitConfiguration.pullRequest[0]",
            |p| {
                p.triggers[0].git_configuration.pull_request[0].branches = None;
            },
        ),
        case(
            "trigger-pull-request-events-invalid",
            Validation,
            PIPELINE,
            "triggers[0].gitConfiguration.pullRequest[0].events",
            |p| {
                let events = &mut p.triggers[0].git_configuration.pull_request[0].events;
                events.push(events[0]);
            },
        ),
        case("trigger-pattern-invalid", Validation, PIPELINE, "triggers[0].gitConfiguration.push[0].branches", |p| {
            p.triggers[0].git_configuration.push[0].branches = Some(GitFilterCriteria::default());
        }),
        // Pipeline variables
        case("pipeline-variable-name-invalid", Validation, PIPELINE, "variables[0].name", |p| {
            p.variables[0].name = "bad name".into()
        }),
        case("pipeline-variable-duplicate", InvalidStructure, PIPELINE, "variables[1].name", |p| {
            p.variables.push(p.variables[0].clone());
        }),
        case("pipeline-variable-default-invalid", Validation, PIPELINE, "variables[0].defaultValue", |p| {
            p.variables[0].default_value = Some(String::new());
        }),
        case("pipeline-variable-description-invalid", Validation, PIPELINE, "variables[0].description", |p| {
            p.variables[0].description = Some(long(201));
        }),
    ]
}

fn before_rule(p: &mut PipelineDeclaration) -> &mut model::RuleDeclaration {
    &mut stage(p, 2).before_entry.as_mut().unwrap().conditions[0].rules[0]
}

fn matches(e: &ValidationError, c: &Case) -> bool {
    e.code == c.code
        && e.exception == c.exception
        && e.path.stage.as_deref() == c.stage
        && e.path.action.as_deref() == c.action
        && e.path.field.as_deref() == Some(c.field)
}

fn assert_case(c: &Case, errors: &[ValidationError]) {
    assert!(
        errors.iter().any(|e| matches(e, c)),
        "{} at {:?}/{:?}/{}: expected among {:#?}",
        c.code,
        c.stage,
        c.action,
        c.field,
        errors.iter().map(|e| (e.code, &e.path.stage, &e.path.action, &e.path.field)).collect::<Vec<_>>()
    );
}

#[test]
fn base_pipeline_is_valid() {
    let p = base();
    assert_eq!(validate(&p), vec![]);
    assert_eq!(validate_in_region(&p, "us-east-1"), vec![]);
}

#[test]
fn each_rule_fires_on_its_broken_document() {
    for c in cases() {
        let mut p = base();
        (c.mutate)(&mut p);
        assert_case(&c, &validate(&p));
    }
}

#[test]
fn regional_rules_fire_with_the_home_region() {
    let regional = [
        case("cross-region-not-allowed", InvalidActionDeclaration, in_action("Source", "Src"), "region", |p| {
            action(p, 0, 0).region = Some("eu-west-1".into());
        }),
        case("cross-region-not-allowed", InvalidActionDeclaration, in_action("Deploy", "Smoke"), "region", |p| {
            action(p, 2, 2).region = Some("eu-west-1".into());
        }),
        case("artifact-store-missing-for-region", InvalidStructure, in_action("Deploy", "Deploy"), "region", |p| {
            action(p, 2, 1).region = Some("eu-west-1".into());
        }),
        case("artifact-store-missing-for-region", InvalidStructure, PIPELINE, "artifactStores", |p| {
            let store = p.artifact_store.take().unwrap();
            p.artifact_stores = Some(IndexMap::from([("eu-west-1".into(), store)]));
        }),
    ];
    for c in &regional {
        let mut p = base();
        (c.mutate)(&mut p);
        assert_case(c, &validate_in_region(&p, "us-east-1"));
    }
    // The console writes the home region on every action: that is not cross-region.
    let mut p = base();
    action(&mut p, 0, 0).region = Some("us-east-1".into());
    assert_eq!(validate_in_region(&p, "us-east-1"), vec![]);
    assert_eq!(validate(&p), vec![]);
}

/// Every code the validator can emit has a case above (the list is read from the sources, so a
/// new rule without a test fails here).
#[test]
fn every_rule_code_has_a_case() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/validate");
    let mut in_source = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for literal in text.split('"').skip(1).step_by(2) {
            let kebab = literal.contains('-')
                && literal.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !literal.starts_with('-');
            if kebab {
                in_source.insert(literal.to_string());
            }
        }
    }
    let mut tested: BTreeSet<String> = cases().iter().map(|c| c.code.to_string()).collect();
    tested.extend(["cross-region-not-allowed".to_string(), "artifact-store-missing-for-region".to_string()]);
    // Needs the custom types as input: tests/custom_types.rs has its case.
    tested.insert("queryable-value-invalid".to_string());
    let untested: Vec<_> = in_source.difference(&tested).collect();
    assert!(untested.is_empty(), "rules without a case: {untested:?}");
    assert!(in_source.len() > 80);
}

#[test]
fn messages_name_the_stage_action_and_field() {
    let mut p = base();
    action(&mut p, 1, 0).input_artifacts[0].name = "BuildOutput".into();
    let errors = validate(&p);
    let e = errors.iter().find(|e| e.code == "input-artifact-not-produced").unwrap();
    assert_eq!(
        e.message,
        "Stage 'Build', action 'Build': input artifact 'BuildOutput' is not produced by any action that runs before it"
    );
    assert_eq!(e.path.stage_index, Some(1));
    assert_eq!(e.path.action_index, Some(0));
    assert_eq!(e.exception.name(), "InvalidActionDeclarationException");
    assert_eq!(e.to_string(), format!("InvalidActionDeclarationException: {}", e.message));

    // Every located error starts with its location.
    for c in cases() {
        let mut p = base();
        (c.mutate)(&mut p);
        for e in validate(&p) {
            if let (Some(stage), Some(action)) = (&e.path.stage, &e.path.action) {
                assert!(e.message.starts_with(&format!("Stage '{stage}', action '{action}': ")), "{}", e.message);
            } else if let Some(stage) = &e.path.stage {
                assert!(e.message.starts_with(&format!("Stage '{stage}': ")), "{}", e.message);
            }
        }
    }
}

#[test]
fn aws_wording_for_too_few_stages() {
    let mut p = base();
    p.stages.truncate(1);
    let e = validate(&p).into_iter().find(|e| e.code == "too-few-stages").unwrap();
    assert_eq!(e.message, "Pipeline has only 1 stage(s). There should be a minimum of 2 stages in a pipeline");
    assert_eq!(e.exception.name(), "InvalidStructureException");
}

#[test]
fn custom_and_partner_providers_outside_the_catalogue_are_accepted() {
    let mut p = base();
    let build = action(&mut p, 1, 0);
    build.action_type_id.owner = model::ActionOwner::Custom;
    build.action_type_id.provider = "JenkinsBuild".into();
    build.configuration.insert("AnyKey".into(), "anything".into());
    assert_eq!(validate(&p), vec![]);
}

#[test]
fn degenerate_documents_do_not_panic() {
    let docs = [
        r##"{"name": "", "roleArn": "", "stages": []}"##,
        r##"{"name": "p", "roleArn": "x", "stages": [{"name": "", "actions": []}]}"##,
        r##"{"name": "é", "roleArn": "arn:aws", "stages": [{"name": "S", "actions": [{"name": "a",
            "actionTypeId": {"category": "Source", "owner": "Custom", "provider": "", "version": ""},
            "configuration": {"k": "#{", "k2": "#{.}", "k3": "#{a.}#{"}, "runOrder": 4294967295,
            "inputArtifacts": [{"name": "a"}], "outputArtifacts": [{"name": "a"}], "namespace": "a"}]}],
            "triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": "a",
              "push": [{}], "pullRequest": [{}]}}],
            "pipelineType": "V1", "executionMode": "PARALLEL"}"##,
    ];
    for doc in docs {
        let p = model::parse_pipeline(doc).unwrap();
        assert!(!validate(&p).is_empty(), "{doc}");
        assert!(!validate_in_region(&p, "").is_empty());
    }
}

#[test]
fn approval_rules_within_range_are_accepted() {
    let mut p = base();
    let gate = action(&mut p, 2, 0);
    gate.configuration.insert("RequiredApprovals".into(), "10".into());
    gate.configuration.insert("AllowSelfApproval".into(), "false".into());
    assert_eq!(validate(&p), vec![]);
}
