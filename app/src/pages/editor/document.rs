//! The editor's commands: every change the canvas, palette, side panel or JSON view makes to the
//! pipeline is one `Command`, applied here with no browser in sight, so undo/redo and the tests
//! see exactly what the user did.
//!
//! Action groups are addressed by their position among the stage's distinct run orders (what the
//! canvas draws as lanes), not by run order values, which may have gaps (10, 20, ...).
use model::{
    catalog::ActionTypeSpec, ActionDeclaration, ActionTypeId, InputArtifact, OutputArtifact, PipelineDeclaration,
    StageDeclaration,
};

/// What the side panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    Pipeline,
    Stage(usize),
    Action {
        stage: usize,
        action: usize,
    },
}

/// Where an action lands inside a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Into an existing group (runs in parallel with its members).
    InGroup(usize),
    /// Into a new group placed before the group at this position (or after the last).
    NewGroupBefore(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    AddStage {
        at: usize,
    },
    MoveStage {
        from: usize,
        to: usize,
    },
    RemoveStage(usize),
    DuplicateStage(usize),
    RenameStage(usize, String),
    AddAction {
        stage: usize,
        place: Place,
        spec: &'static ActionTypeSpec,
    },
    MoveAction {
        stage: usize,
        action: usize,
        to_stage: usize,
        place: Place,
    },
    RemoveAction {
        stage: usize,
        action: usize,
    },
    DuplicateAction {
        stage: usize,
        action: usize,
    },
    /// Any edit of one action's fields from the side panel (rename included).
    ReplaceAction {
        stage: usize,
        action: usize,
        with: Box<ActionDeclaration>,
    },
    /// Pipeline settings and the JSON view replace the whole declaration.
    ReplacePipeline(Box<PipelineDeclaration>),
}

/// Applies a command; returns what to select afterwards, or None when the command no longer fits
/// the pipeline (a stale index) and nothing changed.
pub fn apply(pipeline: &mut PipelineDeclaration, command: Command) -> Option<Selection> {
    let stages = &mut pipeline.stages;
    match command {
        Command::AddStage { at } => {
            let at = at.min(stages.len());
            let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
            let name = unique_name(&format!("Stage{}", stages.len() + 1), &names);
            stages.insert(at, empty_stage(name));
            Some(Selection::Stage(at))
        }
        Command::MoveStage { from, to } => {
            if from >= stages.len() {
                return None;
            }
            let stage = stages.remove(from);
            // `to` counts positions before the removal, as the drop zones were drawn.
            let to = if to > from { to - 1 } else { to }.min(stages.len());
            stages.insert(to, stage);
            Some(Selection::Stage(to))
        }
        Command::RemoveStage(index) => {
            (index < stages.len()).then(|| stages.remove(index))?;
            Some(Selection::Pipeline)
        }
        Command::DuplicateStage(index) => {
            let mut copy = stages.get(index)?.clone();
            let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
            copy.name = unique_name(&format!("{}Copy", copy.name), &names);
            // Artifact names and namespaces are pipeline-wide, so the copy needs its own.
            for action in &mut copy.actions {
                for output in &mut action.output_artifacts {
                    output.name = unique_name(&output.name, &artifact_names(pipeline));
                }
                action.namespace = None;
            }
            pipeline.stages.insert(index + 1, copy);
            Some(Selection::Stage(index + 1))
        }
        Command::RenameStage(index, name) => {
            stages.get_mut(index)?.name = name;
            Some(Selection::Stage(index))
        }
        Command::AddAction { stage, place, spec } => {
            let mut action = new_action(pipeline, spec);
            let target = pipeline.stages.get_mut(stage)?;
            let names: Vec<&str> = target.actions.iter().map(|a| a.name.as_str()).collect();
            action.name = unique_name(&action.name, &names);
            action.run_order = claim_run_order(target, place);
            // An action that needs an input reads the nearest upstream output.
            if spec.input_artifacts.0 > 0 {
                let nearest = upstream_artifacts(pipeline, stage, action.run_order).pop();
                action.input_artifacts.extend(nearest.map(|name| InputArtifact { name }));
            }
            Some(insert_action(&mut pipeline.stages[stage], stage, action))
        }
        Command::MoveAction { stage, action, to_stage, place } => {
            stages.get(stage)?.actions.get(action)?;
            stages.get(to_stage)?;
            // The run order is claimed while the action is still in place, because `place`
            // counts groups as they were drawn.
            let run_order = claim_run_order(&mut stages[to_stage], place);
            let mut moved = stages[stage].actions.remove(action);
            moved.run_order = run_order;
            let target = &mut stages[to_stage];
            if to_stage != stage {
                let names: Vec<&str> = target.actions.iter().map(|a| a.name.as_str()).collect();
                moved.name = unique_name(&moved.name, &names);
            }
            Some(insert_action(target, to_stage, moved))
        }
        Command::RemoveAction { stage, action } => {
            let actions = &mut stages.get_mut(stage)?.actions;
            (action < actions.len()).then(|| actions.remove(action))?;
            Some(Selection::Stage(stage))
        }
        Command::DuplicateAction { stage, action } => {
            let mut copy = stages.get(stage)?.actions.get(action)?.clone();
            let outputs = artifact_names(pipeline);
            for output in &mut copy.output_artifacts {
                output.name = unique_name(&output.name, &outputs);
            }
            copy.namespace = None;
            let target = &mut pipeline.stages[stage];
            let names: Vec<&str> = target.actions.iter().map(|a| a.name.as_str()).collect();
            copy.name = unique_name(&copy.name, &names);
            Some(insert_action(target, stage, copy))
        }
        Command::ReplaceAction { stage, action, with } => {
            let slot = stages.get_mut(stage)?.actions.get_mut(action)?;
            let run_order_changed = slot.run_order != with.run_order;
            *slot = *with;
            if run_order_changed {
                let moved = stages[stage].actions.remove(action);
                return Some(insert_action(&mut stages[stage], stage, moved));
            }
            Some(Selection::Action { stage, action })
        }
        Command::ReplacePipeline(with) => {
            *pipeline = *with;
            Some(Selection::Pipeline)
        }
    }
}

