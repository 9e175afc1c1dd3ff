//! Pieces shared by several pages.
pub mod client_only;
pub mod confirm;
pub mod editor;
pub mod errors;
pub mod header;
pub mod icons;
pub mod link;
pub mod may_create;
pub mod pipeline_graph;
pub mod provider;
