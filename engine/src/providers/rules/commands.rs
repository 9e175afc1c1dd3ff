//! The Commands rule: runs the rule's `commands` exactly as the Commands action runs its own (same
//! workspace layout, shell, environment and log); exit code 0 passes.
use super::{RuleContext, RuleProvider, RuleResult};
use crate::providers::commands::CommandsProvider;
use crate::providers::{ActionContext, ActionProvider, BoxFuture};
use model::{ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId};

pub struct CommandsRule {
    commands: CommandsProvider,
}

impl CommandsRule {
    pub fn new(commands: CommandsProvider) -> Self {
        CommandsRule { commands }
    }
}

impl RuleProvider for CommandsRule {
    fn evaluate<'a>(&'a self, ctx: &'a RuleContext) -> BoxFuture<'a, RuleResult> {
        Box::pin(async move {
            let action = ActionContext {
                pipeline_name: ctx.pipeline_name.clone(),
                pipeline_execution_id: ctx.pipeline_execution_id.clone(),
                stage_name: ctx.stage_name.clone(),
                action_execution_id: ctx.rule_execution_id.clone(),
                action: as_action(&ctx.rule),
                configuration: ctx.configuration.clone(),
                environment: Default::default(),
                workspace: ctx.workspace.clone(),
                inputs: ctx.inputs.clone(),
                source_revision: None,
                log: ctx.log.clone(),
                cancel: ctx.cancel.clone(),
                timeout: ctx.timeout,
                services: ctx.services.clone(),
            };
            let outcome = self.commands.execute(&action).await?;
            Ok(match outcome {
                crate::providers::ActionOutcome::Succeeded(result) => {
                    result.summary.unwrap_or_else(|| "The commands succeeded.".into())
                }
                crate::providers::ActionOutcome::Waiting { .. } => "The commands succeeded.".into(),
            })
        })
    }
}

/// The rule seen as a Commands action without outputs.
fn as_action(rule: &model::RuleDeclaration) -> ActionDeclaration {
    ActionDeclaration {
        name: rule.name.clone(),
        action_type_id: ActionTypeId {
            category: ActionCategory::Compute,
            owner: ActionOwner::Aws,
            provider: "Commands".into(),
            version: "1".into(),
        },
        run_order: model::DEFAULT_RUN_ORDER,
        configuration: rule.configuration.clone(),
        commands: rule.commands.clone(),
        output_artifacts: Vec::new(),
        input_artifacts: rule.input_artifacts.clone(),
        output_variables: Vec::new(),
        role_arn: rule.role_arn.clone(),
        region: rule.region.clone(),
        namespace: None,
        timeout_in_minutes: rule.timeout_in_minutes,
        environment_variables: Vec::new(),
    }
}