/// A pipeline with nothing drawn yet: valid settings, no stages.
pub fn blank_pipeline() -> PipelineDeclaration {
    PipelineDeclaration {
        name: "my-pipeline".to_string(),
        role_arn: "arn:aws:iam::123456789012:role/service-role/my-pipeline".to_string(),
        artifact_store: Some(model::ArtifactStore {
            store_type: model::ArtifactStoreType::S3,
            location: "my-pipeline-artifacts".to_string(),
            encryption_key: None,
        }),
        artifact_stores: None,
        stages: Vec::new(),
        version: None,
        execution_mode: None,
        // New pipelines are V2, as the console makes them: triggers, variables, the Commands action.
        pipeline_type: Some(model::PipelineType::V2),
        variables: Vec::new(),
        triggers: Vec::new(),
    }
}

/// The stage's distinct run orders, ascending: one per lane on the canvas.
pub fn group_orders(stage: &StageDeclaration) -> Vec<u32> {
    let mut orders: Vec<u32> = stage.actions.iter().map(|a| a.run_order).collect();
    orders.sort_unstable();
    orders.dedup();
    orders
}

/// Every output artifact name in the pipeline.
pub fn artifact_names(pipeline: &PipelineDeclaration) -> Vec<String> {
    pipeline.actions().flat_map(|(_, a)| a.output_artifacts.iter().map(|o| o.name.clone())).collect()
}

/// Artifacts an action may consume: outputs of earlier stages and of earlier groups in its own
/// stage (CodePipeline rejects anything else).
pub fn upstream_artifacts(pipeline: &PipelineDeclaration, stage: usize, run_order: u32) -> Vec<String> {
    pipeline
        .stages
        .iter()
        .enumerate()
        .take(stage + 1)
        .flat_map(|(index, s)| {
            s.actions
                .iter()
                .filter(move |a| index < stage || a.run_order < run_order)
                .flat_map(|a| a.output_artifacts.iter().map(|o| o.name.clone()))
        })
        .collect()
}

fn empty_stage(name: String) -> StageDeclaration {
    StageDeclaration {
        name,
        blockers: Vec::new(),
        actions: Vec::new(),
        before_entry: None,
        on_success: None,
        on_failure: None,
    }
}

/// A fresh action of a catalogued type; it makes the outputs its provider requires, so the
/// next action has something to consume. Inputs are left for the user to pick.
fn new_action(pipeline: &PipelineDeclaration, spec: &ActionTypeSpec) -> ActionDeclaration {
    let name: String = spec.provider.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut taken = artifact_names(pipeline);
    let mut output_artifacts = Vec::new();
    for _ in 0..spec.output_artifacts.0 {
        let output = unique_name(&format!("{name}Output"), &taken);
        taken.push(output.clone());
        output_artifacts.push(OutputArtifact { name: output, files: Vec::new() });
    }
    let action_type_id = ActionTypeId {
        category: spec.category,
        owner: spec.owner,
        provider: spec.provider.to_string(),
        version: spec.version.to_string(),
    };
    ActionDeclaration { output_artifacts, ..ActionDeclaration::new(name, action_type_id) }
}

/// The run order an action placed at `place` gets. A new group between two others shifts the
/// later groups up by one so the order the user drew is kept.
fn claim_run_order(stage: &mut StageDeclaration, place: Place) -> u32 {
    let orders = group_orders(stage);
    match place {
        Place::InGroup(group) => orders.get(group).or(orders.last()).copied().unwrap_or(model::DEFAULT_RUN_ORDER),
        Place::NewGroupBefore(group) => match orders.get(group) {
            Some(&order) => {
                for action in stage.actions.iter_mut().filter(|a| a.run_order >= order) {
                    action.run_order += 1;
                }
                order
            }
            None => orders.last().map_or(model::DEFAULT_RUN_ORDER, |last| last + 1),
        },
    }
}

/// Adds the action after the last member of its group, so the declared order matches the drawing.
fn insert_action(stage: &mut StageDeclaration, stage_index: usize, action: ActionDeclaration) -> Selection {
    // Moves elsewhere may have left the declared order out of step with run orders.
    stage.actions.sort_by_key(|a| a.run_order);
    let at = stage.actions.iter().rposition(|a| a.run_order <= action.run_order).map_or(0, |i| i + 1);
    stage.actions.insert(at, action);
    Selection::Action { stage: stage_index, action: at }
}

/// `base`, or `base2`, `base3`, ... whichever is not taken.
pub fn unique_name<S: AsRef<str>>(base: &str, taken: &[S]) -> String {
    let is_taken = |name: &str| taken.iter().any(|t| t.as_ref() == name);
    if !is_taken(base) {
        return base.to_string();
    }
    let mut n = 2;
    while is_taken(&format!("{base}{n}")) {
        n += 1;
    }
    format!("{base}{n}")
}

#[cfg(test)]
mod tests;
