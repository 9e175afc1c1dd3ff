//! Who runs before whom: the ordering facts several rules share, computed once.

use std::collections::HashMap;

use crate::pipeline::{ActionDeclaration, PipelineDeclaration};

/// An action's position in the run order of the pipeline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement<'a> {
    pub stage_index: usize,
    pub run_order: u32,
    pub stage_name: &'a str,
    pub action_name: &'a str,
}

impl<'a> Placement<'a> {
    pub(crate) fn of(stage_index: usize, stage_name: &'a str, action: &'a ActionDeclaration) -> Self {
        Placement { stage_index, run_order: action.run_order, stage_name, action_name: &action.name }
    }

    /// Finishes before `later` starts: an earlier stage, or the same stage at a lower runOrder.
    pub(crate) fn runs_before(&self, later: &Placement<'_>) -> bool {
        self.stage_index < later.stage_index
            || (self.stage_index == later.stage_index && self.run_order < later.run_order)
    }

    /// Finishes before stage `stage_index` starts (for beforeEntry conditions).
    pub(crate) fn before_stage(&self, stage_index: usize) -> bool {
        self.stage_index < stage_index
    }

    pub(crate) fn describe(&self) -> String {
        format!("action '{}' in stage '{}'", self.action_name, self.stage_name)
    }
}

/// Producers of artifacts and of variable namespaces, by name.
#[derive(Debug, Default)]
pub(crate) struct Context<'a> {
    pub artifact_producers: HashMap<&'a str, Vec<Placement<'a>>>,
    pub namespace_owners: HashMap<&'a str, Vec<Placement<'a>>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(pipeline: &'a PipelineDeclaration) -> Self {
        let mut ctx = Context::default();
        for (stage_index, stage) in pipeline.stages.iter().enumerate() {
            for action in &stage.actions {
                let at = Placement::of(stage_index, &stage.name, action);
                for output in &action.output_artifacts {
                    ctx.artifact_producers.entry(&output.name).or_default().push(at);
                }
                if let Some(ns) = &action.namespace {
                    ctx.namespace_owners.entry(ns).or_default().push(at);
                }
            }
        }
        ctx
    }
}
