//! The visual editor's pieces; the page (`pages::editor`) owns the state and lays them out.
pub mod action_node;
pub mod action_panel;
pub mod canvas;
pub mod commands_fields;
pub mod drop_zone;
pub mod edits;
pub mod field;
pub mod links;
pub mod node_parts;
pub mod palette;
pub mod settings_panel;
pub mod stage_node;
pub mod stage_panel;
pub mod text_view;
pub mod triggers;
pub mod versions;
